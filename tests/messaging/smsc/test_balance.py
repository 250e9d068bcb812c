"""``/sys/balance.php``: the service's balance in each fmt; with fmt=1 the balance alone."""

import json
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from accounts import ledger
from accounts.models import Service

from .conftest import decoded

pytestmark = pytest.mark.django_db


@pytest.fixture
def with_credit(api_service):
    Service.objects.filter(pk=api_service.pk).update(credit_limit=Decimal("25.50"))
    return api_service


@pytest.mark.parametrize("fmt", [0, 1])
def test_fmt_0_and_1_answer_the_balance_alone(smsc, with_credit, fmt):
    # The official clients take a second field of fmt 1 for an error.
    assert smsc("balance", fmt=fmt) == "100.00"


def test_without_fmt_it_is_fmt_0(smsc, api_service):
    assert smsc("balance") == "100.00"


def test_fmt_2_adds_the_credit_limit_and_the_currency(smsc, with_credit):
    root = ET.fromstring(smsc("balance", fmt=2))

    assert root.tag == "balance"
    assert [(child.tag, child.text) for child in root] == [
        ("balance", "100.00"),
        ("credit", "25.50"),
        ("currency", "PLN"),
    ]


def test_fmt_3_adds_the_credit_limit_and_the_currency(smsc, with_credit):
    assert json.loads(smsc("balance", fmt=3)) == {
        "balance": "100.00",
        "credit": "25.50",
        "currency": "PLN",
    }


def test_the_balance_follows_sends_and_top_ups(smsc, api_service):
    answer = smsc("send", phones="48600100123", mes="Hi", cost=3, fmt=1)
    after_send = answer.split(",")[3]

    assert smsc("balance", fmt=1) == after_send
    assert Decimal(after_send) < Decimal("100.00")
    ledger.top_up(api_service.pk, Decimal("10.005"), note="test: top-up")
    assert Decimal(smsc("balance", fmt=1)) == Decimal(after_send) + Decimal("10.005")


@pytest.mark.parametrize(
    "amount, shown",
    [("0", "0.00"), ("12.5", "12.50"), ("0.1234", "0.1234"), ("1234567.8", "1234567.80")],
)
def test_the_balance_is_printed_with_at_least_two_decimals(call, other_login, amount, shown):
    ledger.adjust(other_login.service.pk, Decimal(amount) - Decimal("100.00"), note="test")

    assert decoded(call("balance", **other_login.fields(fmt=1))) == shown


def test_each_login_sees_its_own_balance(smsc, call, other_login):
    ledger.top_up(other_login.service.pk, Decimal("1.00"), note="test")

    assert smsc("balance", fmt=1) == "100.00"
    assert decoded(call("balance", **other_login.fields(fmt=1))) == "101.00"
