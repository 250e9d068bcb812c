import hashlib
import re
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailbridge.parse import (
    BAD_SEND_TIME,
    EMPTY_TEXT,
    INVALID_NUMBER,
    NO_NUMBERS,
    NUMBERS_IN_EASY_MODE,
    PASSWORD_IN_TEXT,
    REASONS,
    TWO_MD5_LINES,
    UNKNOWN_LINE,
    BodyError,
    Box,
    Easy,
    Md5Line,
    ParsedBody,
    Ups,
    md5_digest,
    parse_address,
    parse_body,
)
from tests.conftest import examples

# SPEC §5: send times are Warsaw wall-clock time (settings.TIME_ZONE).
WARSAW = ZoneInfo("Europe/Warsaw")
PASSWORD = "motylek123"  # seed 000 §4.1.4 examples 2 and 3
SEED_DOMAIN = "sms2email.pl"
NOW = datetime(2026, 5, 10, 10, 0, tzinfo=WARSAW)
EASY = Easy("48601123456")


def parse(*lines, target=None, password=PASSWORD, now=NOW, newline="\n"):
    return parse_body(newline.join(lines), target=target or Box(), password=password, now=now)


# seed 000 §4.1.4, one argument per line as the seed's table shows them


def test_seed_example_1_easy_mode_without_parameters_or_end_word():
    target = parse_address("601123456@sms2email.pl", SEED_DOMAIN)
    assert parse("Przykładowa tresc SMS-a", target=target) == ParsedBody(
        text="Przykładowa tresc SMS-a",
        numbers=("48601123456",),
        password_given=False,
        md5=None,
        flash=False,
        send_at=None,
    )


def test_seed_example_2_flash_with_password_in_easy_mode():
    target = parse_address("601123456@sms2email.pl", SEED_DOMAIN)
    result = parse(
        "motylek123",
        "flash",
        "---",
        "Przykładowa treść SMS-a",
        "Druga linia SMS-a",
        "end",
        target=target,
    )
    assert result == ParsedBody(
        text="Przykładowa treść SMS-a\nDruga linia SMS-a",
        numbers=("48601123456",),
        password_given=True,
        md5=None,
        flash=True,
        send_at=None,
    )


def test_seed_example_3_several_numbers_at_15_00_with_password():
    target = parse_address("box@sms2email.pl", SEED_DOMAIN)
    result = parse(
        "motylek123",
        "15:00",
        "601123456,0-601-345-345",
        "+48 601-123-123",
        "501 234 234",
        "---",
        "Przykładowa treść SMS-a",
        "KONIEC",
        target=target,
    )
    # The seed titles this example "flash", but its body has no flash line.
    assert result == ParsedBody(
        text="Przykładowa treść SMS-a",
        numbers=("48601123456", "48601345345", "48601123123", "48501234234"),
        password_given=True,
        md5=None,
        flash=False,
        send_at=datetime(2026, 5, 10, 15, 0, tzinfo=WARSAW),
    )


def test_seed_example_4_date_long_past_means_now():
    target = parse_address("box@sms2email.pl", SEED_DOMAIN)
    result = parse(
        "2008-09-01 15:00 flash",
        "501 234 234",
        "---",
        "Przykładowa treść SMS-a",
        "END",
        target=target,
    )
    assert result == ParsedBody(
        text="Przykładowa treść SMS-a",
        numbers=("48501234234",),
        password_given=False,
        md5=None,
        flash=True,
        send_at=None,
    )


def test_seed_example_4_with_a_future_date_is_scheduled():
    result = parse("2026-09-01 15:00 flash", "501 234 234", "---", "Przykładowa treść SMS-a", "END")
    assert result.send_at == datetime(2026, 9, 1, 15, 0, tzinfo=WARSAW)
    assert result.flash is True


def test_seed_example_5_md5_flash_two_numbers():
    target = parse_address("box@sms2email.pl", SEED_DOMAIN)
    digest = md5_digest(PASSWORD, 1220372820)
    result = parse(
        f"md5 1220372820 {digest}",
        "flash",
        "601-123-456",
        "601-123-123",
        "---",
        "Przykładowa treść SMS-a",
        "KONIEC",
        target=target,
    )
    assert result == ParsedBody(
        text="Przykładowa treść SMS-a",
        numbers=("48601123456", "48601123123"),
        password_given=False,
        md5=Md5Line(1220372820, digest),
        flash=True,
        send_at=None,
    )


