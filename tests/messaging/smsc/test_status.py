"""``/sys/status.php`` (seed 003): statuses of real messages in every fmt and ``all``,
many pairs at once, ``del=1``, the per-minute limits (error 9) and the login errors
shared by every ``/sys/`` endpoint."""

import json
import xml.etree.ElementTree as ET
from datetime import timedelta
from decimal import Decimal

import phonenumbers
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from phonenumbers import carrier

from accounts.models import AllowedAddress, LedgerEntry, LedgerKind, Service, ServiceState
from gateways.models import Gateway
from messaging import services
from messaging.models import Message, Recipient, Status
from messaging.smsc import codes, views
from tests.conftest import SEED_PASSWORD, SEED_USERNAME
from tests.sending import NUMBERS, send

from .conftest import PASSWORD_MD5, allowed_sender, decoded, deliver

pytestmark = pytest.mark.django_db

DELIVERED = "48600100123"  # the simulator's outcomes by the last three digits
REJECTED, EXPIRED, REMOTE_ERROR = "48600100000", "48600100999", "48600100998"


@pytest.fixture
def message(api_service, simulator):
    """A message to each simulator outcome, from an allowed sender, with a comment,
    dispatched and reported."""
    allowed_sender(api_service, "Shop")
    sent = send(api_service, sender="Shop", user_flag="order-7")
    deliver()
    return sent


def local_date(moment) -> str:
    return timezone.localtime(moment).strftime("%d.%m.%Y %H:%M:%S")


def fmt0_names(line: str) -> list[str]:
    """The field names of a fmt 0 line, in order (its values hold no ", ")."""
    return [part.split("=", 1)[0].strip() for part in line.split(", ")]


def fmt0_values(line: str) -> dict[str, str]:
    return dict((p.split("=", 1)[0].strip(), p.split("=", 1)[1].strip()) for p in line.split(", "))


# -- our statuses in SMSC's codes (codes.STATUS_CODES) ----------------------------------------


def status_of(smsc, message, number) -> tuple[int, int]:
    fields = smsc("status", id=message.pk, phone=number, fmt=3)
    answer = json.loads(fields)
    return answer["status"], answer["err"]


def test_a_message_not_yet_sent_is_waiting_send(smsc, api_service):
    message = send(api_service, numbers=[DELIVERED])

    assert message.recipients.get().status == Status.PENDING
    assert status_of(smsc, message, DELIVERED) == (-1, 0)


def test_a_message_the_gateway_took_is_transferred_to_the_operator(smsc, api_service, simulator):
    Gateway.objects.filter(pk=simulator.pk).update(settings={"delay": 3600})  # no report yet
    message = send(api_service, numbers=[DELIVERED])
    deliver()

    assert message.recipients.get().status == Status.QUEUED
    assert status_of(smsc, message, DELIVERED) == (0, 0)


@pytest.mark.parametrize(
    "number, ours, code",
    [
        (DELIVERED, Status.DELIVERED, (1, 0)),
        (REJECTED, Status.REJECTED, (25, 255)),
        (EXPIRED, Status.EXPIRED, (3, 0)),
        (REMOTE_ERROR, Status.REMOTE_ERROR, (20, 255)),
    ],
)
def test_a_reported_outcome_answers_its_smsc_status_and_err(smsc, message, number, ours, code):
    assert message.recipients.get(number=number).status == ours
    assert status_of(smsc, message, number) == code


def test_a_cancelled_scheduled_message_is_stopped(smsc, api_service):
    message = send(api_service, numbers=[DELIVERED], send_at=timezone.now() + timedelta(hours=1))
    assert services.cancel(api_service.pk, message.pk) == 1

    assert message.recipients.get().status == Status.CANCELLED
    assert status_of(smsc, message, DELIVERED) == (-2, 0)


def test_a_message_held_while_the_service_may_not_send_is_stopped(smsc, api_service, simulator):
    message = send(api_service, numbers=[DELIVERED])
    Service.objects.filter(pk=api_service.pk).update(state=ServiceState.BLOCKED_BY_STAFF)
    deliver()
    Service.objects.filter(pk=api_service.pk).update(state=ServiceState.ACTIVE)

    assert message.recipients.get().status == Status.ON_HOLD
    assert status_of(smsc, message, DELIVERED) == (-2, 0)


def test_the_status_follows_the_message_as_it_is_delivered(smsc, api_service, simulator):
    message = send(api_service, numbers=[DELIVERED])
    before = smsc("status", id=message.pk, phone=DELIVERED, fmt=1)
    deliver()
    after = smsc("status", id=message.pk, phone=DELIVERED, fmt=1)

    assert before.split(",")[0] == "-1"
    assert after.split(",")[0] == "1"


