"""Mail the platform sends for a service, beyond replies: incoming SMS (seed 000 §4.3).

An incoming SMS of a two-way service with Sms2Email on is written as an
``OutboundMail`` in the transaction that stores it (messaging.services
.store_incoming, whichever door the SMS came through: ``incoming/<sms_hash>/``,
a GSM device, the simulator), so a stored SMS is never left unmailed; the
workers send it at once and retry it as replies are retried. It comes from the
phone's address, ``48XXXXXXXXX@SMS2EMAIL_DOMAIN``, so that answering it is an
easy-mode send back to that phone.
"""

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from accounts.models import ServiceKind
from lib.taskqueue import enqueue
from messaging.numbers import normalise_msisdn

from . import replies
from .models import OutboundKind, OutboundMail, ReplyState, Sms2EmailSettings
from .senders import split_addresses

logger = logging.getLogger(__name__)

# mailbridge.tasks imports this module, so its task is named; the system check
# mailbridge.E001 fails if the name stops resolving.
SEND_TASK = "mailbridge.tasks.send_outbound"


def recipients_of(settings_row: Sms2EmailSettings) -> list[str]:
    """Odbiorcy SMS-ów przychodz., as a list."""
    return split_addresses(settings_row.incoming_recipients)


def on_incoming(incoming) -> OutboundMail | None:
    """Write the mail of one stored incoming SMS, when its service wants one."""
    settings_row = (
        Sms2EmailSettings.objects.filter(service_id=incoming.service_id, enabled=True)
        .select_related("service")
        .first()
    )
    if settings_row is None or settings_row.service.kind != ServiceKind.TWO_WAY:
        return None
    to = recipients_of(settings_row)
    if not to:
        return None
    number = normalise_msisdn(incoming.from_number) or "".join(
        ch for ch in incoming.from_number if ch.isdigit()
    )
    received = timezone.localtime(incoming.received_at)
    mail = OutboundMail.objects.create(
        service_id=incoming.service_id,
        kind=OutboundKind.INCOMING_SMS,
        from_address=f"{number or 'sms'}@{settings.SMS2EMAIL_DOMAIN}",
        to=", ".join(to),
        subject=f"SMS od {number}",
        body=(
            f"SMS od: {number}\n"
            f"Odebrano: {received:%Y-%m-%d %H:%M:%S} ({received.tzname()}, Europe/Warsaw)\n"
            f"\n{incoming.text}\n"
        ),
        incoming=incoming,
    )
    transaction.on_commit(lambda: enqueue(SEND_TASK))
    return mail


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
    transaction.on_commit(lambda: enqueue(SEND_TASK))
    return mail


def send_again(rows) -> int:
    """Staff's "send again": due now, with a fresh set of attempts."""
    count = rows.update(state=ReplyState.PENDING, due_at=timezone.now(), attempts=0, last_error="")
    transaction.on_commit(lambda: enqueue(SEND_TASK))
    return count


def message_for(row: OutboundMail) -> EmailMessage:
    headers = {"Auto-Submitted": "auto-replied"}
    if row.in_reply_to:  # a report: threaded under the request it answers
        headers["In-Reply-To"] = headers["References"] = row.in_reply_to
    return EmailMessage(
        subject=row.subject,
        body=row.body,
        from_email=row.from_address,
        to=[a.strip() for a in row.to.split(",") if a.strip()],
        headers=headers,
    )


def send_due(limit: int = 100) -> int:
    """Send the platform's mail that is due; returns how many went out."""
    fields = replies.Fields("state", "attempts", "due_at", "last_error", sent_at="sent_at")
    return replies.send_pending(OutboundMail.objects, fields, message_for, limit)