def test_seed_example_5_printed_hash_is_read_but_is_not_md5_of_password_and_timestamp():
    # The seed prints a hash that md5("motylek123" + "1220372820") does not give;
    # parsing keeps it, the intake's check refuses it.
    printed = "a929c221b17369ea8c23e804fd9b8fd3"
    result = parse(f"md5 1220372820 {printed}", "601-123-456", "---", "tekst")
    assert result.md5 == Md5Line(1220372820, printed)
    assert printed != md5_digest(PASSWORD, 1220372820)


def test_md5_digest_is_md5_of_password_then_timestamp():
    expected = hashlib.md5(b"motylek1231220372820").hexdigest()  # noqa: S324
    assert md5_digest("motylek123", 1220372820) == expected
    assert md5_digest("motylek123", "1220372820") == expected


# the end word


@pytest.mark.parametrize("word", ["END", "end", "End", "KONIEC", "koniec", "Koniec", "  end  "])
def test_end_word_in_any_case_ends_the_text(word):
    result = parse("601123456", "---", "tekst", word, "po końcu")
    assert result.text == "tekst"


def test_signature_and_quoted_reply_after_end_are_ignored():
    result = parse(
        "601123456",
        "---",
        "Spotkanie o 15",
        "END",
        "-- ",
        "Jan Kowalski",
        "> 601123456",
        "> ---",
        "> stara wiadomość",
    )
    assert result.text == "Spotkanie o 15"


def test_end_word_before_any_section_break_means_no_parameters():
    result = parse("Cześć", "END", "---", "stopka", target=EASY)
    assert result.text == "Cześć"


def test_a_word_containing_end_does_not_end_the_text():
    result = parse("601123456", "---", "the end.", "endless", "END")
    assert result.text == "the end.\nendless"


def test_without_end_word_the_text_runs_to_the_end():
    result = parse("601123456", "---", "linia 1", "linia 2")
    assert result.text == "linia 1\nlinia 2"


def test_without_section_break_the_whole_body_is_the_text():
    result = parse("601123456", "flash", "tekst", "END", target=EASY)
    assert result.text == "601123456\nflash\ntekst"
    assert result.flash is False


def test_password_line_without_section_break_is_refused_not_sent():
    result = parse("motylek123", "Cześć", "END", target=EASY)
    assert result.reason == PASSWORD_IN_TEXT
    assert "motylek123" not in result.detail


def test_password_line_below_the_section_break_is_refused():
    assert parse("601123456", "---", " motylek123 ", "tekst").reason == PASSWORD_IN_TEXT


def test_password_inside_a_text_line_is_just_text():
    result = parse("601123456", "---", "hasło to motylek123", "END")
    assert result.text == "hasło to motylek123"


def test_without_a_service_password_no_text_line_is_a_password():
    assert parse("", "Cześć", target=EASY, password="").text == "Cześć"


@pytest.mark.parametrize("newline", ["\r\n", "\r", "\n"])
def test_any_newline_splits_lines_and_the_text_gets_line_feeds(newline):
    result = parse("motylek123", "601123456", "---", "a", "b", "END", "x", newline=newline)
    assert result.text == "a\nb"
    assert result.numbers == ("48601123456",)
    assert result.password_given


def test_text_keeps_inner_blank_lines_and_loses_surrounding_ones():
    result = parse("601123456", "---", "", "  ", "  pierwsza", "", "druga  ", "", "END")
    assert result.text == "pierwsza\n\ndruga"


def test_section_break_with_surrounding_spaces_counts():
    assert parse("601123456", "  ---  ", "tekst").text == "tekst"


@pytest.mark.parametrize("body", [("601123456", "---", "END"), ("601123456", "---", " ", "")])
def test_empty_text_is_refused(body):
    assert parse(*body).reason == EMPTY_TEXT


def test_empty_body_is_refused_as_empty_text():
    assert parse("", target=EASY).reason == EMPTY_TEXT


# parameter lines


def test_blank_parameter_lines_are_skipped():
    result = parse("", "motylek123", "   ", "601123456", "", "---", "tekst")
    assert result.password_given
    assert result.numbers == ("48601123456",)


