"""Every change of a recipient's status after acceptance, in one place (not to be
confused with delivery reports, which are one kind of change, or callbacks).

The dispatcher claims due recipients, records what the gateway accepted,
holds what may not be sent; reports (pushed or polled) move recipients to
final states. Each function here runs in one transaction that also:
- refunds each REJECTED, EXPIRED, REMOTE_ERROR or CANCELLED recipient exactly
  once (the UPDATE that moves it sets ``refunded`` and matches only rows not
  yet final, so a repeated report finds nothing to refund);
- queues the delivery-report callbacks for the records it changed
  (messaging.callbacks), so a committed change is never left unreported.
On PostgreSQL each changed row carries its transaction's id (changed_xid),
which getProgress reads (messaging.progress). A trigger stamps it for every
writer; the two busiest statements (mark_queued's and _update_statuses', in
messaging.pg) set it themselves, which is cheaper.
"""

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts import ledger, ledger_reasons
from accounts.models import LedgerKind, LedgerReason, Service

from . import callbacks, pg, signals, windowed
from .models import REFUNDED_STATUSES, Message, Recipient, Source, Status, StopEntry

# Statuses a report may still change (a final status is final).
OPEN_STATUSES = (Status.PENDING, Status.QUEUED)
# Status.values builds a new list each time it is read: once here, not once a report.
KNOWN_STATUSES = frozenset(Status.values)


@dataclass(frozen=True)
class Report:
    """What a gateway says of one recipient: a status, when, and for which part."""

    recipient_id: int
    status: str
    at: datetime | None = None
    part: int | None = None  # 1-based part of a multi-part message; None: the whole


@dataclass(frozen=True)
class Claimed:
    """A due recipient a worker now owns, with what sending it needs."""

    recipient_id: int
    message_id: int
    service_id: int
    number: str
    text: str
    sender: str
    route: str
    flash: bool
    parts: int
    # Claimed before, and that claim lapsed: a gateway may already have it (a
    # worker died after sending). Drivers whose gateway cannot deduplicate check first.
    reclaimed: bool = False
    # The claim's end: also its fencing token (renew_claims, release_claims).
    until: datetime | None = None
    # Its number was on its customer's or the platform's STOP list when claimed: not
    # to be sent; claim_due has cancelled it (refunded), the batch only counts it.
    stopped: bool = False


@dataclass(frozen=True)
class Change:
    """A recipient whose status this call changed (for callbacks and refunds)."""

    recipient_id: int
    message_id: int
    number: str
    status: str
    delivered_at: datetime | None


# -- claiming -----------------------------------------------------------------------------


def claim_due(limit: int, lease: timedelta, now: datetime | None = None) -> list[Claimed]:
    """Claim up to ``limit`` due PENDING recipients, express first, for ``lease``.

    Rows another worker holds are skipped (SKIP LOCKED), so workers never wait
    on each other; a claim whose lease has passed (its worker died) is due again.

    A recipient whose number is now on its customer's or the platform's STOP list
    (read in the claiming statement, for the whole batch) is not sent: it is
    CANCELLED and refunded its own price, once, through ``apply_reports``, and comes
    back with ``stopped`` set so the batch counts it. A STOP committed before the
    claim therefore stops a send accepted earlier (quiet hours, a scheduled send).
    Exempt: the STOP confirmation itself, and a reclaimed recipient (a gateway may
    have it already).
    """
    now = now or timezone.now()
    until = now + lease
    claim = pg.claim_due if pg.in_use() else _claim_due_orm
    rows = claim(now, limit, until)
    claimed = sorted(
        (
            Claimed(*row[:-2], reclaimed=bool(row[-2]), until=until, stopped=bool(row[-1]))
            for row in rows
        ),
        key=lambda c: c.recipient_id,
    )
    stopped = [Report(c.recipient_id, Status.CANCELLED) for c in claimed if c.stopped]
    if stopped:
        # After the claim's commit: the refund takes service locks first, as every
        # balance change does, never while this claim's row locks are held.
        apply_reports(stopped, now)
    return claimed