# -- the answer for one message, each fmt and all (seed 003) ----------------------------------

SEED_FMT0 = {
    0: ["Status", "check_time", "err"],
    1: [
        *("Status", "check_time", "err", "send_date", "phone", "cost", "sender_id"),
        *("status_name", "message", "comment", "type"),
    ],
    2: [
        *("Status", "check_time", "err", "send_date", "phone", "mccmnc", "country", "operator"),
        *("operator_orig", "region", "cost", "sender_id", "status_name", "message", "comment"),
        "type",
    ],
}
SEED_TAGS = {
    0: ["status", "last_date", "last_timestamp", "flag", "err"],
    1: [
        *("status", "last_date", "last_timestamp", "flag", "err", "send_date", "send_timestamp"),
        *("phone", "cost", "sender_id", "status_name", "message", "comment", "type", "sms_cnt"),
    ],
    2: [
        *("status", "last_date", "last_timestamp", "flag", "err", "send_date", "send_timestamp"),
        *("phone", "cost", "sender_id", "status_name", "message", "comment", "mccmnc"),
        *("country", "operator", "operator_orig", "region", "type", "sms_cnt"),
    ],
}


def expected_values(message, number) -> dict:
    recipient = message.recipients.get(number=number)
    return {
        "status": 1,
        "last_date": local_date(recipient.status_at),
        "last_timestamp": int(recipient.status_at.timestamp()),
        "flag": 0,
        "err": 0,
        "send_date": local_date(message.send_at),
        "send_timestamp": int(message.send_at.timestamp()),
        "phone": number,
        "sender_id": "Shop",
        "status_name": "Delivered",
        "message": "Test",
        "comment": "order-7",
        "type": 0,
        "sms_cnt": 1,
    }


@pytest.mark.parametrize("detail", [0, 1, 2])
def test_fmt_0_names_the_seeds_fields_in_the_seeds_order(smsc, message, detail):
    line = smsc("status", id=message.pk, phone=DELIVERED, all=detail)

    assert fmt0_names(line) == SEED_FMT0[detail]
    want = expected_values(message, DELIVERED)
    values = fmt0_values(line)
    assert (values["Status"], values["check_time"], values["err"]) == ("1", want["last_date"], "0")
    if detail:
        assert values["send_date"] == want["send_date"]
        assert (values["phone"], values["sender_id"]) == (DELIVERED, "Shop")
        assert (values["status_name"], values["message"]) == ("Delivered", "Test")
        assert (values["comment"], values["type"]) == ("order-7", "0")
        assert Decimal(values["cost"]) == message.recipient_price > 0
    if detail == 2:
        assert "operator_orig= " in line  # sic, seed 003


def test_fmt_1_all_0_is_status_timestamp_err(smsc, message):
    want = expected_values(message, DELIVERED)

    answer = smsc("status", id=message.pk, phone=DELIVERED, fmt=1)

    assert answer == f"1,{want['last_timestamp']},0"


def test_fmt_1_all_1_ends_with_the_text_as_the_official_clients_read_it(smsc, message):
    # Seed 003 prints comment and type after the text; the official clients take all
    # after the 8th comma as the text, so the text goes last (messaging.smsc.wire).
    want = expected_values(message, DELIVERED)

    fields = smsc("status", id=message.pk, phone=DELIVERED, fmt=1, all=1).split(",")

    assert fields[:5] == [
        "1",
        str(want["last_timestamp"]),
        "0",
        str(want["send_timestamp"]),
        DELIVERED,
    ]
    assert Decimal(fields[5]) == message.recipient_price
    assert fields[6:] == ["Shop", "Delivered", "Test"]


def test_fmt_1_all_2_adds_country_operator_and_region_before_the_cost(smsc, message):
    operator = carrier.name_for_number(phonenumbers.parse("+" + DELIVERED), "en")

    fields = smsc("status", id=message.pk, phone=DELIVERED, fmt=1, all=2).split(",")

    assert operator  # phonenumbers knows the prefix
    assert fields[3:8] == [fields[3], DELIVERED, "Poland", operator, "Poland"]
    assert Decimal(fields[8]) == message.recipient_price
    assert fields[9:] == ["Shop", "Delivered", "Test"]


