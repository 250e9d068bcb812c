"""Quiet hours in the send pipeline (messaging.services._prepare): a send due outside the
service's window is stored for the window's next opening, and the dispatcher keeps it
until then; express and sender-code SMS leave at once."""

from datetime import timedelta
from decimal import Decimal

import pytest

from accounts.models import QuietHours, SenderId
from gateways import dispatch
from messaging import services
from messaging.models import Source, Status
from tests.quiet_hours import (
    MONDAY_EVENING,
    SHOP_HOURS,
    TUESDAY_OPENING,
    freeze,
    switch_on,
    warsaw,
)
from tests.sending import send

pytestmark = pytest.mark.django_db


@pytest.fixture
def evening(monkeypatch, service):
    """Alice's service with the shop's hours, on Monday at 21:30: outside the window."""
    switch_on(service)
    freeze(monkeypatch, MONDAY_EVENING)
    return service


def request(**fields) -> services.SendRequest:
    return services.SendRequest(recipients=["48600100123"], text="Hej", **fields)


def test_a_send_outside_the_window_waits_for_its_next_opening(evening):
    message = services.submit(evening.pk, request()).message

    assert message.created_at == MONDAY_EVENING
    assert message.send_at == TUESDAY_OPENING
    recipient = message.recipients.get()
    assert (recipient.status, recipient.send_at) == (Status.PENDING, TUESDAY_OPENING)


def test_a_send_inside_the_window_leaves_now(monkeypatch, service):
    switch_on(service)
    noon = warsaw(2026, 12, 7, 12, 0)
    freeze(monkeypatch, noon)

    assert services.submit(service.pk, request()).message.send_at == noon


def test_quiet_hours_switched_off_change_nothing(monkeypatch, service):
    QuietHours.objects.create(service=service, enabled=False, **SHOP_HOURS)
    freeze(monkeypatch, MONDAY_EVENING)

    assert services.submit(service.pk, request()).message.send_at == MONDAY_EVENING


def test_another_services_quiet_hours_change_nothing(evening, make_service):
    other = make_service(username="bob", balance=Decimal("10.00"))

    assert services.submit(other.pk, request()).message.send_at == MONDAY_EVENING


def test_a_time_the_customer_chose_inside_the_window_is_kept(evening):
    chosen = warsaw(2026, 12, 8, 9, 15)

    assert services.submit(evening.pk, request(send_at=chosen)).message.send_at == chosen


def test_a_time_the_customer_chose_outside_the_window_moves_to_the_next_opening(evening):
    # Tuesday 22:00 → Wednesday 08:00: the window is the customer's promise to its
    # recipients, and a time typed by hand does not break it.
    chosen = warsaw(2026, 12, 8, 22, 0)

    message = services.submit(evening.pk, request(send_at=chosen)).message

    assert message.send_at == warsaw(2026, 12, 9, 8, 0)


def test_express_leaves_at_once(evening):
    message = services.submit(evening.pk, request(express=True)).message

    assert message.express
    assert message.send_at == MONDAY_EVENING


def test_express_asked_for_many_recipients_is_an_ordinary_send_and_waits(evening):
    # Express is ignored for more than one recipient (seed 001 §4): so is its exemption.
    both = services.SendRequest(recipients=["48600100123", "48600100124"], text="Hej", express=True)

    message = services.submit(evening.pk, both).message

    assert not message.express
    assert message.send_at == TUESDAY_OPENING


def test_a_sender_code_leaves_at_once(evening):
    sender = SenderId.objects.create(service=evening, name="48501234567")

    message = services.send_sender_code(evening.pk, sender.pk).message

    assert message.source == Source.CODE
    assert message.send_at == MONDAY_EVENING


def test_the_estimate_says_when_the_send_would_leave(evening):
    assert services.estimate(evening.pk, request()).send_at == TUESDAY_OPENING
    assert services.estimate(evening.pk, request(express=True)).send_at == MONDAY_EVENING


def test_the_dispatcher_keeps_it_until_the_opening_then_sends_it(evening, simulator):
    message = services.submit(evening.pk, request()).message

    assert dispatch.dispatch_batch(now=TUESDAY_OPENING - timedelta(seconds=1)) == 0
    assert message.recipients.get().status == Status.PENDING

    assert dispatch.dispatch_batch(now=TUESDAY_OPENING) == 1
    assert message.recipients.get().status != Status.PENDING


def test_the_charge_is_taken_when_accepted_not_at_the_opening(evening):
    before = evening.balance

    message = send(evening, numbers=["48600100123"])

    evening.refresh_from_db()
    assert message.send_at == TUESDAY_OPENING
    assert evening.balance == before - message.price


def test_across_the_spring_change_the_opening_is_in_summer_time(monkeypatch, service):
    switch_on(
        service, sunday_from=SHOP_HOURS["monday_from"], sunday_until=SHOP_HOURS["monday_until"]
    )
    freeze(monkeypatch, warsaw(2026, 3, 29, 1, 30))  # CET, before 02:00 became 03:00

    message = services.submit(service.pk, request()).message

    assert message.send_at == warsaw(2026, 3, 29, 8, 0)
    assert message.send_at - message.created_at == timedelta(hours=5, minutes=30)


def test_across_the_autumn_change_the_opening_is_in_winter_time(monkeypatch, service):
    switch_on(
        service, sunday_from=SHOP_HOURS["monday_from"], sunday_until=SHOP_HOURS["monday_until"]
    )
    freeze(monkeypatch, warsaw(2026, 10, 25, 1, 30))  # CEST, before 03:00 became 02:00

    message = services.submit(service.pk, request()).message

    assert message.send_at == warsaw(2026, 10, 25, 8, 0)
    assert message.send_at - message.created_at == timedelta(hours=7, minutes=30)
