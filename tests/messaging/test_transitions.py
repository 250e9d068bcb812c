"""Status changes after acceptance: reports, refunds, holds, releases and expiry."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from accounts import ledger
from accounts.models import LedgerEntry, LedgerKind, ServiceState
from gateways import dispatch
from messaging import transitions
from messaging.models import Status
from messaging.transitions import Report
from tests.sending import send, statuses


def refunds(service):
    return LedgerEntry.objects.filter(service=service, kind=LedgerKind.REFUND)


def test_failed_recipients_are_refunded_once(api_service, simulator):
    before = api_service.balance
    message = send(api_service)
    dispatch.dispatch_batch()
    api_service.refresh_from_db()
    assert api_service.balance == before - message.recipient_price
    assert sum(e.amount for e in refunds(api_service)) == 3 * message.recipient_price
    # The same reports again (a gateway repeating itself) change nothing.
    failed = message.recipients.exclude(status=Status.DELIVERED)
    assert transitions.apply_reports([Report(r.pk, r.status) for r in failed]) == []
    assert transitions.apply_reports([Report(failed[0].pk, Status.DELIVERED)]) == []
    api_service.refresh_from_db()
    assert api_service.balance == before - message.recipient_price


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


def test_a_personalised_recipient_counts_its_own_parts(api_service):
    """A recipient's own text has its own part count: the message's does not decide."""
    message = send(api_service, numbers=["48600100123", "48600100124"])
    message.parts = 1
    message.save(update_fields=["parts"])
    longer, shorter = message.recipients.order_by("id")
    longer.text, longer.parts = "own text of two parts", 2
    longer.save(update_fields=["text", "parts"])
    message.parts, shorter.text, shorter.parts = 2, "own text of one part", 1
    message.save(update_fields=["parts"])
    shorter.save(update_fields=["text", "parts"])
    # Own 2 parts (the message's 2 too, here): one part delivered is not the whole.
    assert transitions.apply_reports([Report(longer.pk, Status.DELIVERED, part=1)]) == []
    # Own 1 part under a message of 2: its one part is the whole recipient.
    changes = transitions.apply_reports([Report(shorter.pk, Status.DELIVERED, part=1)])
    assert [(c.recipient_id, c.status) for c in changes] == [(shorter.pk, Status.DELIVERED)]


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


def test_hold_when_the_balance_is_beyond_credit(api_service, simulator):
    message = send(api_service, numbers=["48600100123"])
    api_service.state = ServiceState.ACTIVE
    ledger.adjust(api_service.pk, -Decimal("500"), note="price correction")
    dispatch.dispatch_batch()
    assert statuses(message) == {"48600100123": Status.ON_HOLD}


def test_queued_too_long_expires_and_is_refunded_once(api_service, simulator):
    simulator.settings = {"delay": 3600}  # accepted now, reported in an hour
    simulator.save()
    message = send(api_service, numbers=["48600100123"])
    dispatch.dispatch_batch()
    assert statuses(message) == {"48600100123": Status.QUEUED}
    older_than = timedelta(hours=48)
    assert transitions.expire_queued(older_than) == []  # not old enough yet
    later = timezone.now() + older_than + timedelta(seconds=1)
    changes = transitions.expire_queued(older_than, now=later)
    assert [c.status for c in changes] == [Status.EXPIRED]
    assert transitions.expire_queued(older_than, now=later) == []
    assert [e.amount for e in refunds(api_service)] == [message.recipient_price]