@pytest.mark.parametrize("detail", [0, 1, 2])
def test_fmt_2_has_the_seeds_tags_in_the_seeds_order(smsc, message, detail):
    root = ET.fromstring(smsc("status", id=message.pk, phone=DELIVERED, fmt=2, all=detail))

    assert root.tag == "sms"
    assert [child.tag for child in root] == SEED_TAGS[detail]
    want = expected_values(message, DELIVERED)
    for child in root:
        if child.tag in want:
            assert child.text == str(want[child.tag]), child.tag


@pytest.mark.parametrize("detail", [0, 1, 2])
def test_fmt_3_has_the_seeds_keys_in_the_seeds_order(smsc, message, detail):
    answer = json.loads(smsc("status", id=message.pk, phone=DELIVERED, fmt=3, all=detail))

    assert list(answer) == SEED_TAGS[detail]
    want = expected_values(message, DELIVERED)
    assert {k: v for k, v in answer.items() if k in want} == {
        k: v for k, v in want.items() if k in answer
    }
    if detail:
        assert Decimal(answer["cost"]) == message.recipient_price  # a string, as in the seed


@pytest.mark.parametrize(
    "number, operator, mccmnc",
    [(DELIVERED, "T-Mobile", "26002"), ("48601100123", "Plus", "26001")],
)
def test_all_2_gives_poland_and_the_operator_of_the_prefix(
    smsc, api_service, simulator, number, operator, mccmnc
):
    assert carrier.name_for_number(phonenumbers.parse("+" + number), "en") == operator
    message = send(api_service, numbers=[number])
    deliver()

    answer = json.loads(smsc("status", id=message.pk, phone=number, fmt=3, all=2))

    assert (answer["country"], answer["region"]) == ("Poland", "Poland")
    assert (answer["operator"], answer["operator_orig"], answer["mccmnc"]) == (
        operator,
        operator,
        mccmnc,
    )


def test_a_flash_message_has_flag_and_type_1(smsc, api_service, simulator):
    message = send(api_service, numbers=[DELIVERED], flash=True)

    answer = json.loads(smsc("status", id=message.pk, phone=DELIVERED, fmt=3, all=1))

    assert (answer["flag"], answer["type"]) == (1, 1)


# -- which message: the phone in any format, nobody else's ------------------------------------


@pytest.mark.parametrize(
    "phone", ["48600100123", "+48 600 100 123", "0048600100123", "600100123", "600-100-123"]
)
def test_the_phone_may_be_written_in_any_format(smsc, message, phone):
    answer = json.loads(smsc("status", id=message.pk, phone=phone, fmt=3, all=1))

    assert (answer["status"], answer["phone"]) == (1, DELIVERED)


def test_a_phone_that_is_not_a_recipient_is_not_found(smsc, message):
    assert smsc("status", id=message.pk, phone="48600100124") == "Status = -3"


def test_another_customers_message_answers_as_one_that_does_not_exist(
    smsc, message, make_service, simulator
):
    other = send(make_service(balance=Decimal("5")), numbers=[DELIVERED])
    deliver()
    missing = other.pk + 1000

    for fmt in (0, 1, 2, 3):
        theirs = smsc("status", id=other.pk, phone=DELIVERED, fmt=fmt, all=1)
        nobodys = smsc("status", id=missing, phone=DELIVERED, fmt=fmt, all=1)
        assert theirs == nobodys
    assert theirs == '{"status": -3}'


@pytest.mark.parametrize(
    "fmt, answer",
    [
        (0, "Status = -3"),
        (1, "-3,0,0"),
        (2, "<sms>\n<status>-3</status>\n</sms>"),
        (3, '{"status": -3}'),
    ],
)
def test_not_found_in_each_fmt(smsc, api_service, fmt, answer):
    # seed 003: the status code alone in fmt 0, 2, 3; fmt 1 in a status's own shape.
    assert smsc("status", id="12345", phone=DELIVERED, fmt=fmt) == answer


@pytest.mark.parametrize("message_id", ["abc", "-1", "99999999999999999999999", "１２"])
def test_an_id_that_cannot_be_a_message_is_not_found(smsc, api_service, message_id):
    assert smsc("status", id=message_id, phone=DELIVERED, charset="utf-8") == "Status = -3"


# -- many pairs (seed 003 "When multiple statuses are requested") -----------------------------


def test_comma_lists_answer_each_pair_in_order_with_id_and_phone(smsc, message):
    ids = f"{message.pk},{message.pk},{message.pk + 1000}"
    phones = f"{REJECTED},+48 600 100 123,{DELIVERED}"

    lines = smsc("status", id=ids, phone=phones, fmt=1).split("\n")

    rejected = message.recipients.get(number=REJECTED).status_at
    delivered = message.recipients.get(number=DELIVERED).status_at
    assert lines == [
        f"25,{int(rejected.timestamp())},255,{message.pk},{REJECTED}",
        f"1,{int(delivered.timestamp())},0,{message.pk},{DELIVERED}",
        f"-3,0,0,{message.pk + 1000},{DELIVERED}",
    ]