def _claim_due_orm(now: datetime, limit: int, until: datetime) -> list[tuple]:
    """The ORM twin of pg.claim_due: the same rows, a claim's previous end for
    ``reclaimed``, and whether the number is on a STOP list."""
    on_list = StopEntry.objects.filter(number=OuterRef("number")).filter(
        Q(customer__isnull=True) | Q(customer_id=OuterRef("message__service__customer_id"))
    )
    with transaction.atomic():
        rows = list(
            Recipient.objects.filter(status=Status.PENDING, send_at__lte=now)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
            .order_by("-express", "send_at", "id")
            # A personalised send's recipient goes with its own text and parts.
            .annotate(
                sent_text=Coalesce("text", "message__text"),
                sent_parts=Coalesce("parts", "message__parts"),
                on_list=Exists(on_list),
            )
            .values_list(
                "id",
                "message_id",
                "message__service_id",
                "number",
                "sent_text",
                "message__sender",
                "message__route",
                "message__flash",
                "sent_parts",
                "claimed_until",
                "on_list",
                "message__source",
            )[:limit]
        )
        if rows:
            Recipient.objects.filter(id__in=[row[0] for row in rows]).update(claimed_until=until)
    return [
        (
            *row[:9],
            row[9] is not None,
            row[9] is None and row[10] and row[11] != Source.STOP_REPLY,
        )
        for row in rows
    ]


def renew_claims(recipient_ids: Sequence[int], until: datetime, new_until: datetime) -> list[int]:
    """Extend this worker's claim on recipients it still owns; returns those ids.

    ``until`` is the claim's end as this worker set it: a recipient whose
    claim lapsed and was taken by another worker has another value, is not
    renewed, and must not be sent from here.
    """
    ids = list(recipient_ids)
    if pg.in_use():
        return pg.renew_claims(ids, until, new_until)
    with transaction.atomic():
        owned = list(
            Recipient.objects.filter(id__in=ids, status=Status.PENDING, claimed_until=until)
            .select_for_update()
            .values_list("id", flat=True)
        )
        Recipient.objects.filter(id__in=owned).update(claimed_until=new_until)
    return owned


def release_claims(
    recipient_ids: Sequence[int], until: datetime, retry_at: datetime | None = None
) -> None:
    """Give back recipients this worker did not send (no gateway, gateway down).

    The claim is cleared, so they can be cancelled again at once; a retry
    time moves their dispatch time instead of holding a claim, to the next
    opening of their service's quiet hours when it falls outside (windowed).
    """
    if retry_at is not None:
        windowed.retry(recipient_ids, until, retry_at)
        return
    Recipient.objects.filter(
        id__in=list(recipient_ids), status=Status.PENDING, claimed_until=until
    ).update(claimed_until=None)


def next_scheduled(after: datetime, before: datetime) -> datetime | None:
    """The earliest send time of a PENDING recipient in (after, before], if any."""
    return (
        Recipient.objects.filter(status=Status.PENDING, send_at__gt=after, send_at__lte=before)
        .order_by("send_at")
        .values_list("send_at", flat=True)
        .first()
    )


# -- what the gateway did -----------------------------------------------------------------


def mark_queued(gateway_id: int, accepted: Iterable[tuple[int, str]], now=None) -> int:
    """Record the gateway's acceptance: PENDING → QUEUED, with the gateway's id for each.

    Only PENDING rows move: a report that landed first (a fast device) has
    already made the recipient final, and it stays so.
    """
    now = now or timezone.now()
    accepted = list(accepted)
    if not accepted:
        return 0
    if pg.in_use():
        return pg.mark_queued(gateway_id, accepted, now)
    by_ref = defaultdict(list)
    for recipient_id, ref in accepted:
        by_ref[ref or ""].append(recipient_id)
    changed = 0
    with transaction.atomic():
        for ref, ids in by_ref.items():
            rows = Recipient.objects.filter(id__in=ids, status=Status.PENDING)
            changed += rows.update(
                status=Status.QUEUED,
                status_at=now,
                gateway_id=gateway_id,
                gateway_ref=ref,
                claimed_until=None,
            )
    return changed


def hold(recipient_ids: Sequence[int], now=None) -> int:
    """PENDING → ON_HOLD: the service may not send now (no funds, blocked); kept, not lost."""
    now = now or timezone.now()
    rows = Recipient.objects.filter(id__in=list(recipient_ids), status=Status.PENDING)
    return rows.update(status=Status.ON_HOLD, status_at=now, claimed_until=None)


def services_on_hold(service_ids: Iterable[int]) -> set[int]:
    """Of these services, those whose recipients must wait: those that may not send now.

    The rule is accounts' (Service.may_send_after_q, amount 0: nothing is
    charged here, the recipients were paid for when their message was accepted).
    """
    return set(
        Service.objects.filter(id__in=list(service_ids))
        .exclude(Service.may_send_after_q())
        .values_list("id", flat=True)
    )


