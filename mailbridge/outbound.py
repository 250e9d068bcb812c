"""Mail the platform sends for a service, beyond replies: incoming SMS (seed 000 §4.3),
delivery reports (mailbridge.reports), confirmation links (mailbridge.recipients) and
notices to the customer.

An incoming SMS of a two-way service with Sms2Email on is written as an
``OutboundMail`` in the transaction that stores it (messaging.services
.store_incoming, whichever door the SMS came through: ``incoming/<sms_hash>/``,
a GSM device, the simulator), so a stored SMS is never left unmailed; the
workers send it at once and retry it as replies are retried. It comes from the
phone's address, ``48XXXXXXXXX@SMS2EMAIL_DOMAIN``, so that answering it is an
easy-mode send back to that phone. It goes to the confirmed addresses of
"Odbiorcy SMS-ów przychodz." (mailbridge.recipients), each its own mail.

Every mail but a notice to the customer is written through ``queue``, which
counts the service's mail of the last hour (``over_hourly_limit``: these mails
and the replies to refused requests, mailbridge.intake): past
``SMS2EMAIL_MAIL_PER_HOUR`` the mail is kept as ``LIMITED`` (shown in the
customer's Sms2Email log, never sent) and logged. Two mails written at once may
both pass the count at its edge: the limit is a ceiling on abuse, not an exact
quota.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone

from accounts.models import ServiceKind
from lib import sealed
from lib.taskqueue import kick_after_commit
from messaging.numbers import normalise_msisdn

from . import replies
from .models import (
    InboundMail,
    OutboundKind,
    OutboundMail,
    RecipientAddress,
    ReplyState,
    Sms2EmailSettings,
)

logger = logging.getLogger(__name__)

# mailbridge.tasks imports this module, so its task is named; the system check
# mailbridge.E001 fails if the name stops resolving.
SEND_TASK = "mailbridge.tasks.send_outbound"


def confirmed_recipients(settings_row: Sms2EmailSettings) -> list[str]:
    """The confirmed addresses of Odbiorcy SMS-ów przychodz.: the ones to mail."""
    return list(
        RecipientAddress.objects.filter(settings=settings_row, confirmed_at__isnull=False)
        .order_by("id")
        .values_list("address", flat=True)
    )


# The kinds the hourly limit counts: all but the platform's notices to the customer.
LIMITED_KINDS = [OutboundKind.INCOMING_SMS, OutboundKind.REPORT, OutboundKind.CONFIRMATION]
# Kept encrypted (lib.sealed): a confirmation link confirms its address for whoever
# reads it, in admin, the database or a backup.
SEALED_KINDS = {OutboundKind.CONFIRMATION}


def sent_in_the_last_hour(service_id: int, now) -> int:
    """The service's mail of the last hour that the hourly limit counts: mails of
    LIMITED_KINDS not kept back, and replies to refused mail."""
    since = now - timedelta(hours=1)
    mails = (
        OutboundMail.objects.filter(
            service_id=service_id, kind__in=LIMITED_KINDS, created_at__gte=since
        )
        .exclude(state=ReplyState.LIMITED)
        .count()
    )
    answered = [ReplyState.PENDING, ReplyState.SENT, ReplyState.FAILED]
    replies_sent = InboundMail.objects.filter(
        service_id=service_id, received_at__gte=since, reply_state__in=answered
    ).count()
    return mails + replies_sent


def over_hourly_limit(service_id: int, now) -> bool:
    """Whether the service's mail of the last hour reached SMS2EMAIL_MAIL_PER_HOUR."""
    return sent_in_the_last_hour(service_id, now) >= settings.SMS2EMAIL_MAIL_PER_HOUR


def queue(service_id: int, kind: str, to: str, subject: str, body: str, **fields) -> OutboundMail:
    """Write one mail to one address for the workers to send, or, past the service's
    hourly limit, keep it as LIMITED for the customer to see."""
    fields.update(service_id=service_id, kind=kind, to=to, subject=subject, body=body)
    return queue_many([fields])[0]


