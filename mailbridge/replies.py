"""Answers to refused mail: one per mail, queued, sent through ``EMAIL_URL``, retried.

A refusal marks its log row ``pending`` in the transaction that records it; a
worker task sends every due reply and, when the SMTP server fails, tries the
row again later (doubling the wait up to an hour), up to ``MAX_ATTEMPTS``.
The bridge's minute task (migration 0002_minute_schedule) catches up with a
queue that lost the task. Each reply carries ``Auto-Submitted: auto-replied`` (RFC 3834), so a
well-behaved system never answers it.
"""

import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone

from lib.taskqueue import enqueue

from .models import InboundMail, ReplyState, box_address

logger = logging.getLogger(__name__)

# mailbridge.tasks imports this module, so its task is named; the system
# check mailbridge.E001 fails if the name stops resolving.
SEND_TASK = "mailbridge.tasks.send_replies"
MAX_ATTEMPTS = 10
FIRST_RETRY = timedelta(minutes=1)
SEND_LEASE = timedelta(minutes=5)  # a claimed mail waits this long for its worker
LONGEST_RETRY = timedelta(hours=1)


def send_after_commit() -> None:
    transaction.on_commit(lambda: enqueue(SEND_TASK))


def reply_for(row) -> EmailMessage:
    """The reply to one refused mail (seed 000 §4.2: ``Re: <subject>``, from box@)."""
    subject = row.subject or ""
    if not subject.lower().startswith("re:"):
        subject = f"Re: {subject}".rstrip()
    lines = [
        "Twoja wiadomość nie została wysłana jako SMS.",
        "",
        f"Powód: {row.detail}",
    ]
    if row.code is not None:
        lines.append(f"Kod błędu: {row.code}")
    lines += ["", f"Adres: {row.recipient}"]
    headers = {"Auto-Submitted": "auto-replied"}
    if not row.mail_id.startswith("sha256:"):
        headers["In-Reply-To"] = row.mail_id
        headers["References"] = row.mail_id
    return EmailMessage(
        subject=subject,
        body="\n".join(lines) + "\n",
        from_email=box_address(),
        to=[row.sender],
        headers=headers,
    )


def send_due(limit: int = 100) -> int:
    """Send the replies that are due; returns how many went out."""
    fields = Fields("reply_state", "reply_attempts", "reply_due_at", "reply_error")
    return send_pending(InboundMail.objects, fields, reply_for, limit)


@dataclass(frozen=True)
class Fields:
    """Where a kind of row keeps its sending state (replies and other mail differ)."""

    state: str
    attempts: str
    due_at: str
    error: str
    sent_at: str | None = None


def send_pending(rows, fields: Fields, build, limit: int = 100) -> int:
    """Send the rows of ``rows`` whose mail is due, each through ``send_once``;
    returns how many went out.

    The rows are claimed first, in a short transaction of their own: their due
    time moves a lease ahead, so another worker skips them, and no lock is held
    while SMTP talks. A worker that dies after sending a mail and before saving
    it sends that one mail again when the lease ends; the rest of its batch is
    sent once, then.
    """
    now = timezone.now()
    sent = 0
    with transaction.atomic():
        due = list(
            rows.select_for_update(skip_locked=True)
            .filter(**{fields.state: ReplyState.PENDING, f"{fields.due_at}__lte": now})
            .order_by(fields.due_at)[:limit]
        )
        rows.filter(pk__in=[row.pk for row in due]).update(**{fields.due_at: now + SEND_LEASE})
    # One SMTP session for the batch, not a connection a mail; a mail that fails ends
    # the session, and the next mail opens a fresh one.
    smtp = get_connection()
    _open(smtp)
    try:
        for row in due:
            mail = build(row)
            mail.connection = smtp
            attempt = send_once(mail, getattr(row, fields.attempts), now)
            if attempt.state != ReplyState.SENT:
                smtp.close()
                _open(smtp)
            _record(row, fields, attempt, now)
            sent += attempt.state == ReplyState.SENT
    finally:
        smtp.close()
    return sent


def _open(smtp) -> None:
    """Open the batch's session; if the server is not there, each mail's own attempt
    says so (and is retried), so the error is not raised here."""
    with contextlib.suppress(Exception):  # send_once records the failure of each mail
        smtp.open()


def _record(row, fields: "Fields", attempt: "Attempt", now) -> None:
    setattr(row, fields.state, attempt.state)
    setattr(row, fields.attempts, attempt.attempts)
    setattr(row, fields.due_at, attempt.due_at or getattr(row, fields.due_at))
    setattr(row, fields.error, attempt.error)
    changed = [fields.state, fields.attempts, fields.due_at, fields.error]
    if attempt.state == ReplyState.SENT and fields.sent_at:
        setattr(row, fields.sent_at, now)
        changed.append(fields.sent_at)
    row.save(update_fields=changed)


@dataclass(frozen=True)
class Attempt:
    state: str
    attempts: int
    due_at: datetime | None  # the next try, when there is one
    error: str = ""  # what the SMTP server (or the connection) said, when it failed


def send_once(mail: EmailMessage, attempts: int, now: datetime) -> Attempt:
    """Send ``mail`` through EMAIL_URL once; what to record, by the retry policy above.

    Every mail the platform sends (replies, incoming SMS, reports) goes through here.
    """
    attempts += 1
    try:
        mail.send()
    except Exception as exc:  # any SMTP or connection failure: try again later
        error = f"{type(exc).__name__}: {exc}"[:500]
        if attempts >= MAX_ATTEMPTS:
            logger.error("sms2email: mail to %s given up: %s", ", ".join(mail.to), exc)
            return Attempt(ReplyState.FAILED, attempts, None, error)
        wait = min(FIRST_RETRY * 2 ** (attempts - 1), LONGEST_RETRY)
        logger.warning(
            "sms2email: mail to %s failed (%s); again in %s", ", ".join(mail.to), exc, wait
        )
        return Attempt(ReplyState.PENDING, attempts, now + wait, error)
    return Attempt(ReplyState.SENT, attempts, None)
