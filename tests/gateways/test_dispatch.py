"""The dispatcher and the report writer, called directly (no worker process)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import LedgerEntry, LedgerKind, ServiceState
from gateways import dispatch
from gateways.models import SimulatedSms
from messaging import services, transitions
from messaging.models import Callback, Status
from messaging.transitions import Report

NUMBERS = ["48600100000", "48600100999", "48600100998", "48600100123"]


def send(service, numbers=NUMBERS, **fields):
    request = services.SendRequest(recipients=numbers, text="Test", **fields)
    return services.submit(service.pk, request).message


def statuses(message):
    return dict(message.recipients.values_list("number", "status"))


def test_simulator_outcomes_follow_the_last_three_digits(api_service, simulator):
    message = send(api_service)
    assert dispatch.dispatch_batch() == 4
    assert statuses(message) == {
        "48600100000": Status.REJECTED,
        "48600100999": Status.EXPIRED,
        "48600100998": Status.REMOTE_ERROR,
        "48600100123": Status.DELIVERED,
    }
    delivered = message.recipients.get(number="48600100123")
    assert delivered.delivered_at is not None
    assert delivered.gateway == simulator
    assert SimulatedSms.objects.filter(recipient_id=delivered.pk, requests=1).exists()


def test_failed_recipients_are_refunded_once(api_service, simulator):
    before = api_service.balance
    message = send(api_service)
    dispatch.dispatch_batch()
    api_service.refresh_from_db()
    assert api_service.balance == before - message.recipient_price
    refunds = LedgerEntry.objects.filter(service=api_service, kind=LedgerKind.REFUND)
    assert sum(e.amount for e in refunds) == 3 * message.recipient_price
    # The same reports again (a gateway repeating itself) change nothing.
    failed = message.recipients.exclude(status=Status.DELIVERED)
    assert transitions.apply_reports([Report(r.pk, r.status) for r in failed]) == []
    assert transitions.apply_reports([Report(failed[0].pk, Status.DELIVERED)]) == []
    api_service.refresh_from_db()
    assert api_service.balance == before - message.recipient_price


def test_progress_counts_follow_the_reports(api_service, simulator):
    message = send(api_service)
    assert services.progress(api_service.pk, message.pk).success_count == 0
    dispatch.dispatch_batch()
    progress = services.progress(api_service.pk, message.pk)
    assert (progress.success_count, progress.failure_count) == (1, 3)


def test_scheduled_send_waits_for_its_time(api_service, simulator):
    at = timezone.now() + timedelta(minutes=10)
    message = send(api_service, send_at=at)
    assert dispatch.dispatch_batch(now=at - timedelta(seconds=1)) == 0
    assert set(statuses(message).values()) == {Status.PENDING}
    assert dispatch.dispatch_batch(now=at) == 4
    assert SimulatedSms.objects.count() == 4


def test_cancelled_before_dispatch_is_never_sent(api_service, simulator):
    message = send(api_service, send_at=timezone.now() + timedelta(minutes=5))
    assert services.cancel(api_service.pk, message.pk) == 4
    assert dispatch.dispatch_batch(now=timezone.now() + timedelta(minutes=6)) == 0
    assert not SimulatedSms.objects.exists()


def test_a_claimed_recipient_cannot_be_cancelled(api_service, simulator):
    message = send(api_service, numbers=["48600100123"])
    claimed = transitions.claim_due(10, timedelta(seconds=60))
    assert [c.recipient_id for c in claimed] == [message.recipients.get().pk]
    assert services.cancel(api_service.pk, message.pk) == 0
    # Given back unsent (say, the gateway was down): cancellable again.
    transitions.release_claims([claimed[0].recipient_id], claimed[0].until)
    assert services.cancel(api_service.pk, message.pk) == 1


def test_a_lapsed_claim_is_settled_by_a_dispatcher_not_cancelled(api_service, simulator):
    """Its worker died, perhaps after the gateway took it: cancelling would refund a sent SMS."""
    message = send(api_service, numbers=["48600100123"])
    lease = timedelta(seconds=60)
    first = transitions.claim_due(10, lease)
    dispatch.driver_for(simulator).send(
        [dispatch.Outgoing(c.recipient_id, c.number, c.text, "", False, 1) for c in first]
    )
    later = timezone.now() + lease + timedelta(seconds=1)
    assert transitions.cancel_pending(message, now=later) == []
    assert dispatch.dispatch_batch(now=later) == 1
    recipient = message.recipients.get()
    assert (recipient.status, recipient.refunded) == (Status.DELIVERED, False)


def test_a_worker_whose_claim_was_taken_over_sends_nothing(api_service, simulator):
    message = send(api_service, numbers=["48600100123"])
    lease = timedelta(seconds=60)
    stale = transitions.claim_due(10, lease)
    later = timezone.now() + lease + timedelta(seconds=1)
    fresh = transitions.claim_due(10, lease, now=later)  # another worker, after the lapse
    assert [c.recipient_id for c in fresh] == [c.recipient_id for c in stale]
    items = [dispatch.Outgoing(c.recipient_id, c.number, c.text, "", False, 1) for c in stale]
    dispatch.send(simulator, items, stale[0].until)  # the first worker wakes up
    assert not SimulatedSms.objects.exists()
    assert message.recipients.get().claimed_until == fresh[0].until


def test_a_dead_workers_claim_is_claimed_again_and_not_sent_twice(api_service, simulator):
    message = send(api_service, numbers=["48600100123", "48600100124"])
    lease = timedelta(seconds=dispatch.lease().total_seconds())
    first = transitions.claim_due(10, lease)
    # The worker sent, then died before recording the acceptance.
    dispatch.driver_for(simulator).send(
        [dispatch.Outgoing(c.recipient_id, c.number, c.text, "", False, 1) for c in first]
    )
    assert transitions.claim_due(10, lease) == []  # still leased
    later = timezone.now() + lease + timedelta(seconds=1)
    assert dispatch.dispatch_batch(now=later) == 2
    assert set(statuses(message).values()) == {Status.DELIVERED}
    rows = SimulatedSms.objects.filter(recipient_id__in=[c.recipient_id for c in first])
    assert sorted(rows.values_list("requests", flat=True)) == [2, 2]  # asked twice, sent once


def test_express_recipients_are_claimed_first(api_service, simulator):
    send(api_service, numbers=["48600100001", "48600100002"])
    express = send(api_service, numbers=["48600100003"], express=True)
    claimed = transitions.claim_due(1, timedelta(seconds=60))
    assert [c.message_id for c in claimed] == [express.pk]


def test_a_service_that_may_not_send_is_held_then_released(api_service, simulator):
    message = send(api_service, numbers=["48600100123"])
    api_service.block_by_customer()
    dispatch.dispatch_batch()
    assert statuses(message) == {"48600100123": Status.ON_HOLD}
    assert transitions.release_held() == 0  # still blocked
    api_service.unblock_by_customer()
    assert transitions.release_held() == 1
    dispatch.dispatch_batch()
    assert statuses(message) == {"48600100123": Status.DELIVERED}


def test_without_a_gateway_recipients_wait(api_service):
    message = send(api_service, numbers=["48600100123"])
    assert dispatch.dispatch_batch() == 1
    recipient = message.recipients.get()
    assert recipient.status == Status.PENDING
    assert recipient.claimed_until is None  # cancellable while it waits
    assert recipient.send_at > timezone.now()  # tried again in a minute
    assert services.cancel(api_service.pk, message.pk) == 1


def test_a_multipart_recipient_is_delivered_when_every_part_is(api_service):
    message = send(api_service, numbers=["48600100123", "48600100124"])
    message.parts = 3
    message.save(update_fields=["parts"])
    first, second = message.recipients.order_by("id")
    assert transitions.apply_reports([Report(first.pk, Status.DELIVERED, part=1)]) == []
    assert transitions.apply_reports([Report(first.pk, Status.DELIVERED, part=3)]) == []
    changes = transitions.apply_reports(
        [Report(first.pk, Status.DELIVERED, part=2), Report(second.pk, Status.DELIVERED, part=1)]
    )
    assert [c.recipient_id for c in changes] == [first.pk]
    changes = transitions.apply_reports([Report(second.pk, Status.EXPIRED, part=2)])
    assert [(c.recipient_id, c.status) for c in changes] == [(second.pk, Status.EXPIRED)]


def test_report_callbacks_hold_at_most_20_records(api_service, simulator):
    numbers = [f"486001{n:05d}" for n in range(1, 26)]
    message = send(api_service, numbers=numbers, notify_url="https://example.com/dlr")
    dispatch.dispatch_batch()
    calls = list(Callback.objects.filter(message=message).order_by("id"))
    assert [c.record_count for c in calls] == [20, 5]
    first = message.recipients.order_by("id").first()
    record = calls[0].body.split("&")[0]
    assert record == (
        f"status[]={message.pk},{first.pk},{first.number},DELIVERED,"
        f"{int(first.delivered_at.timestamp())}"
    )
    assert all(c.url == "https://example.com/dlr" for c in calls)


def test_no_callbacks_without_a_url(api_service, simulator):
    send(api_service)
    dispatch.dispatch_batch()
    assert not Callback.objects.exists()


@pytest.mark.postgres
def test_progress_shows_what_the_dispatcher_changed(api_service, simulator, settings):
    settings.PROGRESS_CACHE_MIN_RECIPIENTS = 1
    message = send(api_service, numbers=["48600100123"])
    pending = [("48600100123", Status.PENDING)]
    assert services.progress(api_service.pk, message.pk).recipients.pairs() == pending
    dispatch.dispatch_batch()
    assert services.progress(api_service.pk, message.pk).recipients.pairs() == [
        ("48600100123", Status.DELIVERED)
    ]


def test_hold_when_the_balance_is_beyond_credit(api_service, simulator):
    message = send(api_service, numbers=["48600100123"])
    api_service.state = ServiceState.ACTIVE
    from accounts import ledger

    ledger.adjust(api_service.pk, -Decimal("500"), note="price correction")
    dispatch.dispatch_batch()
    assert statuses(message) == {"48600100123": Status.ON_HOLD}


def test_a_report_that_lands_before_the_acceptance_is_recorded_wins(api_service, simulator):
    """SPEC §7: a fast device may report before we record that it took the SMS."""
    message = send(api_service, numbers=["48600100000"])
    claimed = transitions.claim_due(10, timedelta(seconds=60))
    rid = claimed[0].recipient_id
    assert [c.status for c in transitions.apply_reports([Report(rid, Status.REJECTED)])] == [
        Status.REJECTED
    ]
    assert transitions.mark_queued(simulator.pk, [(rid, "")]) == 0
    recipient = message.recipients.get()
    assert (recipient.status, recipient.refunded) == (Status.REJECTED, True)