def test_unknown_line_is_named_by_position_without_echoing_it():
    result = parse("motylek123", "", "motylek12", "601123456", "---", "tekst")
    assert result.reason == UNKNOWN_LINE
    assert "Linia 3 sekcji parametrów" in result.detail
    assert "motylek12" not in result.detail
    assert result.code is None


def test_password_line_is_detected_when_stripped():
    assert parse("  motylek123\t", "601123456", "---", "tekst").password_given


def test_password_beside_another_parameter_is_an_unknown_line():
    # seed 000 §4.1.3: "w linii tej nie może wystąpić inny parametr"
    result = parse("motylek123 flash", "601123456", "---", "tekst")
    assert result.reason == UNKNOWN_LINE
    assert "motylek123" not in result.detail


def test_password_is_case_sensitive():
    assert parse("MOTYLEK123", "601123456", "---", "tekst").reason == UNKNOWN_LINE


def test_without_a_service_password_no_line_is_a_password():
    result = parse("motylek123", "601123456", "---", "tekst", password="")
    assert result.reason == UNKNOWN_LINE


def test_password_that_looks_like_a_number_is_a_password():
    result = parse("601999888", "601123456", "---", "tekst", password="601999888")
    assert result.password_given
    assert result.numbers == ("48601123456",)


def test_password_given_twice_is_still_given():
    assert parse("motylek123", "motylek123", "601123456", "---", "tekst").password_given


# numbers


def test_numbers_keep_first_seen_order_without_repeats_over_several_lines():
    result = parse("501 234 234, 601123456", "48601123456,(501) 234.234", "---", "tekst")
    assert result.numbers == ("48501234234", "48601123456")


@pytest.mark.parametrize("spelling", ["601/123/456", "0048 601 123 456", "+48(601)123-456"])
def test_number_spellings(spelling):
    assert parse(spelling, "---", "tekst").numbers == ("48601123456",)


def test_empty_items_between_commas_are_skipped():
    assert parse("601123456, ,", "---", "tekst").numbers == ("48601123456",)


def test_invalid_number_is_401_and_named():
    result = parse("601123456, 555666", "---", "tekst")
    assert (result.reason, result.code) == (INVALID_NUMBER, 401)
    assert "„555666”" in result.detail
    assert "linii 1" in result.detail


@pytest.mark.parametrize("item", ["222333444", "+61422333444", "601123456, ()", "601 123 456 7"])
def test_items_that_are_not_polish_mobiles_are_invalid(item):
    assert parse(item, "---", "tekst").reason == INVALID_NUMBER


def test_a_very_long_invalid_item_is_shortened_in_the_reply():
    result = parse("1" * 500, "---", "tekst")
    assert result.reason == INVALID_NUMBER
    assert len(result.detail) < 250


def test_a_long_line_of_digits_with_a_stray_letter_is_refused_quickly():
    started = time.perf_counter()
    assert parse("1" * 100_000 + "x", "---", "tekst").reason == UNKNOWN_LINE
    assert time.perf_counter() - started < 1  # no regex backtracking


def test_box_without_numbers_is_refused():
    result = parse("motylek123", "flash", "---", "tekst")
    assert result.reason == NO_NUMBERS


def test_box_without_parameter_section_has_no_numbers():
    assert parse("tekst").reason == NO_NUMBERS


def test_easy_mode_refuses_another_number():
    result = parse("motylek123", "501 234 234", "---", "tekst", target=EASY)
    assert result.reason == NUMBERS_IN_EASY_MODE
    assert "48601123456" in result.detail


def test_easy_mode_refuses_an_invalid_number_as_a_number():
    assert parse("555666", "---", "tekst", target=EASY).reason == NUMBERS_IN_EASY_MODE


def test_easy_mode_tolerates_its_own_number_repeated():
    # seed 000 §4.1.1 forbids "inne numery": other numbers, not the address's own.
    result = parse("+48 601 123 456", "---", "tekst", target=EASY)
    assert result.numbers == ("48601123456",)


# md5


def test_md5_line_in_upper_case_gives_a_lowercase_digest():
    digest = md5_digest(PASSWORD, 1700000000)
    result = parse(f"MD5  1700000000\t{digest.upper()}", "601123456", "---", "tekst")
    assert result.md5 == Md5Line(1700000000, digest)


