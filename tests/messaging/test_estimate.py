"""``estimate``: submit's own reading and checks, nothing written; when a check
refuses, the figures are still counted and ``problem`` is the refusal submit
would raise first."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import SenderId, SenderStatus
from messaging import services
from messaging.models import Message
from tests.messaging.test_gsm7 import GSM_TABLE

pytestmark = pytest.mark.django_db

TOO_LONG = "x" * (GSM_TABLE[5] + 1)


@pytest.fixture
def service(make_service):
    return make_service(balance=Decimal("10"))


def estimate(service, **fields) -> services.Estimate:
    fields.setdefault("recipients", ["501234567"])
    fields.setdefault("text", "Hi")
    return services.estimate(service.pk, services.SendRequest(**fields))


def test_an_accepted_request_counts_what_submit_charges(service):
    SenderId.objects.create(service=service, name="Shop", status=SenderStatus.ALLOWED)
    request = services.SendRequest(
        recipients=["501234567", "12", "48501234567"], text="Dzień dobry", sender="Shop"
    )

    counted = services.estimate(service.pk, request)
    message = services.submit(service.pk, request).message

    assert counted.problem is None
    assert (counted.parts, counted.encoding, counted.numbers) == (message.parts, "UCS-2", 1)
    assert (counted.recipient_price, counted.price) == (message.recipient_price, message.price)
    assert counted.dropped == 1 and counted.ucs2_because == "ń"


def test_nothing_is_written(service):
    estimate(service)
    service.refresh_from_db()
    assert not Message.objects.exists() and service.balance == Decimal("10")


def test_a_refused_sender_is_counted_on_the_standard_route(service):
    counted = estimate(service, sender="Nobody", express=True)

    assert isinstance(counted.problem, services.SenderNotRegistered)
    assert counted.max_parts == 6
    assert counted.express is True  # one recipient on the standard route
    assert counted.price == Decimal("0.1050")


def test_an_unconfirmed_number_is_refused_and_counted_on_the_standard_route(service):
    SenderId.objects.create(service=service, name="48501234567", status=SenderStatus.ALLOWED)

    counted = estimate(service, sender="48501234567")

    assert isinstance(counted.problem, services.SenderNotVerified)
    assert counted.price == Decimal("0.0700")


def test_the_first_refusal_wins_and_every_figure_is_still_counted(service):
    counted = estimate(service, recipients=["12", ""], text=TOO_LONG, sender="Nobody")

    assert isinstance(counted.problem, services.RecipientListEmpty)
    assert (counted.numbers, counted.dropped) == (0, 1)
    assert (counted.parts, counted.max_parts, counted.characters) == (7, 6, len(TOO_LONG))
    assert counted.price == 0


def test_an_empty_text_is_refused_and_counted(service):
    counted = estimate(service, text="  ")

    assert isinstance(counted.problem, services.EmptyText)
    assert (counted.characters, counted.parts, counted.numbers) == (2, 1, 1)


def test_the_schedule_is_refused_before_the_sender(service):
    far = timezone.now() + timedelta(days=200)

    counted = estimate(service, sender="Nobody", send_at=far)

    assert isinstance(counted.problem, services.ScheduleTooFar)


def test_the_text_is_counted_as_it_would_be_sent(service):
    counted = estimate(service, text="Zażółć", remove_special_characters=True, sender="Nobody")

    assert (counted.encoding, counted.characters, counted.ucs2_because) == ("GSM-7", 6, "")


def test_a_request_the_service_cannot_pay_names_the_funds(make_service):
    poor = make_service(balance=Decimal("0.01"))

    counted = estimate(poor)

    assert isinstance(counted.problem, services.InsufficientFunds)
    assert counted.balance_after == Decimal("0.01") - counted.price