def release_held(now=None) -> int:
    """ON_HOLD → PENDING for every service that may send again (a top-up, an unblock):
    at once, or at the next opening of the service's quiet hours (windowed)."""
    now = now or timezone.now()
    held = set(Recipient.objects.filter(status=Status.ON_HOLD).values_list("message_id", flat=True))
    if not held:
        return 0
    messages = {
        mid: (sid, express, source)
        for mid, sid, express, source in Message.objects.filter(id__in=held).values_list(
            "id", "service_id", "express", "source"
        )
    }
    blocked = services_on_hold({sid for sid, _express, _source in messages.values()})
    ready = {mid: about for mid, about in messages.items() if about[0] not in blocked}
    if not ready:
        return 0
    return windowed.release(ready, now)


def expire_queued(older_than: timedelta, now=None) -> list[Change]:
    """QUEUED for too long without a report (an upstream forgot it): EXPIRED, refunded once."""
    now = now or timezone.now()
    ids = list(
        Recipient.objects.filter(status=Status.QUEUED, status_at__lt=now - older_than)
        .order_by("id")
        .values_list("id", flat=True)[:10_000]
    )
    return apply_reports([Report(rid, Status.EXPIRED) for rid in ids], now)


def queued_at_gateway(gateway_id: int, limit: int) -> list[tuple[int, str, str]]:
    """(instance id, number, gateway's id) of recipients a gateway has still to report on."""
    return list(
        Recipient.objects.filter(gateway_id=gateway_id, status=Status.QUEUED)
        .order_by("id")
        .values_list("id", "number", "gateway_ref")[:limit]
    )


# -- reports ------------------------------------------------------------------------------


def apply_reports(reports: Iterable[Report], now: datetime | None = None) -> list[Change]:
    """Move recipients to what their reports say; refund failures once; queue callbacks.

    A multi-part recipient is DELIVERED only when every part is, and failed
    as soon as any part fails. Reports for recipients already final change
    nothing (a repeated or late report is harmless).
    """
    now = now or timezone.now()
    reports = [r for r in reports if r.status in KNOWN_STATUSES]
    if not reports:
        return []
    refunding = any(r.status in REFUNDED_STATUSES for r in reports)
    with transaction.atomic():
        if refunding:
            # Service rows first, in id order, as every balance change takes them:
            # a cancel holding a service lock never waits on us holding its rows.
            service_ids = _services_of(sorted({r.recipient_id for r in reports}))
            locked = {sid: ledger.lock(sid) for sid in service_ids}
        whole = _combine_parts(reports, now)
        if not whole:
            return []
        changes = _update_statuses(whole, now)
        if not changes:
            return []
        messages = {
            m.pk: m
            for m in Message.objects.filter(id__in={c.message_id for c in changes})
            .select_related("service")
            .only(
                "id",
                "service_id",
                "source",
                "recipient_price",
                "personalised",
                "notify_url",
                "service__callback_url",
            )
        }
        if refunding:
            _refund(changes, messages, locked)
        callbacks.queue_reports(changes, messages)
        signals.recipients_changed.send(sender=Recipient, changes=changes, messages=messages)
    return changes


def cancel_pending(message: Message, now=None) -> list[Change]:
    """Every recipient of ``message`` not yet handed to a gateway → CANCELLED, refunded once.

    A recipient under a worker's claim is being handed over right now and is
    not touched. Nor is one whose claim lapsed (its worker died): the gateway
    may have it, so a dispatcher settles it first (sends it, or finds it sent).
    """
    now = now or timezone.now()
    with transaction.atomic():
        service = ledger.lock(message.service_id)
        rows = list(
            Recipient.objects.select_for_update()
            .filter(message=message, status__in=[Status.PENDING, Status.ON_HOLD])
            .filter(claimed_until__isnull=True)
            .values_list("id", flat=True)
        )
        if not rows:
            return []
        Recipient.objects.filter(id__in=rows).update(
            status=Status.CANCELLED, status_at=now, refunded=True, claimed_until=None
        )
        changes = [
            Change(rid, message.pk, number, Status.CANCELLED, None)
            for rid, number in Recipient.objects.filter(id__in=rows)
            .order_by("id")
            .values_list("id", "number")
        ]
        _refund(changes, {message.pk: message}, {service.pk: service})
        callbacks.queue_reports(changes, {message.pk: message})
        signals.recipients_changed.send(
            sender=Recipient, changes=changes, messages={message.pk: message}
        )
    return changes


