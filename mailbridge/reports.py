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

from collections import defaultdict
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


def write_due(now=None, limit: int = 500) -> int:
    """Write the reports that are due, up to ``limit`` of them in one transaction (the
    requests locked, another worker skipping them); returns how many."""
    now = now or timezone.now()
    quiet_since = now - timedelta(seconds=settings.SMS2EMAIL_REPORT_INTERVAL)
    with transaction.atomic():
        requests = list(
            InboundMail.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("service__sms2email")
            .filter(id__in=ReportLine.objects.values("inbound_id"), outcome=Outcome.SENT)
            .exclude(last_report_at__gt=quiet_since)
            .order_by("id")[:limit]
        )
        if not requests:
            return 0
        lines = defaultdict(list)
        for row in (
            ReportLine.objects.select_for_update()
            .filter(inbound_id__in=[request.pk for request in requests])
            .order_by("id")
        ):
            lines[row.inbound_id].append(row)
        taken = [row.id for rows in lines.values() for row in rows]
        ReportLine.objects.filter(id__in=taken).delete()
        InboundMail.objects.filter(id__in=list(lines)).update(last_report_at=now)
        mails = []
        for request in requests:
            if not lines[request.pk]:
                continue
            # No recipient (reports switched off): the lines are done with all the same.
            mails += _report_mails(request, lines[request.pk])
        outbound.queue_many(mails)
    return len(lines)


def _report_mails(request: InboundMail, lines: list[ReportLine]) -> list[dict]:
    subject = request.subject or ""
    if not subject.lower().startswith("re:"):
        subject = f"Re: {subject}".rstrip()
    body = "\n".join(line(row) for row in lines) + "\n"
    return [
        {
            "service_id": request.service_id,
            "kind": OutboundKind.REPORT,
            "to": address,
            "subject": subject,
            "body": body,
            "from_address": box_address(),
            "in_reply_to": "" if request.mail_id.startswith("sha256:") else request.mail_id,
        }
        for address in _report_recipients(request)
    ]


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