def test_many_in_fmt_0_adds_id_and_at_all_0_the_phone(smsc, message, minute):
    ids, phones = f"{message.pk},{message.pk}", f"{DELIVERED},{EXPIRED}"

    plain = smsc("status", id=ids, phone=phones).split("\n")
    minute.next()
    full = smsc("status", id=ids, phone=phones, all=1).split("\n")

    assert [fmt0_names(line)[-2:] for line in plain] == [["id", "phone"]] * 2
    assert [fmt0_values(line)["phone"] for line in plain] == [DELIVERED, EXPIRED]
    assert [fmt0_names(line) for line in full] == [[*SEED_FMT0[1], "id"]] * 2
    assert [fmt0_values(line)["id"] for line in full] == [str(message.pk)] * 2


def test_many_in_fmt_1_with_all_puts_the_id_before_the_text(smsc, message):
    lines = smsc("status", id=f"{message.pk},", phone=f"{DELIVERED},", fmt=1, all=1).split("\n")

    assert len(lines) == 1
    assert lines[0].split(",")[-2:] == [str(message.pk), "Test"]


def test_many_in_fmt_2_is_a_list_of_sms_each_with_id(smsc, message):
    root = ET.fromstring(
        smsc("status", id=f"{message.pk},{message.pk}", phone=f"{DELIVERED},{EXPIRED}", fmt=2)
    )

    assert root.tag == "list"
    assert [[c.tag for c in sms] for sms in root] == [[*SEED_TAGS[0], "id", "phone"]] * 2
    assert [(sms.findtext("status"), sms.findtext("phone")) for sms in root] == [
        ("1", DELIVERED),
        ("3", EXPIRED),
    ]


def test_many_in_fmt_3_is_an_array_each_with_id(smsc, message):
    answer = json.loads(
        smsc(
            "status", id=f"{message.pk},{message.pk}", phone=f"{DELIVERED},{EXPIRED}", fmt=3, all=2
        )
    )

    assert [list(item) for item in answer] == [[*SEED_TAGS[2], "id"]] * 2
    assert [(a["status"], a["id"], a["phone"]) for a in answer] == [
        (1, message.pk, DELIVERED),
        (3, message.pk, EXPIRED),
    ]


@pytest.mark.parametrize("fmt", [0, 1, 2, 3])
def test_a_trailing_comma_keeps_the_list_form_for_one_message(smsc, message, minute, fmt):
    single = smsc("status", id=message.pk, phone=DELIVERED, fmt=fmt)
    listed = smsc("status", id=f"{message.pk},", phone=f"{DELIVERED},", fmt=fmt)

    assert single != listed
    if fmt == 0:
        assert listed == f"{single}, id = {message.pk}, phone = {DELIVERED}"
    elif fmt == 1:
        assert listed == f"{single},{message.pk},{DELIVERED}"
    elif fmt == 2:
        assert ET.fromstring(listed).tag == "list"
        assert ET.fromstring(listed)[0].findtext("id") == str(message.pk)
    else:
        assert json.loads(listed) == [{**json.loads(single), "id": message.pk, "phone": DELIVERED}]


# -- del=1 (seed 003 "Deleting a message") ----------------------------------------------------


def ledger_of(service):
    return list(
        LedgerEntry.objects.filter(service=service).order_by("pk").values_list("kind", "amount")
    )


def test_del_deletes_only_the_sms_of_that_phone(smsc, api, message):
    # seed 003: a status is per (id, phone), and del=1 deletes that SMS.
    assert smsc("status", id=message.pk, phone=DELIVERED, **{"del": 1}) == "OK"

    assert smsc("status", id=message.pk, phone=DELIVERED) == "Status = -3"
    assert smsc("status", id=message.pk, phone=REJECTED).startswith("Status = 25,")
    progress = api(f"getProgress/{message.pk}/").json()
    assert DELIVERED not in [r["number"] for r in progress["recipient_list"]]
    assert (progress["recipient_count"], progress["success_count"]) == (3, 0)
    assert smsc("status", id=message.pk, phone=REJECTED, **{"del": 1}) == "OK"


