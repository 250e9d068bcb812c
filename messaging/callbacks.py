"""Delivery-report and incoming-SMS callbacks to customers' servers (seed 001 §3b, §5b).

A callback is written in the transaction of the change it reports (an outbox),
then POSTed by a worker. The receiver must answer with the body ``OK``;
otherwise the same callback is tried again every ``CALLBACK_RETRY_INTERVAL``
seconds until ``CALLBACK_RETRY_WINDOW`` has passed since it was written. A host
that does not resolve, cannot be routed to, or is a private address is given
up at once. Every attempt is kept (CallbackAttempt).

Each POST carries ``X-Signature: sha256=<hex>``, the HMAC-SHA256 of the exact
body with the service's callback signing secret (shown in the panel), so a
receiver can check the report came from us.
"""

import hashlib
import hmac
import logging
import secrets
import time
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Service

from . import outbound
from .models import Callback, CallbackAttempt, CallbackKind, CallbackState, IncomingMessage

logger = logging.getLogger(__name__)

RECORDS_PER_CALL = 20  # seed 001 §5b: 1 to 20 records a call
SIGNATURE_HEADER = "X-Signature"
CLAIM_SECONDS = 60  # how long a worker owns the callbacks it claimed
# What one POST may take besides outbound.TOTAL_TIMEOUT: the DNS lookup is not bounded by it.
LOOKUP_SECONDS = 10


# -- signing ------------------------------------------------------------------------------


def signing_secret(service: Service) -> str:
    """The service's callback signing secret: derived, never stored.

    HMAC of the service id and its key version under the platform's signing
    key, so the database alone does not reveal it; regenerating it changes the
    version.
    """
    key = (settings.CALLBACK_SIGNING_KEY or settings.SECRET_KEY).encode()
    label = f"callback-signing:{service.pk}:{service.callback_key_version}".encode()
    return hmac.new(key, label, hashlib.sha256).hexdigest()


def regenerate_signing_secret(service: Service) -> str:
    service.callback_key_version = secrets.token_hex(8)
    Service.objects.filter(pk=service.pk).update(callback_key_version=service.callback_key_version)
    return signing_secret(service)


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# -- writing them (inside the transaction of the change) ---------------------------------


def report_record(change) -> str:
    """One ``status[]`` record: message_id,instance_id,number,STATUS,delivered unix or -1."""
    delivered = int(change.delivered_at.timestamp()) if change.delivered_at else -1
    return (
        f"status[]={change.message_id},{change.recipient_id},{change.number},"
        f"{change.status},{delivered}"
    )


def queue_reports(changes: Sequence, messages: dict) -> int:
    """Write the report callbacks for ``changes``: per message, 20 records a call at most.

    The URL is the message's notify_url, else the service's callback URL; a
    message with neither gets no callbacks.
    """
    by_message = defaultdict(list)
    for change in changes:
        by_message[change.message_id].append(change)
    now = timezone.now()
    rows = []
    for message_id, items in sorted(by_message.items()):
        message = messages[message_id]
        url = message.notify_url or message.service.callback_url
        if not url:
            continue
        items.sort(key=lambda c: c.recipient_id)
        for start in range(0, len(items), RECORDS_PER_CALL):
            chunk = items[start : start + RECORDS_PER_CALL]
            rows.append(
                Callback(
                    service_id=message.service_id,
                    kind=CallbackKind.REPORT,
                    message_id=message_id,
                    url=url,
                    body="&".join(report_record(c) for c in chunk),
                    record_count=len(chunk),
                    created_at=now,
                    next_attempt_at=now,
                )
            )
    if rows:
        Callback.objects.bulk_create(rows, batch_size=1000)
        _deliver_after_commit()
    return len(rows)


def queue_incoming(incoming: IncomingMessage, service: Service) -> Callback | None:
    """The incoming-SMS callback (seed 001 §3b), when the service has a callback URL."""
    if not service.callback_url:
        return None
    body = urlencode(
        {
            "from_number": incoming.from_number,
            "to_number": incoming.to_number,
            "sms_message": incoming.text,
            "sms_date": int(incoming.received_at.timestamp()),
        }
    )
    callback = Callback.objects.create(
        service=service,
        kind=CallbackKind.INCOMING,
        incoming=incoming,
        url=service.callback_url,
        body=body,
    )
    _deliver_after_commit()
    return callback


def _deliver_after_commit() -> None:
    from .queue import enqueue

    transaction.on_commit(lambda: enqueue("messaging.tasks.deliver_callbacks"))


