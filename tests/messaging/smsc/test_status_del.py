"""``/sys/status.php`` with ``del=1`` (seed 003 "Deleting a message"): one SMS, a
message's last, many pairs all or none, at most MAX_DELETE_PAIRS in one lookup."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import LedgerEntry, LedgerKind
from messaging import services
from messaging.models import Message, Recipient, Status
from messaging.smsc import views
from tests.sending import NUMBERS, send

from .answers import PARAMETERS
from .conftest import DELIVERED, EXPIRED, REJECTED, deliver

pytestmark = pytest.mark.django_db


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