@pytest.mark.parametrize(
    "fmt, ok", [(0, "OK"), (1, "OK"), (2, "<result>OK</result>"), (3, '{"result": "OK"}')]
)
def test_del_of_the_last_sms_deletes_the_message_and_keeps_the_money_trail(
    smsc, api, api_service, message, fmt, ok
):
    entries = ledger_of(api_service)
    kinds = [LedgerKind.TOP_UP, LedgerKind.CHARGE, LedgerKind.REFUND]  # refund: the failures
    assert [kind for kind, _ in entries] == kinds
    ids = ",".join([str(message.pk)] * len(NUMBERS))

    assert smsc("status", id=ids, phone=",".join(NUMBERS), fmt=fmt, **{"del": 1}) == ok

    assert smsc("status", id=message.pk, phone=DELIVERED) == "Status = -3"
    assert api(f"getProgress/{message.pk}/").json()["error"] == "MESSAGE_ID_NOT_FOUND"
    assert ledger_of(api_service) == entries
    kept = Message.objects.get(pk=message.pk)
    assert kept.deleted_at is not None and kept.text == ""
    assert (kept.recipient_count, kept.price) == (4, message.price)
    assert kept.recipients.count() == 4


def test_del_of_a_final_sms_while_another_of_its_message_is_pending(smsc, message):
    Recipient.objects.filter(message=message, number=EXPIRED).update(status=Status.PENDING)

    assert smsc("status", id=message.pk, phone=DELIVERED, **{"del": 1}) == "OK"
    assert smsc("status", id=message.pk, phone=EXPIRED, **{"del": 1}) == "ERROR = 5 (delete error)"
    assert smsc("status", id=message.pk, phone=EXPIRED).startswith("Status = -1,")


def test_del_twice_answers_error_5_the_second_time(smsc, message):
    assert smsc("status", id=message.pk, phone=DELIVERED, **{"del": 1}) == "OK"

    assert smsc("status", id=message.pk, phone=DELIVERED, **{"del": 1}) == (
        "ERROR = 5 (delete error)"
    )


def test_del_of_a_message_still_pending_is_error_5_and_keeps_it(smsc, api_service):
    message = send(api_service, numbers=[DELIVERED])

    assert smsc("status", id=message.pk, phone=DELIVERED, fmt=1, **{"del": 1}) == "0,-5"
    assert smsc("status", id=message.pk, phone=DELIVERED, fmt=1).startswith("-1,")
    assert not Recipient.objects.filter(deleted_at__isnull=False).exists()


def test_del_of_another_customers_message_is_error_5(smsc, message, make_service, simulator):
    other = send(make_service(balance=Decimal("5")), numbers=[DELIVERED])
    deliver()

    assert smsc("status", id=other.pk, phone=DELIVERED, fmt=3, **{"del": 1}) == (
        '{"error": "delete error", "error_code": 5}'
    )
    assert not Recipient.objects.filter(deleted_at__isnull=False).exists()


def test_del_with_a_phone_that_is_not_a_recipient_is_error_5(smsc, message):
    assert smsc("status", id=message.pk, phone="48600100124", **{"del": 1}) == (
        "ERROR = 5 (delete error)"
    )
    assert not Recipient.objects.filter(deleted_at__isnull=False).exists()


@pytest.mark.parametrize("message_id", ["abc", "99999999999999999999999", "１２"])
def test_del_with_an_id_that_cannot_be_a_message_is_error_5(smsc, api_service, message_id):
    # 23 digits overflow a bigint: still an answer, never HTTP 500.
    answer = smsc("status", id=message_id, phone=DELIVERED, charset="utf-8", **{"del": 1})

    assert answer == "ERROR = 5 (delete error)"


# -- error 9: per login and minute (seed 003) -------------------------------------------------

TOO_MANY = "ERROR = 9 (duplicate request, wait a minute)"


def test_the_sixth_request_for_one_message_in_a_minute_is_error_9(smsc, message, minute):
    answers = [smsc("status", id=message.pk, phone=DELIVERED) for _ in range(6)]

    assert answers[:5] == [answers[0]] * 5
    assert answers[0].startswith("Status = 1,")
    assert answers[5] == TOO_MANY
    minute.next()
    assert smsc("status", id=message.pk, phone=DELIVERED) == answers[0]


def test_one_message_spelt_differently_is_still_the_same_message(smsc, message, minute):
    spellings = ["48600100123", "+48 600 100 123", "0048600100123", "600100123", "600-100-123"]
    for phone in spellings:
        assert smsc("status", id=message.pk, phone=phone).startswith("Status = 1,")

    assert smsc("status", id=f"0{message.pk}", phone=DELIVERED) == TOO_MANY