# -- delivering them (a worker) ------------------------------------------------------------


def claim_due(limit: int, now=None) -> list[Callback]:
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            Callback.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(state=CallbackState.PENDING, next_attempt_at__lte=now)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
            .select_related("service")
            .only(
                "id",
                "url",
                "body",
                "attempts",
                "created_at",
                "next_attempt_at",
                "service__callback_key_version",
            )
            .order_by("next_attempt_at", "id")[:limit]
        )
        if due:
            Callback.objects.filter(id__in=[c.pk for c in due]).update(
                claimed_until=now + timedelta(seconds=CLAIM_SECONDS)
            )
    return due


def deliver_due(limit: int = 200, now=None) -> int:
    """POST a batch of due callbacks, CALLBACK_CONCURRENCY at a time; returns how many were tried.

    Each attempt is written as soon as it is made, so a worker killed halfway
    loses at most the ones in flight. No POST starts that could end after the
    batch's claim has lapsed (another worker would send the same callback
    again): the callbacks not yet tried are given back, due at once. POSTs
    run in threads (one slow receiver does not hold up the rest); the
    database is written from this thread only.
    """
    claimed_at = time.monotonic()
    due = claim_due(limit, now)
    if not due:
        return 0
    post_seconds = outbound.TOTAL_TIMEOUT + LOOKUP_SECONDS

    def try_one(callback: Callback) -> CallbackAttempt | None:
        if time.monotonic() - claimed_at + post_seconds > CLAIM_SECONDS:
            return None
        return attempt(callback, now or timezone.now())

    skipped = []
    with ThreadPoolExecutor(max_workers=settings.CALLBACK_CONCURRENCY) as pool:
        futures = {pool.submit(try_one, callback): callback for callback in due}
        for future in as_completed(futures):
            callback, record = futures[future], future.result()
            if record is None:
                skipped.append(callback.pk)
                continue
            _record(callback, record)
    if skipped:
        Callback.objects.filter(id__in=skipped).update(claimed_until=None)
    return len(due) - len(skipped)


def _record(callback: Callback, record: CallbackAttempt) -> None:
    with transaction.atomic():
        record.save()
        finished = callback.state != CallbackState.PENDING
        Callback.objects.filter(id=callback.pk).update(
            state=callback.state,
            attempts=callback.attempts,
            next_attempt_at=callback.next_attempt_at,
            claimed_until=None,
            finished_at=record.at if finished else None,
        )


def attempt(callback: Callback, now) -> CallbackAttempt:
    """Try one callback; set its state and next attempt; return the attempt's record."""
    body = callback.body.encode()
    headers = {SIGNATURE_HEADER: signature(signing_secret(callback.service), body)}
    record = CallbackAttempt(callback_id=callback.pk, at=now, url=callback.url)
    callback.attempts += 1
    final = False
    try:
        response = outbound.post_form(callback.url, body, headers)
    except outbound.DeliveryFailed as exc:
        record.error = exc.reason[:200]
        final = exc.final
    else:
        record.http_status = response.status
        record.duration_ms = response.elapsed_ms
        # PostgreSQL text cannot hold NUL; a receiver may answer anything.
        excerpt = response.body[:200].decode("utf-8", "replace").replace("\x00", "\ufffd")
        record.response_excerpt = excerpt
        record.ok = 200 <= response.status < 300 and response.body.strip() == b"OK"
        if not record.ok:
            record.error = f"answered {response.status}, not OK"
    if record.ok:
        callback.state = CallbackState.DELIVERED
        return record
    retry_at = now + timedelta(seconds=settings.CALLBACK_RETRY_INTERVAL)
    window_ends = callback.created_at + timedelta(seconds=settings.CALLBACK_RETRY_WINDOW)
    if final or retry_at > window_ends:
        callback.state = CallbackState.GIVEN_UP
        logger.info("callback %s given up: %s", callback.pk, record.error)
    else:
        callback.state = CallbackState.PENDING
        callback.next_attempt_at = retry_at
    return record


def resend_message(message_id: int) -> int:
    """Deliver every report callback of a message again, from now (an operator's command).

    A callback a worker is POSTing right now keeps its claim: freeing it would
    let a second worker send it at the same time.
    """
    now = timezone.now()
    count = Callback.objects.filter(message_id=message_id, kind=CallbackKind.REPORT).update(
        state=CallbackState.PENDING,
        created_at=now,
        next_attempt_at=now,
        finished_at=None,
    )
    if count:
        _deliver_after_commit()
    return count