@pytest.mark.parametrize(
    "line",
    [
        "md5",
        "md5 1220372820",
        "md5 abc 86eb11c79a2ea8d71202210f8c94651a",
        "md5 1220372820 86eb11c79a2ea8d71202210f8c94651",  # 31 characters
        "md5 1220372820 86eb11c79a2ea8d71202210f8c94651ag",
        "md5 1220372820 86eb11c79a2ea8d71202210f8c94651a extra",
        "md5 01220372820 86eb11c79a2ea8d71202210f8c94651a",  # leading zero
        "md51220372820 86eb11c79a2ea8d71202210f8c94651a",
    ],
)
def test_malformed_md5_line_is_an_unknown_line(line):
    result = parse(line, "601123456", "---", "tekst")
    assert result.reason == UNKNOWN_LINE
    assert "md5" in result.detail


def test_two_md5_lines_are_refused():
    line = f"md5 1220372820 {md5_digest(PASSWORD, 1220372820)}"
    result = parse(line, line, "601123456", "---", "tekst")
    assert result.reason == TWO_MD5_LINES
    assert "linia 2" in result.detail


# options and send time


@pytest.mark.parametrize("line", ["flash", "FLASH", "Flash"])
def test_flash_in_any_case(line):
    assert parse(line, "601123456", "---", "tekst").flash is True


def test_time_later_today_is_today_in_warsaw():
    result = parse("18:45", "601123456", "---", "tekst")
    assert result.send_at == datetime(2026, 5, 10, 18, 45, tzinfo=WARSAW)


def test_single_digit_hour():
    result = parse("flash 7:05", "601123456", "---", "tekst", now=NOW.replace(hour=6))
    assert result.send_at == datetime(2026, 5, 10, 7, 5, tzinfo=WARSAW)


def test_time_already_past_today_means_now_not_tomorrow():
    assert parse("09:59", "601123456", "---", "tekst").send_at is None


def test_time_equal_to_now_means_now():
    assert parse("10:00", "601123456", "---", "tekst").send_at is None


def test_today_is_the_warsaw_date_even_when_now_is_given_in_utc():
    # 23:30 UTC on 10 May is 01:30 on 11 May in Warsaw.
    now = datetime(2026, 5, 10, 23, 30, tzinfo=UTC)
    result = parse("08:00", "601123456", "---", "tekst", now=now)
    assert result.send_at == datetime(2026, 5, 11, 8, 0, tzinfo=WARSAW)


def test_naive_now_is_taken_as_warsaw_time():
    result = parse("18:00", "601123456", "---", "tekst", now=datetime(2026, 5, 10, 10, 0))
    assert result.send_at == datetime(2026, 5, 10, 18, 0, tzinfo=WARSAW)


def test_future_date_and_time_in_any_order_with_flash():
    result = parse("flash 2026-12-24 18:00", "601123456", "---", "tekst")
    assert result.send_at == datetime(2026, 12, 24, 18, 0, tzinfo=WARSAW)
    assert result.flash is True


def test_date_far_ahead_is_not_refused_here():
    # The 3-month limit is the send pipeline's rule, not the parser's.
    result = parse("2030-01-01 00:00", "601123456", "---", "tekst")
    assert result.send_at == datetime(2030, 1, 1, 0, 0, tzinfo=WARSAW)


def test_flash_and_time_on_separate_lines():
    result = parse("flash", "18:00", "601123456", "---", "tekst")
    assert (result.flash, result.send_at) == (True, datetime(2026, 5, 10, 18, 0, tzinfo=WARSAW))


@pytest.mark.parametrize(
    "line",
    [
        "25:00",
        "24:00",
        "12:60",
        "2026-02-30 10:00",
        "2026-13-01 10:00",
        "0000-01-01 10:00",
        "2026-06-01",  # a date needs a time
        "15:00 2026-06-01",
        "2026-06-01 flash 15:00",
        "15:00 16:00",  # two send times
    ],
)
def test_impossible_or_incomplete_send_time_is_refused(line):
    result = parse(line, "601123456", "---", "tekst")
    assert result.reason == BAD_SEND_TIME
    assert "linii 1" in result.detail or "linia 1" in result.detail