def test_another_message_is_counted_on_its_own(smsc, message, minute):
    for _ in range(6):
        smsc("status", id=message.pk, phone=DELIVERED)

    assert smsc("status", id=message.pk, phone=EXPIRED).startswith("Status = 3,")


def test_the_second_mass_request_in_a_minute_is_error_9(smsc, message, minute):
    ids, phones = f"{message.pk},{message.pk}", f"{DELIVERED},{EXPIRED}"

    first = smsc("status", id=ids, phone=phones, fmt=1)
    second = smsc("status", id=ids, phone=phones, fmt=1)
    other_pairs = smsc("status", id=f"{message.pk},", phone=f"{REJECTED},", fmt=1)

    assert first.startswith("1,")
    assert (second, other_pairs) == ("0,-9", "0,-9")
    minute.next()
    assert smsc("status", id=ids, phone=phones, fmt=1) == first


def test_another_login_is_counted_separately(smsc, call, message, other_login, minute):
    theirs = send(other_login.service, numbers=[DELIVERED])
    ids, phones = f"{message.pk},{message.pk}", f"{DELIVERED},{EXPIRED}"
    assert smsc("status", id=ids, phone=phones, fmt=1).startswith("1,")
    for _ in range(5):
        smsc("status", id=message.pk, phone=DELIVERED)
    assert smsc("status", id=ids, phone=phones) == TOO_MANY
    assert smsc("status", id=message.pk, phone=DELIVERED) == TOO_MANY

    mass = decoded(call("status", **other_login.fields(id=f"{theirs.pk},", phone=f"{DELIVERED},")))
    single = decoded(call("status", **other_login.fields(id=theirs.pk, phone=DELIVERED)))

    assert mass.startswith("Status = -1,")
    assert single.startswith("Status = -1,")


def test_del_is_not_counted_as_a_status_request(smsc, message, minute):
    for _ in range(5):
        smsc("status", id=message.pk, phone=DELIVERED)
    assert smsc("status", id=message.pk, phone=DELIVERED, **{"del": 1}) == "OK"


def test_a_mass_del_after_a_mass_status_request_in_the_same_minute_is_answered(
    smsc, message, minute
):
    ids, phones = f"{message.pk},{message.pk}", f"{DELIVERED},{EXPIRED}"
    assert smsc("status", id=ids, phone=phones, fmt=1).startswith("1,")

    assert smsc("status", id=ids, phone=phones, fmt=1, **{"del": 1}) == "OK"


def test_the_second_mass_del_in_a_minute_is_error_9(smsc, message, minute):
    # seed 003: del takes the status request's parameters and errors, error 9 included.
    first = smsc("status", id=f"{message.pk},", phone=f"{DELIVERED},", **{"del": 1})
    second = smsc("status", id=f"{message.pk},", phone=f"{EXPIRED},", **{"del": 1})

    assert (first, second) == ("OK", TOO_MANY)
    assert smsc("status", id=message.pk, phone=EXPIRED).startswith("Status = 3,")
    minute.next()
    assert smsc("status", id=f"{message.pk},", phone=f"{EXPIRED},", **{"del": 1}) == "OK"


def test_the_sixth_del_of_one_sms_in_a_minute_is_error_9(smsc, message, minute):
    answers = [smsc("status", id=message.pk, phone=DELIVERED, **{"del": 1}) for _ in range(6)]

    assert answers == ["OK"] + ["ERROR = 5 (delete error)"] * 4 + [TOO_MANY]


# -- error 1 ----------------------------------------------------------------------------------

PARAMETERS = "ERROR = 1 (parameters error)"


@pytest.mark.parametrize(
    "fields",
    [
        {"id": "1,2", "phone": DELIVERED},
        {"id": "1", "phone": f"{DELIVERED},{EXPIRED}"},
        {"id": "1,,2", "phone": f"{DELIVERED},{EXPIRED},{REJECTED}"},
        {"id": "1"},
        {"phone": DELIVERED},
        {"id": "", "phone": DELIVERED},
        {"id": "1", "phone": " "},
        {"id": "1", "phone": DELIVERED, "all": "3"},
        {"id": "1", "phone": DELIVERED, "del": "1", "all": "x"},
        {"id": "1", "phone": DELIVERED, "charset": "latin-2"},
    ],
)
def test_error_1_for_fields_that_do_not_fit(smsc, message, fields):
    assert smsc("status", **fields) == PARAMETERS


def test_an_unknown_fmt_answers_error_1_in_fmt_0(smsc, message):
    assert smsc("status", id=message.pk, phone=DELIVERED, fmt="4") == PARAMETERS


