import pytest
from hypothesis import given
from hypothesis import strategies as st

from messaging.numbers import (
    DUPLICATE,
    NOT_MOBILE,
    Dropped,
    dropped_entries,
    network_of,
    normalise_many,
    normalise_msisdn,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # SPEC §3's own examples
        ("0-601-345-345", "48601345345"),
        ("+48 601-123-123", "48601123123"),
        ("501 234 234", "48501234234"),
        # seed 001 examples 3, 4 and 6
        ("888222444", "48888222444"),
        ("48505666333", "48505666333"),
        ("48795000111", "48795000111"),
        ("48888111000", "48888111000"),
        ("0048 505 666 333", "48505666333"),
        ("(501) 234.234", "48501234234"),
    ],
)
def test_valid_spellings(raw, expected):
    assert normalise_msisdn(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "555666",  # seed 001 example 4: too short
        "+61422333444",  # seed 001 example 4: Australian
        "222333444",  # Polish landline
        "48222333444",
        "1234567890123",
        "60134534５",  # a full-width digit
        "601 345 34x",
        "",
    ],
)
def test_invalid_numbers_are_dropped(raw):
    assert normalise_msisdn(raw) is None


def test_seed_example_4_list_keeps_three_numbers():
    to_list = "48505666333,888222444,555666,48795000111,+61422333444"
    numbers, dropped = normalise_many(to_list.split(","))
    assert numbers == ["48505666333", "48888222444", "48795000111"]
    assert dropped == 2


def test_file_lines_lose_every_non_digit_and_blank_lines_are_skipped():
    lines = ["tel: 601-345-345\r", "", "   ", "48601345345", "abc"]
    numbers, dropped = normalise_many(lines, digits_only=True)
    assert numbers == ["48601345345"]
    assert dropped == 1


@given(st.integers(min_value=0, max_value=9_999_999))
def test_every_spelling_of_a_mobile_gives_the_same_e164(suffix):
    national = f"60{suffix:07d}"
    expected = "48" + national
    spellings = [
        national,
        "48" + national,
        "+48" + national,
        "0048" + national,
        "0" + national,
        f"+48 {national[:3]}-{national[3:6]}-{national[6:]}",
        f"({national[:3]}) {national[3:6]}.{national[6:]}",
    ]
    assert {normalise_msisdn(s) for s in spellings} == {expected}


@given(st.text(max_size=20))
def test_result_is_none_or_eleven_digits_starting_48(raw):
    result = normalise_msisdn(raw)
    assert result is None or (len(result) == 11 and result.startswith("48") and result.isdigit())


def test_the_spellings_of_a_number_as_a_sender_name():
    from messaging.numbers import spellings

    assert spellings("48601234567") == {"48601234567", "601234567", "+48601234567"}


@pytest.mark.parametrize(
    ("msisdn", "expected"),
    [
        ("48601100123", ("26001", "Poland", "Plus", "Poland")),
        ("48600100123", ("26002", "Poland", "T-Mobile", "Poland")),
        ("48500000000", ("26003", "Poland", "Orange", "Poland")),
        ("48790000000", ("26006", "Poland", "Play", "Poland")),
        # Given to an operator without a network code of its own.
        ("48699500000", ("", "Poland", "AMD Telecom S.A.", "Poland")),
    ],
)
def test_network_of_is_the_operator_the_prefix_was_given_to(msisdn, expected):
    network = network_of(msisdn)
    assert network == expected
    assert (network.mccmnc, network.operator) == (expected[0], expected[2])


def test_dropped_entries_say_why_in_the_order_typed():
    typed = ["501 234 567", " 123 ", "", "+48 501-234-567", "222333444", "0501234567", "600100200"]
    assert dropped_entries(typed) == [
        Dropped("123", NOT_MOBILE),
        Dropped("+48 501-234-567", DUPLICATE),
        Dropped("222333444", NOT_MOBILE),  # a landline
        Dropped("0501234567", DUPLICATE),
    ]


def test_dropped_entries_of_file_lines_read_digits_only():
    lines = ["tel: 601-345-345\r", "48601345345", "abc", "   "]
    assert dropped_entries(lines, digits_only=True) == [
        Dropped("48601345345", DUPLICATE),
        Dropped("abc", NOT_MOBILE),
    ]


@given(st.lists(st.sampled_from(["501234567", "48501234567", "600100200", "123", "x", " "])))
def test_dropped_entries_are_what_normalise_many_leaves_out(typed):
    kept, not_mobile = normalise_many(typed)
    dropped = dropped_entries(typed)
    assert sum(d.reason == NOT_MOBILE for d in dropped) == not_mobile
    assert len(kept) + len(dropped) == sum(1 for raw in typed if raw.strip())