def test_send_time_on_two_lines_is_refused():
    result = parse("15:00", "flash 16:00", "601123456", "---", "tekst")
    assert result.reason == BAD_SEND_TIME
    assert "linia 2" in result.detail


def test_first_fault_wins():
    result = parse("555666", "bzdura", "---", "")
    assert result.reason == INVALID_NUMBER


# addresses

DOMAIN = "sms2email.localhost"


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("box@sms2email.localhost", Box()),
        ("BOX@SMS2Email.Localhost", Box()),
        ("  box@sms2email.localhost.  ", Box()),
        ("48601123456@sms2email.localhost", Easy("48601123456")),
        ("601123456@sms2email.localhost", Easy("48601123456")),
        ("601123456@fineteta.sms2email.localhost", Ups("48601123456", "fineteta")),
        ("48601123456@FineTeta.SMS2EMAIL.localhost", Ups("48601123456", "fineteta")),
        ("box@fineteta.sms2email.localhost", None),
        ("601123456@a.fineteta.sms2email.localhost", None),
        ("601123456@sms2email.pl", None),
        ("box@example.com", None),
        ("box@evilsms2email.localhost", None),
        ("222333444@sms2email.localhost", None),  # a landline
        ("0601123456@sms2email.localhost", None),
        ("+48601123456@sms2email.localhost", None),
        ("60112345@sms2email.localhost", None),
        ("boxx@sms2email.localhost", None),
        ("@sms2email.localhost", None),
        ("box", None),
        ("", None),
        ("box@", None),
        ("box@@sms2email.localhost", None),
        ("601123456@-x.sms2email.localhost", None),
        ("६०११२३४५६@sms2email.localhost", None),  # Devanagari digits
    ],
)
def test_parse_address(address, expected):
    assert parse_address(address, DOMAIN) == expected


def test_parse_address_domain_is_case_insensitive_too():
    assert parse_address("box@sms2email.pl", "SMS2EMAIL.PL") == Box()


# properties

TARGETS = st.sampled_from([Box(), EASY])
E164 = re.compile(r"48[0-9]{9}")


def check(result, target):
    assert isinstance(result, ParsedBody | BodyError)
    if isinstance(result, BodyError):
        assert result.reason in REASONS
        assert result.detail
        assert result.code in (None, 401)
        return
    assert result.text and result.text == result.text.strip()
    assert all(E164.fullmatch(number) for number in result.numbers)
    assert len(set(result.numbers)) == len(result.numbers)
    if isinstance(target, Easy):
        assert result.numbers == (target.number,)
    assert result.send_at is None or result.send_at > NOW


@settings(max_examples=examples(10_000), deadline=None)
@given(st.text(), TARGETS)
def test_parse_body_never_raises_on_any_text(body, target):
    check(parse_body(body, target=target, password=PASSWORD, now=NOW), target)


LINES = st.one_of(
    st.sampled_from(
        [
            "",
            "  ",
            "---",
            "END",
            "koniec",
            "flash",
            PASSWORD,
            f" {PASSWORD} ",
            "md5",
            f"md5 1220372820 {md5_digest(PASSWORD, 1220372820)}",
            "601123456,0-601-345-345",
            "+48 601-123-123",
            "555666",
            ",",
            "Przykładowa treść SMS-a",
        ]
    ),
    st.from_regex(r"[0-9]{1,3}:[0-9]{1,3}", fullmatch=True),
    st.from_regex(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2} [0-9]{1,2}:[0-9]{2}( flash)?", fullmatch=True),
    st.from_regex(r"(?i)md5 [0-9]{0,20} [0-9a-fA-F]{30,34}", fullmatch=True),
    st.from_regex(r"[0-9 +().,/-]{1,30}", fullmatch=True),
    st.text(max_size=20),
)


@settings(max_examples=examples(2_000), deadline=None)
@given(st.lists(LINES, max_size=12), st.sampled_from(["\n", "\r\n", "\r"]), TARGETS, st.booleans())
def test_parse_body_never_raises_on_plausible_bodies(lines, newline, target, with_password):
    password = PASSWORD if with_password else ""
    result = parse_body(newline.join(lines), target=target, password=password, now=NOW)
    check(result, target)


@given(st.text(max_size=80), st.text(max_size=30))
def test_parse_address_never_raises(address, domain):
    assert isinstance(parse_address(address, domain), Box | Easy | Ups | type(None))