# -- who may ask: errors 2 and 4, md5, HTTP 200 (the same for every /sys/ endpoint) -----------

ENDPOINTS = {
    "status": {"id": "1", "phone": DELIVERED},
    "senders": {"get": "1"},
    "send": {"phones": DELIVERED, "mes": "Hi"},
    "balance": {},
}
AUTHORISE = {
    0: "ERROR = 2 (authorise error)",
    1: "0,-2",
    2: "<result>\n<error>authorise error</error>\n<error_code>2</error_code>\n</result>",
    3: '{"error": "authorise error", "error_code": 2}',
}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("fmt", [0, 1, 2, 3])
def test_error_2_for_a_wrong_password_in_each_fmt(call, api_service, endpoint, fmt):
    fields = {"login": SEED_USERNAME, "psw": "not-topsecret", "fmt": fmt, **ENDPOINTS[endpoint]}

    assert decoded(call(endpoint, **fields)) == AUTHORISE[fmt]
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    "credentials",
    [
        {"login": "sms_nobody", "psw": SEED_PASSWORD},
        {"login": SEED_USERNAME},
        {"psw": SEED_PASSWORD},
        {"login": SEED_USERNAME, "psw": ""},
        {"login": SEED_USERNAME, "psw": PASSWORD_MD5.upper()},
        {"login": SEED_USERNAME, "psw": "e5" + PASSWORD_MD5[2:]},
    ],
)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_error_2_for_credentials_that_are_not_the_services(
    call, api_service, endpoint, credentials
):
    answer = decoded(call(endpoint, fmt=1, **credentials, **ENDPOINTS[endpoint]))

    assert answer == "0,-2"
    assert not Message.objects.exists()


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_error_2_for_the_right_password_from_an_address_off_the_allowlist(api_service, endpoint):
    client = Client(REMOTE_ADDR="203.0.113.9")
    fields = {"login": SEED_USERNAME, "psw": SEED_PASSWORD, "fmt": 1, **ENDPOINTS[endpoint]}

    assert decoded(client.get(f"/sys/{endpoint}.php", fields)) == "0,-2"
    assert not Message.objects.exists()


def test_error_2_when_the_allowlist_is_empty(smsc, api_service):
    AllowedAddress.objects.filter(service=api_service).delete()

    assert smsc("balance", fmt=1) == "0,-2"


@pytest.fixture
def failure_limit(settings):
    settings.API_LOGIN_FAILURE_LIMIT = 3
    settings.API_LOGIN_FAILURE_WINDOW = 600
    return 3


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_error_4_while_the_address_is_blocked_after_failed_logins(
    api_service, failure_limit, endpoint
):
    client = Client(REMOTE_ADDR="203.0.113.9")  # off the allowlist
    fields = {"login": SEED_USERNAME, "fmt": 1, **ENDPOINTS[endpoint]}
    wrong = [
        decoded(client.get(f"/sys/{endpoint}.php", {**fields, "psw": f"guess{n}"}))
        for n in range(failure_limit)
    ]

    right = client.get(f"/sys/{endpoint}.php", {**fields, "psw": SEED_PASSWORD})

    assert wrong == ["0,-2"] * failure_limit
    assert decoded(right) == "0,-4"
    other_fmt = client.get(f"/sys/{endpoint}.php", {**fields, "psw": "x", "fmt": 0})
    assert decoded(other_fmt) == "ERROR = 4 (IP blocked)"
    assert not Message.objects.exists()


def test_the_block_holds_for_other_logins_from_that_address(api_service, failure_limit):
    client = Client(REMOTE_ADDR="203.0.113.9")
    for n in range(failure_limit):
        client.get("/sys/balance.php", {"login": f"sms_guess{n}", "psw": "x", "fmt": 1})

    answer = client.get("/sys/balance.php", {"login": "sms_other", "psw": "x", "fmt": 1})

    assert decoded(answer) == "0,-4"


