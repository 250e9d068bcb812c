"""Quiet hours after acceptance (messaging.windowed): retries and recipients released after
a hold keep the window, and a change of the quiet hours times held sends again."""

from datetime import UTC, timedelta
from decimal import Decimal

import pytest

from accounts import ledger, quiet_hours
from accounts.models import QuietHours
from gateways import dispatch
from messaging import services, transitions
from messaging.models import Message, Recipient, Status
from tests.quiet_hours import (
    MONDAY_EVENING,
    SHOP_HOURS,
    TUESDAY_OPENING,
    freeze,
    switch_on,
    warsaw,
)

pytestmark = pytest.mark.django_db

NUMBER = "48600100123"
MONDAY_CLOSING_SOON = warsaw(2026, 12, 7, 19, 59, 30)


def send(service, **fields) -> Message:
    request = services.SendRequest(recipients=[NUMBER], text="Hej", **fields)
    return services.submit(service.pk, request).message


def send_times(message) -> list:
    return list(message.recipients.values_list("send_at", flat=True))


# -- retries --------------------------------------------------------------------------------


def test_a_retry_just_before_the_closing_lands_at_the_next_opening(monkeypatch, service):
    switch_on(service)
    freeze(monkeypatch, MONDAY_CLOSING_SOON - timedelta(seconds=20))
    message = send(service)  # inside the window: due at once
    freeze(monkeypatch, MONDAY_CLOSING_SOON)

    # No gateway serves the route: released with retry_in(60), i.e. 20:00:30.
    assert dispatch.dispatch_batch(now=MONDAY_CLOSING_SOON) == 1

    assert send_times(message) == [TUESDAY_OPENING]
    recipient = message.recipients.get()
    assert (recipient.status, recipient.claimed_until) == (Status.PENDING, None)
    assert Message.objects.get(pk=message.pk).held_from == MONDAY_CLOSING_SOON + timedelta(
        seconds=60
    )


def test_a_retry_inside_the_window_keeps_its_time(monkeypatch, service):
    switch_on(service)
    noon = warsaw(2026, 12, 7, 12, 0)
    freeze(monkeypatch, noon)
    message = send(service)

    dispatch.dispatch_batch(now=noon)

    assert send_times(message) == [noon + timedelta(seconds=60)]
    assert Message.objects.get(pk=message.pk).held_from is None


def test_an_express_retry_ignores_the_window(monkeypatch, service):
    switch_on(service)
    freeze(monkeypatch, MONDAY_CLOSING_SOON)
    message = send(service, express=True)

    dispatch.dispatch_batch(now=MONDAY_CLOSING_SOON)

    assert send_times(message) == [MONDAY_CLOSING_SOON + timedelta(seconds=60)]


def test_a_retry_across_the_spring_change_opens_in_summer_time(monkeypatch, service):
    switch_on(service)  # Saturday 10:00–16:00, Sunday none, Monday 08:00
    saturday = warsaw(2026, 3, 28, 15, 59, 30)  # CET; the clocks go forward overnight
    freeze(monkeypatch, saturday)
    message = send(service)
    claimed = transitions.claim_due(10, dispatch.lease(), now=saturday)

    transitions.release_claims([c.recipient_id for c in claimed], claimed[0].until, saturday)
    monday = warsaw(2026, 3, 30, 8, 0)
    assert send_times(message) == [saturday]  # inside the window: kept

    claimed = transitions.claim_due(10, dispatch.lease(), now=saturday)
    transitions.release_claims(
        [c.recipient_id for c in claimed], claimed[0].until, saturday + timedelta(seconds=60)
    )
    assert send_times(message) == [monday]
    assert monday.astimezone(UTC).hour == 6  # CEST, UTC+2


# -- released after a hold ------------------------------------------------------------------


def test_a_top_up_at_night_releases_held_messages_at_the_opening(monkeypatch, service, simulator):
    switch_on(service)
    evening = warsaw(2026, 12, 7, 19, 30)
    freeze(monkeypatch, evening)
    message = send(service)
    ledger.adjust(service.pk, -Decimal("500"), note="price correction")
    dispatch.dispatch_batch(now=evening)
    assert message.recipients.get().status == Status.ON_HOLD

    night = warsaw(2026, 12, 7, 23, 0)
    freeze(monkeypatch, night)
    ledger.top_up(service.pk, Decimal("1000"), note="top-up")
    assert transitions.release_held() == 1

    recipient = message.recipients.get()
    assert (recipient.status, recipient.send_at) == (Status.PENDING, TUESDAY_OPENING)
    assert dispatch.dispatch_batch(now=night) == 0  # not at night
    assert dispatch.dispatch_batch(now=TUESDAY_OPENING) == 1
    assert message.recipients.get().status != Status.PENDING


def test_a_release_inside_the_window_sends_at_once(monkeypatch, service):
    switch_on(service)
    noon = warsaw(2026, 12, 7, 12, 0)
    freeze(monkeypatch, noon)
    message = send(service)
    ledger.adjust(service.pk, -Decimal("500"), note="price correction")
    dispatch.dispatch_batch(now=noon)
    ledger.top_up(service.pk, Decimal("1000"), note="top-up")

    assert transitions.release_held() == 1
    assert send_times(message) == [noon]


