"""The STOP list at dispatch time (transitions.claim_due): a number that opts out after its
send was accepted, but before the dispatcher claims it (quiet hours, a scheduled send), is
not sent: it is CANCELLED and refunded its own price, once. Runs on SQLite (the ORM twin)
and on PostgreSQL (pg.claim_due's statement)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import ledger
from accounts.models import LedgerEntry, LedgerKind
from gateways import dispatch
from messaging import services, stoplist, transitions
from messaging.models import Recipient, Source, Status, StopSettings, StopVia
from tests.quiet_hours import MONDAY_EVENING, TUESDAY_OPENING, freeze, switch_on, warsaw

pytestmark = pytest.mark.django_db

A, B = "48600100201", "48600100202"
LEASE = timedelta(minutes=1)


def send(service, *recipients, **fields):
    request = services.SendRequest(recipients=list(recipients), text="Promocja", **fields)
    return services.submit(service.pk, request).message


def refunds(service) -> list[Decimal]:
    return list(
        LedgerEntry.objects.filter(service=service, kind=LedgerKind.REFUND).values_list(
            "amount", flat=True
        )
    )


def statuses(message) -> dict[str, str]:
    return dict(message.recipients.values_list("number", "status"))


def test_the_reviewers_repro_a_stop_overnight_stops_a_held_send(monkeypatch, service, simulator):
    # Quiet hours on; at 21:30 on Monday a send to A and B waits for 08:00 on Tuesday.
    switch_on(service)
    freeze(monkeypatch, MONDAY_EVENING)
    message = send(service, A, B)
    assert message.send_at == TUESDAY_OPENING
    paid = ledger.ledger_balance(service.pk)

    # A texts STOP overnight.
    services.store_incoming(service.pk, A, "48500000000", "STOP", None)

    morning = TUESDAY_OPENING + timedelta(seconds=1)
    freeze(monkeypatch, morning)
    assert dispatch.dispatch_batch(now=morning) == 2

    got = statuses(message)
    assert got[A] == Status.CANCELLED
    assert got[B] != Status.PENDING and got[B] != Status.CANCELLED  # B went out
    assert Recipient.objects.get(message=message, number=A).refunded
    assert refunds(service) == [message.recipient_price]
    assert ledger.ledger_balance(service.pk) == paid + message.recipient_price

    # Exactly once: nothing is claimed, cancelled or refunded again.
    assert dispatch.dispatch_batch(now=morning + timedelta(minutes=5)) == 0
    assert services.cancel(service.pk, message.pk) == 0
    assert refunds(service) == [message.recipient_price]


def test_a_stopped_recipient_is_claimed_cancelled_and_never_handed_over(service):
    message = send(service, A, B)
    stoplist.add(service.customer_id, [A], StopVia.PANEL)

    claimed = transitions.claim_due(10, LEASE)

    assert {c.number: c.stopped for c in claimed} == {A: True, B: False}
    assert statuses(message) == {A: Status.CANCELLED, B: Status.PENDING}
    # The claim is no more: the cancelled recipient cannot be renewed, so never sent.
    until = claimed[0].until
    stopped_id = next(c.recipient_id for c in claimed if c.stopped)
    assert transitions.renew_claims([stopped_id], until, until + LEASE) == []


def test_the_platform_list_stops_it_too(service):
    message = send(service, A, B)
    stoplist.add(None, [B], StopVia.ADMIN)

    transitions.claim_due(10, LEASE)

    assert statuses(message)[B] == Status.CANCELLED
    assert refunds(service) == [message.recipient_price]


def test_another_customers_list_stops_nothing(service, make_service):
    other = make_service(username="bob", balance=Decimal("10.00"))
    message = send(service, A)
    stoplist.add(other.customer_id, [A], StopVia.PANEL)

    claimed = transitions.claim_due(10, LEASE)

    assert [c.stopped for c in claimed] == [False]
    assert statuses(message) == {A: Status.PENDING}
    assert refunds(service) == []


def test_a_personalised_recipient_is_refunded_its_own_price(service):
    texts = ["Hej", "a" * 400]  # 1 and 3 parts
    request = services.SendRequest(recipients=[A, B], text="", texts=texts)
    message = services.submit(service.pk, request).message
    own = Recipient.objects.get(message=message, number=B).price
    assert own == 3 * message.recipient_price
    stoplist.add(service.customer_id, [B], StopVia.PANEL)

    transitions.claim_due(10, LEASE)

    assert refunds(service) == [own]


def test_the_stop_confirmation_still_reaches_the_stopped_number(service):
    StopSettings.objects.create(
        customer=service.customer, confirm=True, stop_text="Wypisano", start_text="Zapisano"
    )
    services.store_incoming(service.pk, A, "48500000000", "STOP", None)
    reply = Recipient.objects.get(message__source=Source.STOP_REPLY)
    assert reply.number == A

    claimed = transitions.claim_due(10, LEASE)

    assert [(c.number, c.stopped) for c in claimed] == [(A, False)]
    reply.refresh_from_db()
    assert reply.status == Status.PENDING


def test_a_reclaimed_recipient_is_not_cancelled_a_gateway_may_have_it(service):
    message = send(service, A)
    first = transitions.claim_due(10, LEASE)  # a worker claimed it, then died
    stoplist.add(service.customer_id, [A], StopVia.PANEL)

    later = first[0].until + timedelta(seconds=1)
    again = transitions.claim_due(10, LEASE, now=later)

    assert [(c.reclaimed, c.stopped) for c in again] == [(True, False)]
    assert statuses(message) == {A: Status.PENDING}


def test_a_stop_after_the_claim_leaves_the_recipient_to_go_out(service):
    message = send(service, A)
    claimed = transitions.claim_due(10, LEASE)
    stoplist.add(service.customer_id, [A], StopVia.PANEL)

    assert [c.stopped for c in claimed] == [False]
    assert statuses(message) == {A: Status.PENDING}


def test_a_scheduled_send_is_stopped_too(monkeypatch, service):
    noon = warsaw(2026, 12, 7, 12, 0)
    freeze(monkeypatch, noon)
    message = send(service, A, send_at=noon + timedelta(days=1))
    stoplist.add(service.customer_id, [A], StopVia.PANEL)

    assert transitions.claim_due(10, LEASE, now=noon) == []
    claimed = transitions.claim_due(10, LEASE, now=noon + timedelta(days=1))

    assert [c.stopped for c in claimed] == [True]
    assert statuses(message) == {A: Status.CANCELLED}


def numbers(count: int, start: int) -> list[str]:
    return [f"48{start + i}" for i in range(count)]


def test_the_check_costs_the_same_statements_however_many_are_stopped(make_service):
    service = make_service(balance=Decimal("100"))

    def claim_with(stopped_count: int) -> int:
        batch = numbers(30, 600_000_000 + 1000 * stopped_count)
        send(service, *batch)
        stoplist.add(service.customer_id, batch[:stopped_count], StopVia.PANEL)
        with CaptureQueriesContext(connection) as queries:
            claimed = transitions.claim_due(100, LEASE)
        assert sum(c.stopped for c in claimed) == stopped_count
        return len(queries.captured_queries)

    assert claim_with(2) == claim_with(25)
