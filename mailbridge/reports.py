"""Delivery reports by mail (seed 000 §4.2): a request that came by mail gets its
outcomes by mail.

1. When recipients of a mailed message reach a final status, a ``ReportLine``
   per recipient is written in that same transaction (``on_recipients_changed``,
   a receiver of messaging.signals.recipients_changed): the outbox of the
   reports, as callbacks are the HTTP API's. A committed change is never left
   unreported, and a recipient is reported once (its line is unique).
2. ``write_due`` turns the lines of each request into one report, at most one per
   request every ``SMS2EMAIL_REPORT_INTERVAL`` seconds, and none while there is
   no new line: a request of one SMS gets exactly one report, when it is final.
   The report is an ``OutboundMail`` (sent and retried by mailbridge.outbound);
   its lines are deleted in the same transaction.
3. A report goes to the sender when "Raporty z wysyłki do nadawcy" is on, and to
   the confirmed addresses of "Odbiorcy SMS-ów przychodz." (mailbridge.recipients;
   the sender needs no confirmation) when "Raporty z wysyłki do odbiorców" is on,
   each address its own mail, counted against the service's hourly limit
   (mailbridge.outbound.queue); Subject ``Re: <subject>``, ``In-Reply-To`` the
   request's Message-ID, from box@.

Each line is machine-readable, for servers that send in md5 mode: the number,
the status's wire name, its Polish word and the time (Europe/Warsaw), e.g.
``48601123456 DELIVERED doręczono 2026-12-01 15:02:11``.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from lib.taskqueue import kick_after_commit
from messaging.models import FINAL_STATUSES, Source, Status

from . import outbound
from .models import InboundMail, OutboundKind, Outcome, RecipientAddress, ReportLine, box_address

# mailbridge.tasks imports this module, so its task is named; the system check
# mailbridge.E001 fails if the name stops resolving.
WRITE_TASK = "mailbridge.tasks.write_reports"

POLISH = {
    Status.DELIVERED: "doręczono",
    Status.REJECTED: "odrzucono",
    Status.EXPIRED: "wygasł",
    Status.REMOTE_ERROR: "błąd",
    Status.CANCELLED: "anulowano",
}


def on_recipients_changed(sender, changes, messages, **kwargs) -> None:
    """Record the final outcomes of mailed messages among ``changes``."""
    mailed = {mid for mid, m in messages.items() if m.source == Source.EMAIL}
    if not mailed:
        return  # the hot path: reports of API sends
    final = [c for c in changes if c.message_id in mailed and c.status in FINAL_STATUSES]
    if not final:
        return
    requests = dict(
        InboundMail.objects.filter(message_id__in={c.message_id for c in final}).values_list(
            "message_id", "id"
        )
    )
    now = timezone.now()
    ReportLine.objects.bulk_create(
        [
            ReportLine(
                inbound_id=requests[c.message_id],
                recipient_id=c.recipient_id,
                number=c.number,
                status=c.status,
                at=c.delivered_at or now,
            )
            for c in final
            if c.message_id in requests
        ],
        ignore_conflicts=True,  # a recipient is final once; a repeat changes nothing
    )
    kick_after_commit(WRITE_TASK)


def line(row: ReportLine) -> str:
    at = timezone.localtime(row.at)
    return f"{row.number} {row.status} {POLISH.get(row.status, row.status)} {at:%Y-%m-%d %H:%M:%S}"


def write_due(now=None) -> int:
    """Write the reports that are due; returns how many."""
    now = now or timezone.now()
    quiet_since = now - timedelta(seconds=settings.SMS2EMAIL_REPORT_INTERVAL)
    due = (
        InboundMail.objects.filter(id__in=ReportLine.objects.values("inbound_id"))
        .exclude(last_report_at__gt=quiet_since)
        .values_list("id", flat=True)[:500]
    )
    written = 0
    for inbound_id in list(due):
        written += _write_one(inbound_id, now)
    return written


def _write_one(inbound_id: int, now) -> int:
    with transaction.atomic():
        request = (
            InboundMail.objects.select_for_update(of=("self",))
            .select_related("service__sms2email")
            .filter(id=inbound_id, outcome=Outcome.SENT)
            .first()
        )
        if request is None:
            return 0
        lines = list(
            ReportLine.objects.select_for_update().filter(inbound_id=inbound_id).order_by("id")
        )
        if not lines:
            return 0
        ReportLine.objects.filter(id__in=[row.id for row in lines]).delete()
        request.last_report_at = now
        request.save(update_fields=["last_report_at"])
        to = _report_recipients(request)
        if not to:
            return 0  # reports switched off: the lines are done with all the same
        subject = request.subject or ""
        if not subject.lower().startswith("re:"):
            subject = f"Re: {subject}".rstrip()
        body = "\n".join(line(row) for row in lines) + "\n"
        for address in to:
            outbound.queue(
                request.service_id,
                OutboundKind.REPORT,
                address,
                subject,
                body,
                from_address=box_address(),
                in_reply_to="" if request.mail_id.startswith("sha256:") else request.mail_id,
            )
        return 1


def _report_recipients(request: InboundMail) -> list[str]:
    settings_row = getattr(request.service, "sms2email", None)
    if settings_row is None:
        return []
    to = [request.sender] if settings_row.reports_to_sender else []
    if settings_row.reports_to_recipients:
        # The confirmed ones, and the sender if listed: it wrote to us, it needs no link.
        listed = RecipientAddress.objects.filter(settings=settings_row)
        to += [
            row.address
            for row in listed.order_by("id")
            if (row.confirmed_at or row.address == request.sender) and row.address not in to
        ]
    return to