def test_a_released_express_ignores_the_window(monkeypatch, service):
    switch_on(service)
    freeze(monkeypatch, MONDAY_EVENING)
    message = send(service, express=True)
    ledger.adjust(service.pk, -Decimal("500"), note="price correction")
    dispatch.dispatch_batch(now=MONDAY_EVENING)
    ledger.top_up(service.pk, Decimal("1000"), note="top-up")

    assert transitions.release_held() == 1
    assert send_times(message) == [MONDAY_EVENING]


# -- a change of the quiet hours ------------------------------------------------------------


@pytest.fixture
def held(monkeypatch, service):
    """A send at 21:30 on Monday, held for 08:00 on Tuesday; the clock then at 23:00."""
    switch_on(service)
    freeze(monkeypatch, MONDAY_EVENING)
    message = send(service)
    assert message.held_from == MONDAY_EVENING
    freeze(monkeypatch, warsaw(2026, 12, 7, 23, 0))
    return message


def change(service, **fields) -> QuietHours:
    row = quiet_hours.settings_of(service)
    before = quiet_hours.snapshot(row)
    for name, value in fields.items():
        setattr(row, name, value)
    quiet_hours.save(row, before)
    return row


def test_narrowing_the_hours_moves_a_held_send_to_the_new_opening(held):
    change(held.service, tuesday_from=SHOP_HOURS["monday_from"].replace(hour=10))

    ten = warsaw(2026, 12, 8, 10, 0)
    assert send_times(held) == [ten]
    assert Message.objects.get(pk=held.pk).send_at == ten


def test_widening_the_hours_brings_it_forward(held):
    change(held.service, tuesday_from=SHOP_HOURS["monday_from"].replace(hour=6))

    assert send_times(held) == [warsaw(2026, 12, 8, 6, 0)]


def test_switching_them_off_sends_it_now(held, simulator):
    change(held.service, enabled=False)

    night = warsaw(2026, 12, 7, 23, 0)
    assert send_times(held) == [night]
    assert Message.objects.get(pk=held.pk).send_at == night
    assert dispatch.dispatch_batch(now=night) == 1


def test_switching_them_off_keeps_a_later_time_the_customer_asked_for(monkeypatch, service):
    switch_on(service)
    freeze(monkeypatch, MONDAY_EVENING)
    asked = warsaw(2026, 12, 8, 22, 0)  # Tuesday night, moved to Wednesday 08:00
    message = send(service, send_at=asked)
    assert message.send_at == warsaw(2026, 12, 9, 8, 0)

    change(service, enabled=False)

    assert send_times(message) == [asked]


def test_a_time_the_customer_chose_inside_the_window_stays(monkeypatch, service):
    switch_on(service)
    freeze(monkeypatch, MONDAY_EVENING)
    chosen = warsaw(2026, 12, 8, 9, 15)
    message = send(service, send_at=chosen)
    assert message.held_from is None

    change(service, tuesday_from=SHOP_HOURS["monday_from"].replace(hour=10))
    assert send_times(message) == [chosen]
    change(service, enabled=False)
    assert send_times(message) == [chosen]


def test_the_admin_change_times_it_again_too(held, admin_client):
    row = QuietHours.objects.get(service=held.service)
    row.tuesday_from = SHOP_HOURS["monday_from"].replace(hour=9)
    row.save()  # admin saves the model; the signal does the rest

    assert send_times(held) == [warsaw(2026, 12, 8, 9, 0)]


def test_the_panel_page_times_it_again(held, client):
    client.force_login(held.service.customer.user)
    form = {
        "enabled": "on",
        **{name: value.strftime("%H:%M") for name, value in SHOP_HOURS.items()},
        "tuesday_from": "10:00",
    }
    response = client.post(f"/services/{held.service_id}/quiet-hours/", form)

    assert response.status_code == 302
    assert send_times(held) == [warsaw(2026, 12, 8, 10, 0)]


def test_another_services_held_sends_are_untouched(held, make_service, monkeypatch):
    other = make_service(username="bob", balance=Decimal("10.00"))
    switch_on(other)
    freeze(monkeypatch, MONDAY_EVENING)
    theirs = send(other)
    freeze(monkeypatch, warsaw(2026, 12, 7, 23, 0))

    change(held.service, enabled=False)

    assert send_times(theirs) == [TUESDAY_OPENING]


def test_a_sent_recipient_is_not_touched(held, simulator):
    dispatch.dispatch_batch(now=TUESDAY_OPENING)
    status = held.recipients.get().status

    change(held.service, enabled=False)

    assert send_times(held) == [TUESDAY_OPENING]
    assert held.recipients.get().status == status


def test_a_change_across_the_autumn_change_opens_in_winter_time(monkeypatch, service):
    sunday = {"sunday_from": SHOP_HOURS["monday_from"], "sunday_until": SHOP_HOURS["monday_until"]}
    switch_on(service, **SHOP_HOURS, **sunday)
    saturday = warsaw(2026, 10, 24, 21, 0)  # CEST; 03:00 becomes 02:00 overnight
    freeze(monkeypatch, saturday)
    message = send(service)
    assert message.send_at == warsaw(2026, 10, 25, 8, 0)

    change(service, sunday_from=SHOP_HOURS["monday_from"].replace(hour=9))

    nine = warsaw(2026, 10, 25, 9, 0)
    assert send_times(message) == [nine]
    assert nine.astimezone(UTC).hour == 8  # CET, UTC+1
    assert Recipient.objects.filter(message=message, send_at=nine).count() == 1