def queue_many(mails: list[dict]) -> list[OutboundMail]:
    """``queue`` for many mails at once (each a dict of OutboundMail's fields): the
    hourly limit counted once per service, the rows written in one statement."""
    now = timezone.now()
    room = {}
    rows = []
    for fields in mails:
        service_id = fields["service_id"]
        if service_id not in room:
            room[service_id] = settings.SMS2EMAIL_MAIL_PER_HOUR - sent_in_the_last_hour(
                service_id, now
            )
        limited = room[service_id] <= 0
        if fields["kind"] in LIMITED_KINDS:
            room[service_id] -= 1
        body = fields["body"]
        rows.append(
            OutboundMail(
                **{
                    **fields,
                    "from_address": fields.get("from_address", settings.DEFAULT_FROM_EMAIL),
                    "subject": fields["subject"][:300],
                    "body": sealed.seal(body) if fields["kind"] in SEALED_KINDS else body,
                    "created_at": now,
                    "state": ReplyState.LIMITED if limited else ReplyState.PENDING,
                }
            )
        )
        if limited:
            logger.warning(
                "sms2email: service %s is over %s mails an hour; %s to %s kept, not sent",
                service_id,
                settings.SMS2EMAIL_MAIL_PER_HOUR,
                fields["kind"],
                fields["to"],
            )
    OutboundMail.objects.bulk_create(rows)
    if any(row.state == ReplyState.PENDING for row in rows):
        kick_after_commit(SEND_TASK)
    return rows


def on_incoming(incoming) -> list[OutboundMail]:
    """Write the mails of one stored incoming SMS, when its service wants them."""
    settings_row = (
        Sms2EmailSettings.objects.filter(service_id=incoming.service_id, enabled=True)
        .select_related("service")
        .first()
    )
    if settings_row is None or settings_row.service.kind != ServiceKind.TWO_WAY:
        return []
    number = normalise_msisdn(incoming.from_number) or "".join(
        ch for ch in incoming.from_number if ch.isdigit()
    )
    received = timezone.localtime(incoming.received_at)
    return [
        queue(
            incoming.service_id,
            OutboundKind.INCOMING_SMS,
            address,
            f"SMS od {number}",
            (
                f"SMS od: {number}\n"
                f"Odebrano: {received:%Y-%m-%d %H:%M:%S} ({received.tzname()}, Europe/Warsaw)\n"
                f"\n{incoming.text}\n"
            ),
            from_address=f"{number or 'sms'}@{settings.SMS2EMAIL_DOMAIN}",
            incoming=incoming,
        )
        for address in confirmed_recipients(settings_row)
    ]


def queue_notice(service_id: int, to: str, subject: str, body: str) -> OutboundMail:
    """A mail telling the customer of a change (service activated, sender name moderated),
    sent by the workers with the same retries as the rest of the platform's mail."""
    mail = OutboundMail.objects.create(
        service_id=service_id,
        kind=OutboundKind.NOTICE,
        from_address=settings.DEFAULT_FROM_EMAIL,
        to=to,
        subject=subject,
        body=body,
    )
    kick_after_commit(SEND_TASK)
    return mail


def send_again(rows) -> int:
    """Staff's "send again": due now, with a fresh set of attempts."""
    count = rows.update(state=ReplyState.PENDING, due_at=timezone.now(), attempts=0, last_error="")
    kick_after_commit(SEND_TASK)
    return count


def message_for(row: OutboundMail) -> EmailMessage:
    headers = {"Auto-Submitted": "auto-replied"}
    if row.in_reply_to:  # a report: threaded under the request it answers
        headers["In-Reply-To"] = headers["References"] = row.in_reply_to
    return EmailMessage(
        subject=row.subject,
        body=sealed.unseal(row.body) if row.kind in SEALED_KINDS else row.body,
        from_email=row.from_address,
        to=[a.strip() for a in row.to.split(",") if a.strip()],
        headers=headers,
    )


def send_due(limit: int = 100) -> int:
    """Send the platform's mail that is due; returns how many went out."""
    fields = replies.Fields("state", "attempts", "due_at", "last_error", sent_at="sent_at")
    return replies.send_pending(OutboundMail.objects, fields, message_for, limit)
