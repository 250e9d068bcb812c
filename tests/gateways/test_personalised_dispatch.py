"""The dispatcher sends each recipient of a personalised send its own text and parts,
and a failed one is refunded its own price."""

from decimal import Decimal
from unittest import mock

import pytest

from accounts import ledger
from gateways import dispatch
from gateways.drivers.base import Outgoing
from gateways.models import SimulatedSms
from messaging import services
from messaging.models import Status

pytestmark = pytest.mark.django_db

UCS_2 = "Zażółć gęślą jaźń " * 4  # 72 characters: two UCS-2 parts


def test_each_recipient_goes_with_its_own_text(api_service, simulator):
    numbers = ["48600100123", "48600100124", "48600100000"]
    request = services.SendRequest(
        recipients=numbers, text="", texts=["Cześć Jan", "Cześć Ala", UCS_2]
    )
    message = services.submit(api_service.pk, request).message
    before = ledger.ledger_balance(api_service.pk)
    sent_batches = []
    real_route = dispatch.route

    def spy(claimed):
        plan, unroutable, waiting = real_route(claimed)
        sent_batches.extend(item for items in plan.values() for item in items)
        return plan, unroutable, waiting

    with mock.patch.object(dispatch, "route", spy):
        assert dispatch.dispatch_batch() == 3

    assert {(o.number, o.text, o.parts) for o in sent_batches} == {
        ("48600100123", "Cześć Jan", 1),
        ("48600100124", "Cześć Ala", 1),
        ("48600100000", UCS_2, 2),
    }
    assert all(isinstance(o, Outgoing) for o in sent_batches)
    assert dict(SimulatedSms.objects.values_list("number", "text")) == {
        "48600100123": "Cześć Jan",
        "48600100124": "Cześć Ala",
        "48600100000": UCS_2,
    }
    # The simulator rejects ...000: refunded its own two parts, once.
    rejected = message.recipients.get(number="48600100000")
    assert rejected.status == Status.REJECTED and rejected.refunded
    assert ledger.ledger_balance(api_service.pk) == before + 2 * Decimal("0.0700")
