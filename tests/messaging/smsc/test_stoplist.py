"""send.php and the STOP list: a stopped number counts as one it cannot deliver to."""

from decimal import Decimal

import pytest

from accounts.models import LedgerEntry, LedgerKind
from messaging import stoplist
from messaging.models import Message, Recipient, StopVia

pytestmark = pytest.mark.django_db

NUMBER, STOPPED = "48600100123", "48600100124"


@pytest.fixture
def stopped(api_service):
    stoplist.add(api_service.customer_id, [STOPPED], StopVia.PANEL)


def test_a_stopped_number_is_left_out_of_cnt_and_cost(smsc, api_service, stopped):
    answer = smsc("send", phones=f"{NUMBER},{STOPPED}", mes="Hi", cost=2, fmt=1)

    message_id, count, cost = answer.split(",")[:3]
    message = Message.objects.get(pk=int(message_id))
    assert count == "1"
    assert Decimal(cost) == message.price == message.recipient_price
    assert list(Recipient.objects.values_list("number", flat=True)) == [NUMBER]
    charge = LedgerEntry.objects.get(service=api_service, kind=LedgerKind.CHARGE)
    assert -charge.amount == message.recipient_price


def test_cost_1_prices_without_the_stopped_number(smsc, api_service, stopped):
    both = smsc("send", phones=f"{NUMBER},{STOPPED}", mes="Hi", cost=1, fmt=1)
    one = smsc("send", phones=NUMBER, mes="Hi", cost=1, fmt=1)

    assert both == one
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        (0, "ERROR = 8 (cannot be delivered)"),
        (1, "0,-8"),
    ],
)
def test_only_stopped_numbers_is_error_8(smsc, api_service, stopped, fmt, expected):
    answer = smsc("send", phones=STOPPED, mes="Hi", fmt=fmt)

    assert answer == expected
    assert not Message.objects.exists()
    assert not LedgerEntry.objects.filter(service=api_service, kind=LedgerKind.CHARGE).exists()


def test_the_platform_list_too(smsc, api_service):
    stoplist.add(None, [STOPPED], StopVia.ADMIN)
    assert smsc("send", phones=STOPPED, mes="Hi", fmt=1) == "0,-8"
