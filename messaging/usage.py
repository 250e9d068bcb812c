"""A service's usage per day, for the panel's charts: SMS sent, delivered and failed, and
money spent, over the last days in local time (Europe/Warsaw).

Counting a day reads all its recipients (one aggregate over the service's
messages of that day, through ``message_service_time`` and
``recipient_message``) and its ledger entries (``ledger_service_time``):
charges less refunds. A million recipients take about 200 ms to count, so a
day that is closed (older than ``LIVE_DAYS``; its messages have mostly
reached a final status) is counted once and kept as a ``UsageDay``, counted
again when older than ``RECOUNT_AFTER`` (a late report may still change it;
``refresh`` does that every few minutes, so pages rarely wait for it). The
last ``LIVE_DAYS`` days are always counted live. ``make bench`` times both.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import ZERO, LedgerEntry, LedgerKind

from .models import FAILURE_STATUSES, Message, Recipient, Status, UsageDay

LIVE_DAYS = 3  # today and the two days before
RECOUNT_AFTER = timedelta(hours=1)
WINDOW_DAYS = 30


@dataclass(frozen=True)
class Day:
    day: date
    sent: int = 0
    delivered: int = 0
    failed: int = 0
    spent: Decimal = ZERO


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def count(service_id: int, first: date, last: date) -> dict[date, Day]:
    """Count the days from ``first`` to ``last`` (both included) from the source rows."""
    zone = timezone.get_current_timezone()
    since, until = _start(first), _start(last + timedelta(days=1))
    counts = (
        Recipient.objects.filter(
            message__service_id=service_id,
            message__created_at__gte=since,
            message__created_at__lt=until,
        )
        .annotate(day=TruncDate("message__created_at", tzinfo=zone))
        .values("day")
        .annotate(
            sent=Count("id"),
            delivered=Count("id", filter=Q(status=Status.DELIVERED)),
            failed=Count("id", filter=Q(status__in=FAILURE_STATUSES)),
        )
    )
    spending = (
        LedgerEntry.objects.filter(
            service_id=service_id,
            created_at__gte=since,
            created_at__lt=until,
            kind__in=[LedgerKind.CHARGE, LedgerKind.REFUND],
        )
        .annotate(day=TruncDate("created_at", tzinfo=zone))
        .values("day")
        .annotate(total=Sum("amount"))
    )
    days = {
        row["day"]: Day(row["day"], row["sent"], row["delivered"], row["failed"]) for row in counts
    }
    for row in spending:
        day = days.get(row["day"], Day(row["day"]))
        spent = -(row["total"] or ZERO).quantize(ZERO)
        days[row["day"]] = Day(day.day, day.sent, day.delivered, day.failed, spent)
    return days


def _keep(service_id: int, first: date, last: date, now: datetime) -> dict[date, Day]:
    counted = count(service_id, first, last)
    kept = []
    day = first
    while day <= last:
        found = counted.setdefault(day, Day(day))
        kept.append(
            UsageDay(
                service_id=service_id,
                day=day,
                sent=found.sent,
                delivered=found.delivered,
                failed=found.failed,
                spent=found.spent,
                counted_at=now,
            )
        )
        day += timedelta(days=1)
    # One statement for the whole span, however many days it has.
    UsageDay.objects.bulk_create(
        kept,
        update_conflicts=True,
        unique_fields=["service", "day"],
        update_fields=["sent", "delivered", "failed", "spent", "counted_at"],
    )
    return counted


def daily(service_id: int, days: int = WINDOW_DAYS, today: date | None = None) -> list[Day]:
    """One ``Day`` for each of the last ``days`` days, today last, empty days included."""
    today = today or timezone.localdate()
    first = today - timedelta(days=days - 1)
    first_live = max(first, today - timedelta(days=LIVE_DAYS - 1))
    now = timezone.now()
    result = count(service_id, first_live, today)
    if first < first_live:
        kept = {
            row.day: Day(row.day, row.sent, row.delivered, row.failed, row.spent)
            for row in UsageDay.objects.filter(
                service_id=service_id,
                day__gte=first,
                day__lt=first_live,
                counted_at__gt=now - RECOUNT_AFTER,
            )
        }
        missing = [
            first + timedelta(days=n)
            for n in range((first_live - first).days)
            if first + timedelta(days=n) not in kept
        ]
        if missing:
            # One count over the span of what is missing (usually nothing, or all).
            kept |= _keep(service_id, missing[0], missing[-1], now)
        result |= kept
    return [
        result.get(first + timedelta(days=n), Day(first + timedelta(days=n))) for n in range(days)
    ]


def refresh(now: datetime | None = None) -> int:
    """Count again the closed days of recent activity that are due: for each service that
    sent in the window, the closed days missing or counted more than
    ``RECOUNT_AFTER`` ago. Returns the services done."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    first = today - timedelta(days=WINDOW_DAYS - 1)
    last = today - timedelta(days=LIVE_DAYS)
    services = (
        Message.objects.filter(created_at__gte=_start(first))
        .values_list("service_id", flat=True)
        .distinct()
    )
    done = 0
    for service_id in services:
        fresh = set(
            UsageDay.objects.filter(
                service_id=service_id,
                day__gte=first,
                day__lte=last,
                counted_at__gt=now - RECOUNT_AFTER + timedelta(minutes=15),
            ).values_list("day", flat=True)
        )
        due = [
            first + timedelta(days=n)
            for n in range((last - first).days + 1)
            if first + timedelta(days=n) not in fresh
        ]
        if due:
            _keep(service_id, due[0], due[-1], now)
            done += 1
    return done
