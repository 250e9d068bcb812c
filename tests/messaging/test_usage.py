"""Usage per day for the panel's charts equals a direct count of recipients and ledger."""

from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import LedgerEntry, LedgerKind
from messaging import services, usage
from messaging.models import FAILURE_STATUSES, Message, Recipient, Status

pytestmark = pytest.mark.django_db


def send(service, numbers):
    return services.submit(service.pk, services.SendRequest(recipients=numbers, text="x")).message


def test_the_days_equal_a_direct_count(service, make_service, simulator):
    from gateways import dispatch
    from messaging import transitions

    send(service, ["48501234567", "48501234000", "48501234999"])
    send(service, ["48501234568"])
    old = send(service, ["48501234569", "48501234570"])
    Message.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))
    LedgerEntry.objects.filter(reference=f"charge:message:{old.pk}").update(
        created_at=timezone.now() - timedelta(days=3)
    )
    ancient = send(service, ["48501234571"])
    Message.objects.filter(pk=ancient.pk).update(created_at=timezone.now() - timedelta(days=31))
    send(make_service(username="bob", balance=Decimal(5)), ["48501234567"])  # not ours
    dispatch.dispatch_batch()
    transitions  # noqa: B018  (reports already applied by the simulator at delay 0)

    days = usage.daily(service.pk)
    assert len(days) == 30 and days[-1].day == timezone.localdate()

    expected = Counter()
    since = days[0].day
    for r in Recipient.objects.filter(message__service=service).select_related("message"):
        day = timezone.localtime(r.message.created_at).date()
        if day < since:
            continue
        expected[(day, "sent")] += 1
        expected[(day, "delivered")] += r.status == Status.DELIVERED
        expected[(day, "failed")] += r.status in FAILURE_STATUSES
    spent = Counter()
    for e in LedgerEntry.objects.filter(
        service=service, kind__in=[LedgerKind.CHARGE, LedgerKind.REFUND]
    ):
        day = timezone.localtime(e.created_at).date()
        if day >= since:
            spent[day] -= e.amount
    for d in days:
        assert (d.sent, d.delivered, d.failed) == (
            expected[(d.day, "sent")],
            expected[(d.day, "delivered")],
            expected[(d.day, "failed")],
        ), d
        assert d.spent == spent.get(d.day, 0), d
    today = days[-1]
    assert (today.sent, today.delivered, today.failed) == (4, 2, 2)
    # 5 charged today (the backdated-31-days message was charged today), 2 refunded.
    assert today.spent == Decimal("0.2100")
    assert days[-4].sent == 2


def test_a_day_is_a_day_in_warsaw(service):
    message = send(service, ["48501234567"])
    # 23:30 UTC on 1 June is 01:30 on 2 June in Warsaw (summer time).
    Message.objects.filter(pk=message.pk).update(
        created_at=datetime(2026, 6, 1, 23, 30, tzinfo=UTC)
    )
    days = usage.daily(service.pk, days=3, today=datetime(2026, 6, 3).date())
    assert [(d.day.isoformat(), d.sent) for d in days] == [
        ("2026-06-01", 0),
        ("2026-06-02", 1),
        ("2026-06-03", 0),
    ]


def test_a_closed_day_is_kept_and_counted_again_once_stale(service, django_assert_num_queries):
    from messaging.models import UsageDay

    old = send(service, ["48501234567", "48501234568"])
    five_days_ago = timezone.now() - timedelta(days=5)
    Message.objects.filter(pk=old.pk).update(created_at=five_days_ago)
    first = usage.daily(service.pk)
    assert first[-6].sent == 2
    kept = UsageDay.objects.get(service=service, day=first[-6].day)
    assert (kept.sent, kept.delivered) == (2, 0)
    # Kept: a later change is not seen until the day is counted again...
    old.recipients.update(status="DELIVERED")
    with django_assert_num_queries(3):  # live recipients, live ledger, kept days
        assert usage.daily(service.pk)[-6].delivered == 0
    # ...which happens once it is older than RECOUNT_AFTER, on a page or by refresh().
    UsageDay.objects.update(counted_at=timezone.now() - usage.RECOUNT_AFTER - timedelta(minutes=1))
    assert usage.daily(service.pk)[-6].delivered == 2
    old.recipients.update(status="REJECTED")
    later = timezone.now() + usage.RECOUNT_AFTER
    assert usage.refresh(now=later) == 1
    assert UsageDay.objects.get(service=service, day=first[-6].day).failed == 2


def test_refresh_leaves_fresh_days_alone(service):
    send(service, ["48501234567"])
    usage.daily(service.pk)
    assert usage.refresh() == 0