def _services_of(recipient_ids: list[int]) -> list[int]:
    if pg.in_use():
        return pg.services_of(recipient_ids)
    return sorted(
        set(
            Recipient.objects.filter(id__in=recipient_ids).values_list(
                "message__service_id", flat=True
            )
        )
    )


def _combine_parts(reports: list[Report], now) -> dict[int, Report]:
    """Whole-recipient reports: part reports folded into each recipient's delivered parts."""
    whole: dict[int, Report] = {}
    partial: dict[int, list[Report]] = defaultdict(list)
    for report in reports:
        if report.part is None or report.status != Status.DELIVERED:
            # A failed part fails the recipient at once.
            whole[report.recipient_id] = Report(report.recipient_id, report.status, report.at)
        else:
            partial[report.recipient_id].append(report)
    pending = [rid for rid in partial if rid not in whole]
    if not pending:
        return whole
    rows = (
        Recipient.objects.select_for_update(of=("self",))
        .filter(id__in=pending, status__in=OPEN_STATUSES)
        # A personalised recipient's own text has its own part count.
        .annotate(whole_parts=Coalesce("parts", "message__parts"))
        .values_list("id", "delivered_parts", "whole_parts")
    )
    for rid, mask, parts in rows:
        for report in partial[rid]:
            if 1 <= report.part <= parts:
                mask |= 1 << (report.part - 1)
        if mask == (1 << parts) - 1:
            last = max((r.at or now) for r in partial[rid])
            whole[rid] = Report(rid, Status.DELIVERED, last)
        else:
            Recipient.objects.filter(id=rid).update(delivered_parts=mask)
    return whole


def _update_statuses(whole: dict[int, Report], now) -> list[Change]:
    if pg.in_use():
        changes = (Change(*row) for row in pg.update_statuses(whole, now))
        return sorted(changes, key=lambda c: c.recipient_id)
    # SQLite (the demo): lock-free single writer; one UPDATE per status and time.
    open_rows = dict(
        Recipient.objects.filter(id__in=list(whole), status__in=OPEN_STATUSES).values_list(
            "id", "message_id"
        )
    )
    numbers = dict(Recipient.objects.filter(id__in=list(open_rows)).values_list("id", "number"))
    groups = defaultdict(list)
    for rid in open_rows:
        report = whole[rid]
        at = (report.at or now) if report.status == Status.DELIVERED else None
        groups[(report.status, at)].append(rid)
    for (status, at), ids in groups.items():
        Recipient.objects.filter(id__in=ids).update(
            status=status,
            status_at=now,
            delivered_at=at,
            refunded=status in REFUNDED_STATUSES,
            claimed_until=None,
        )
    return [
        Change(rid, open_rows[rid], numbers[rid], whole[rid].status, at)
        for (status, at), ids in groups.items()
        for rid in ids
    ]


def _refund(changes: Sequence[Change], messages: dict, locked: dict[int, Service]) -> None:
    """One refund entry per service for the failed recipients among ``changes``: each
    its own price (a personalised send's recipient with its own text, Recipient.price)."""
    by_service = defaultdict(lambda: [0, []])
    own_prices = _own_prices(changes, messages)
    for change in changes:
        if change.status in REFUNDED_STATUSES:
            message = messages[change.message_id]
            total = by_service[message.service_id]
            total[0] += own_prices.get(change.recipient_id, message.recipient_price)
            total[1].append(change.recipient_id)
    for service_id, (amount, ids) in sorted(by_service.items()):
        if not amount:
            continue
        ledger.apply_locked(
            locked[service_id],
            amount,
            LedgerKind.REFUND,
            enforce_limit=False,
            reference=f"refund:recipients:{uuid.uuid4().hex}",
            reason=LedgerReason.UNDELIVERED,
            params=_refund_params(ids, changes),
        )


def _own_prices(changes: Sequence[Change], messages: dict) -> dict:
    """The own price of each refunded recipient of a personalised message that has one;
    no query when none of ``changes`` is of a personalised message."""
    ids = [
        c.recipient_id
        for c in changes
        if c.status in REFUNDED_STATUSES and messages[c.message_id].personalised
    ]
    if not ids:
        return {}
    return dict(
        Recipient.objects.filter(id__in=ids, price__isnull=False).values_list("id", "price")
    )


def _refund_params(ids: list[int], changes: Sequence[Change]) -> dict:
    wanted = set(ids)
    message_ids = {c.message_id for c in changes if c.recipient_id in wanted}
    return ledger_reasons.undelivered_refund(len(ids), message_ids)
