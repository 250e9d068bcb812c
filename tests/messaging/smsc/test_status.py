"""``/sys/status.php`` (seed 003) for one message: our statuses in SMSC's codes, the
answer in every fmt and ``all``, which message a pair names, and error 1. Many pairs,
``del=1`` and error 9 have files of their own."""

import json
import xml.etree.ElementTree as ET
from datetime import timedelta
from decimal import Decimal

import phonenumbers
import pytest
from django.utils import timezone
from phonenumbers import carrier

from accounts.models import Service, ServiceState
from gateways.models import Gateway
from messaging import services
from messaging.models import Status
from messaging.smsc import codes
from tests.sending import send

from .answers import PARAMETERS, SEED_FMT0, SEED_TAGS, fmt0_names, fmt0_values
from .conftest import DELIVERED, EXPIRED, REJECTED, REMOTE_ERROR, deliver

pytestmark = pytest.mark.django_db


def local_date(moment) -> str:
    return timezone.localtime(moment).strftime("%d.%m.%Y %H:%M:%S")


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


def test_messages_of_every_recipient_status_have_a_code():
    assert set(codes.STATUS_CODES) == set(Status)
    assert all(code in codes.STATUS_NAMES for code, _ in codes.STATUS_CODES.values())


# -- the answer for one message, each fmt and all (seed 003) ----------------------------------


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


# -- error 1 ----------------------------------------------------------------------------------


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
