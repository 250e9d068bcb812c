"""The dispatcher, called directly (no worker process): claims, sends, cancels, progress.

The status changes it leads to (refunds, holds, reports) are tested beside
messaging.transitions, the callbacks they queue beside messaging.callbacks.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from gateways import dispatch
from gateways.models import SimulatedSms
from lib import shutdown
from messaging import services, transitions
from messaging.models import Status
from tests.sending import send, statuses


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


def test_without_a_gateway_recipients_wait(api_service):
    message = send(api_service, numbers=["48600100123"])
    assert dispatch.dispatch_batch() == 1
    recipient = message.recipients.get()
    assert recipient.status == Status.PENDING
    assert recipient.claimed_until is None  # cancellable while it waits
    assert recipient.send_at > timezone.now()  # tried again in a minute
    assert services.cancel(api_service.pk, message.pk) == 1


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


def test_a_stream_of_single_sends_gathers_into_batches(
    api_service, simulator, settings, monkeypatch
):
    """After a batch that was not full the dispatcher waits DISPATCH_GATHER_SECONDS, so
    sends accepted meanwhile go out together; a full batch is followed at once."""
    settings.DISPATCH_BATCH_SIZE = 3
    settings.DISPATCH_GATHER_SECONDS = 0.25
    for n in range(4):  # a full batch of three, then one
        send(api_service, [f"4860010020{n}"])
    batches, waits = [], []
    one_batch = dispatch.dispatch_batch

    def counted(*args, **kwargs):
        batches.append(one_batch(*args, **kwargs))
        return batches[-1]

    def wait(seconds):
        waits.append((len(batches), seconds))
        if len(batches) == 2:  # two more accepted while it waits
            send(api_service, ["48600100210"])
            send(api_service, ["48600100211"])
        return False

    monkeypatch.setattr(dispatch, "dispatch_batch", counted)
    monkeypatch.setattr(shutdown, "wait", wait)
    assert dispatch.run(budget=10, linger=0) == 6
    assert batches == [3, 1, 2, 0, 0]  # the last: a look after leaving its place
    assert waits == [(2, 0.25), (3, 0.25)]  # none after the full batch
    assert SimulatedSms.objects.count() == 6
