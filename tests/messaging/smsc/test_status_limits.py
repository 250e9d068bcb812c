"""``/sys/status.php``'s error 9 (seed 003): at most five requests for one SMS and one
mass request a minute, per login, ``del=1`` included."""

import pytest

from tests.sending import send

from .conftest import DELIVERED, EXPIRED, REJECTED, decoded

pytestmark = pytest.mark.django_db

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