def test_below_the_failure_limit_the_right_password_gets_in(smsc, api_service, failure_limit):
    for _ in range(failure_limit - 1):
        assert smsc("balance", fmt=1, psw="guess") == "0,-2"

    assert smsc("balance", fmt=1) == "100.00"


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_the_lowercase_md5_of_the_password_works_on_every_endpoint(
    call, api_service, simulator, endpoint, method
):
    fields = {"login": SEED_USERNAME, "psw": PASSWORD_MD5, "fmt": 3, **ENDPOINTS[endpoint]}

    answer = json.loads(decoded(call(endpoint, method, **fields)))

    assert "error" not in answer, answer


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("charset", ["windows-1251", "utf-8", "koi8-r", ""])
@pytest.mark.parametrize("psw", [SEED_PASSWORD, "wrong"])
def test_every_answer_is_http_200_naming_its_charset(call, api_service, endpoint, charset, psw):
    fields = {"login": SEED_USERNAME, "psw": psw, "charset": charset, **ENDPOINTS[endpoint]}

    response = call(endpoint, **fields)

    assert response.status_code == 200
    assert response["Content-Type"] == f"text/plain; charset={charset or 'windows-1251'}"


@pytest.mark.parametrize(
    "fmt, content_type",
    [(0, "text/plain"), (1, "text/plain"), (2, "text/xml"), (3, "application/json")],
)
def test_the_content_type_follows_the_fmt(call, api_service, fmt, content_type):
    response = call("balance", login=SEED_USERNAME, psw=SEED_PASSWORD, fmt=fmt, charset="utf-8")

    assert response["Content-Type"] == f"{content_type}; charset=utf-8"


def test_post_answers_as_get_does(smsc, message, minute):
    by_get = smsc("status", id=message.pk, phone=DELIVERED, fmt=3, all=2)
    by_post = smsc("status", "post", id=message.pk, phone=DELIVERED, fmt=3, all=2)

    assert by_post == by_get
    assert json.loads(by_post)["status"] == 1


def test_messages_of_every_recipient_status_have_a_code():
    assert set(codes.STATUS_CODES) == set(Status)
    assert all(code in codes.STATUS_NAMES for code, _ in codes.STATUS_CODES.values())


def test_pairs_for_every_number_of_a_message_come_back_in_order(smsc, message):
    ids = ",".join([str(message.pk)] * len(NUMBERS))

    answer = json.loads(smsc("status", id=ids, phone=",".join(NUMBERS), fmt=3))

    assert [(a["phone"], a["status"], a["err"]) for a in answer] == [
        (REJECTED, 25, 255),
        (EXPIRED, 3, 0),
        (REMOTE_ERROR, 20, 255),
        (DELIVERED, 1, 0),
    ]


def test_del_of_several_pairs_deletes_all_or_none(smsc, api_service, simulator, minute):
    first = services.submit(
        api_service.pk, services.SendRequest(recipients=["48501234567"], text="one")
    ).message
    second = services.submit(
        api_service.pk, services.SendRequest(recipients=["48501234568"], text="two")
    ).message
    deliver()
    refused = smsc(
        "status", **{"del": 1}, id=f"{first.pk},{second.pk}", phone="48501234567,48509999999", fmt=3
    )
    assert '"error_code": 5' in refused
    assert Message.objects.filter(deleted_at=None).count() == 2  # the first one stays too
    minute.next()  # one mass request a minute
    done = smsc(
        "status", **{"del": 1}, id=f"{first.pk},{second.pk}", phone="48501234567,48501234568", fmt=3
    )
    assert "OK" in done
    assert Message.objects.filter(deleted_at=None).count() == 0


# -- del=1 of many pairs: one lookup, at most MAX_DELETE_PAIRS -------------------------------


def test_del_of_more_pairs_than_the_cap_is_error_1(smsc, message):
    over = views.MAX_DELETE_PAIRS + 1
    ids, phones = ",".join([str(message.pk)] * over), ",".join([DELIVERED] * over)

    assert smsc("status", method="post", id=ids, phone=phones, **{"del": 1}) == PARAMETERS
    assert not Recipient.objects.filter(deleted_at__isnull=False).exists()


def test_del_of_as_many_pairs_as_the_cap_is_answered(smsc, message):
    count = views.MAX_DELETE_PAIRS
    ids, phones = ",".join([str(message.pk)] * count), ",".join([DELIVERED] * count)

    assert smsc("status", method="post", id=ids, phone=phones, **{"del": 1}) == "OK"


def test_del_looks_its_pairs_up_in_one_query_however_many(smsc, api_service, simulator, minute):
    sent = [send(api_service, numbers=[DELIVERED]) for _ in range(12)]
    deliver()
    smsc("balance")  # the credentials cached, as for any client after its first call

    def queries(messages):
        minute.next()
        ids, phones = ",".join(str(m.pk) for m in messages), ",".join([DELIVERED] * len(messages))
        with CaptureQueriesContext(connection) as captured:
            assert smsc("status", id=ids, phone=phones, **{"del": 1}) == "OK"
        return len(captured)

    assert queries(sent[:2]) == queries(sent[2:])
