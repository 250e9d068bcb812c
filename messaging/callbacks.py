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
import re
import secrets
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone

from accounts import audit
from accounts.models import AuditAction, Service
from lib import outbound, shutdown
from lib.taskqueue import enqueue, kick_after_commit, wake_at

from . import numbers, pg
from .models import (
    Callback,
    CallbackAttempt,
    CallbackHost,
    CallbackKind,
    CallbackState,
    IncomingMessage,
    callback_host,
)

logger = logging.getLogger(__name__)

RECORDS_PER_CALL = 20  # seed 001 §5b: 1 to 20 records a call
# messaging.tasks imports this module, so its task is named, not imported;
# the system check messaging.E001 fails if the name stops resolving.
DELIVER_TASK = "messaging.tasks.deliver_callbacks"
SIGNATURE_HEADER = "X-Signature"
CLAIM_SECONDS = 60  # how long a worker owns the callbacks it claimed


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
    with transaction.atomic():
        Service.objects.filter(pk=service.pk).update(
            callback_key_version=service.callback_key_version
        )
        audit.record(
            AuditAction.SIGNING_SECRET, service=service, changes={"signing_secret": [None, None]}
        )
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


# A record's number (``report_record``): what retention masks in a kept body.
_RECORD_NUMBER = re.compile(r"(status\[\]=\d+,\d+,)([^,&]*)")


def mask_report_body(body: str) -> str:
    """A report callback's body with each record's number masked (messaging.retention)."""
    return _RECORD_NUMBER.sub(lambda found: found[1] + numbers.mask(found[2]), body)


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
        host = callback_host(url)
        items.sort(key=lambda c: c.recipient_id)
        for start in range(0, len(items), RECORDS_PER_CALL):
            chunk = items[start : start + RECORDS_PER_CALL]
            rows.append(
                Callback(
                    service_id=message.service_id,
                    kind=CallbackKind.REPORT,
                    message_id=message_id,
                    url=url,
                    host=host,
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
    callback = Callback.objects.create(
        service=service,
        kind=CallbackKind.INCOMING,
        incoming=incoming,
        url=service.callback_url,
        body=incoming_body(incoming),
    )
    _deliver_after_commit()
    return callback


def incoming_body(incoming: IncomingMessage) -> str:
    """The incoming-SMS callback's body (seed 001 §3b), as the SMS is stored (archived:
    its text empty, its number masked; messaging.retention)."""
    return urlencode(
        {
            "from_number": incoming.from_number,
            "to_number": incoming.to_number,
            "sms_message": incoming.text,
            "sms_date": int(incoming.received_at.timestamp()),
        }
    )


def _deliver_after_commit() -> None:
    kick_after_commit(DELIVER_TASK)


# -- delivering them (a worker) ------------------------------------------------------------

# Claims are taken in fair order: each service's oldest due callback first,
# then each one's second, and so on (round-robin), so one service's backlog
# delays another's first attempt by at most one claim. Callbacks to a host
# backed off (CallbackHost) are not claimed; nor, while this worker has
# CALLBACK_HOST_CONCURRENCY POSTs to a host in flight, more for that host.
# On PostgreSQL one statement claims them (pg.claim_callbacks); fair_order
# below is the same rule in Python, for SQLite.


def fair_order(callbacks: Sequence[Callback]) -> list[Callback]:
    """Round-robin across services: every service's oldest first, then every second..."""
    turns: dict[int, int] = defaultdict(int)
    ranked = []
    for callback in sorted(callbacks, key=lambda c: (c.next_attempt_at, c.pk)):
        turns[callback.service_id] += 1
        ranked.append((turns[callback.service_id], callback.next_attempt_at, callback.pk, callback))
    return [item[-1] for item in sorted(ranked, key=lambda item: item[:3])]


def claim_due(limit: int, now=None, skip_hosts: Sequence[str] = ()) -> list[Callback]:
    """Claim up to ``limit`` due callbacks in fair order for CLAIM_SECONDS."""
    now = now or timezone.now()
    until = now + timedelta(seconds=CLAIM_SECONDS)
    if pg.in_use():
        claimed = pg.claim_callbacks(limit, now, until, skip_hosts)
    else:
        with transaction.atomic():
            blocked = CallbackHost.objects.filter(blocked_until__gt=now).values("host")
            due = list(
                Callback.objects.filter(state=CallbackState.PENDING, next_attempt_at__lte=now)
                .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
                .exclude(host__in=blocked)
                .exclude(host__in=list(skip_hosts))
                .only(*_DELIVERY_FIELDS)
            )
            claimed = fair_order(due)[:limit]
            Callback.objects.filter(id__in=[c.pk for c in claimed]).update(claimed_until=until)
            for callback in claimed:
                callback.claimed_until = until
    _attach_services(claimed)
    return claimed


_DELIVERY_FIELDS = (
    "id",
    "service_id",
    "host",
    "url",
    "body",
    "attempts",
    "created_at",
    "next_attempt_at",
)


def _attach_services(claimed: list[Callback]) -> None:
    """What signing needs of each service, in one query."""
    ids = {c.service_id for c in claimed}
    if not ids:
        return
    services = Service.objects.only("id", "callback_key_version").in_bulk(ids)
    for callback in claimed:
        callback.service = services[callback.service_id]


def next_due_at(now=None):
    """When the earliest pending callback falls due (its host's back-off counted), or None."""
    now = now or timezone.now()
    earliest = (
        Callback.objects.filter(state=CallbackState.PENDING)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .exclude(host__in=CallbackHost.objects.filter(blocked_until__gt=now).values("host"))
        .aggregate(at=Min("next_attempt_at"))["at"]
    )
    ends = CallbackHost.objects.filter(
        blocked_until__gt=now,
        host__in=Callback.objects.filter(state=CallbackState.PENDING).values("host"),
    ).aggregate(at=Min("blocked_until"))["at"]
    return min((at for at in (earliest, ends) if at is not None), default=None)


def deliver(budget: float = 50.0, linger: float | None = None) -> int:
    """POST due callbacks until none is due (after lingering) or ``budget`` seconds are spent.

    CALLBACK_CONCURRENCY POSTs run at once in (daemon) threads, at most
    CALLBACK_HOST_CONCURRENCY of them to one host, so a receiver that never
    answers leaves slots free for the others; new work is claimed as slots
    free up. A retry due within ``linger`` seconds is waited for here (retries
    keep their interval); a later one wakes a worker through django-q2's
    scheduler, and the minute tick catches up on anything else. Each attempt
    is written as soon as it is made (from this thread only), so a worker
    killed halfway loses at most the ones in flight. Returns the attempts made.
    """
    return _Delivery(budget, settings.CALLBACK_LINGER_SECONDS if linger is None else linger).run()


def deliver_due(limit: int = 200, now=None) -> int:
    """Claim once and POST what was claimed (tests, tools); returns the attempts made."""
    return _Delivery(budget=0.0, linger=0.0, limit=limit, now=now).run()


class _Delivery:
    # Callbacks claimed at a time. A claim is fair (round-robin), and one that
    # could not start before its claim lapsed is given back unsent.
    CLAIM_LIMIT = 200
    IDLE_POLL = 0.25  # seconds between claims while slots are free and nothing is due

    def __init__(self, budget: float, linger: float, limit: int | None = None, now=None):
        self.budget = budget
        self.linger = linger
        self.now = now
        self.concurrency = max(1, settings.CALLBACK_CONCURRENCY)
        self.host_room = max(1, settings.CALLBACK_HOST_CONCURRENCY)
        self.limit = limit or self.CLAIM_LIMIT
        self.once = budget <= 0
        self.started = time.monotonic()
        self.waiting: list[tuple[float, Callback]] = []  # (claimed at, callback), fair order
        self.running: dict[Future, Callback] = {}
        self.in_flight: Counter[str] = Counter()
        self.failing: set[str] = set()  # hosts with failures in a row (CallbackHost)
        self.answered: set[str] = set()  # hosts that answered since the last claim
        self.attempts = 0
        self.last_empty_claim = -1e9
        self.last_work = self.started

    def stopping(self) -> bool:
        return shutdown.requested() or (
            not self.once and time.monotonic() - self.started >= self.budget
        )

    def run(self) -> int:
        try:
            self._loop()
        finally:
            # Nothing claimed stays claimed unstarted. A POST still in flight
            # here (the worker is stopping) is left to its claim, which lapses.
            self._give_back([callback for _, callback in self.waiting])
        if not self.once and not shutdown.requested():
            self._wake_for_the_next()
        return self.attempts

    def _loop(self) -> None:
        claimed_once = False
        stop_noticed = None
        while True:
            self._start()
            room = self.concurrency - len(self.running)
            may_claim = room and not self.stopping() and not (self.once and claimed_once)
            if may_claim and self._claim():
                claimed_once = True
                continue
            if self.running:
                if shutdown.requested():
                    # Let the POSTs in flight finish for a moment, not for their whole
                    # timeout: one still hanging then is left to its claim's lapse.
                    stop_noticed = stop_noticed or time.monotonic()
                    if time.monotonic() - stop_noticed > SHUTDOWN_GRACE_SECONDS:
                        return
                timeout = None if self.once else self.IDLE_POLL
                done, _ = wait(self.running, timeout=timeout, return_when=FIRST_COMPLETED)
                try:
                    self._finished(done)
                except Exception:  # their claims lapse and they are tried again
                    logger.exception("recording callback attempts failed")
                continue
            if self.once or self.stopping():
                return
            if self.waiting:
                continue  # their host has room again
            due = next_due_at()
            if due is not None:
                wait_for = (due - timezone.now()).total_seconds()
                if wait_for <= self.linger and not self._past_budget(wait_for):
                    time.sleep(min(max(wait_for, 0.05), self.IDLE_POLL))
                    continue
            stay = self.stay()
            if stay <= 0:
                return
            time.sleep(min(stay, self.IDLE_POLL))

    def stay(self) -> float:
        """How much longer to stay with nothing due soon: callbacks committed
        meanwhile queue no task of their own (lib.taskqueue.kick_after_commit coalesces
        them into the run already going)."""
        if self.linger <= 0:
            return 0.0
        minimum = min(self.linger, 2 * settings.DISPATCH_COALESCE_SECONDS)
        return minimum - (time.monotonic() - self.last_work)

    def _past_budget(self, wait_for: float) -> bool:
        return time.monotonic() - self.started + max(wait_for, 0.0) >= self.budget

    def _claim(self) -> bool:
        if time.monotonic() - self.last_empty_claim < self.IDLE_POLL and not self.once:
            return False
        self._clear_answered()
        waiting_hosts = {callback.host for _, callback in self.waiting}
        full = {host for host, n in self.in_flight.items() if n >= self.room_for(host)}
        room = self.limit - len(self.waiting)
        if room <= 0:
            return False
        at = time.monotonic()  # before: the claim's time runs from its statement
        claimed = claim_due(room, self.now, skip_hosts=sorted(waiting_hosts | full))
        if not claimed:
            self.last_empty_claim = time.monotonic()
            return False
        self.waiting.extend((at, callback) for callback in claimed)
        hosts = {callback.host for callback in claimed} - self.failing
        self.failing.update(
            CallbackHost.objects.filter(host__in=hosts).values_list("host", flat=True)
        )
        return True

    def _clear_answered(self) -> None:
        if self.answered:
            hosts_answered(sorted(self.answered))
            self.answered.clear()

    def room_for(self, host: str) -> int:
        # A host that failed without answering gets one POST at a time: a probe.
        return 1 if host in self.failing else self.host_room

    def _start(self) -> None:
        """Start waiting callbacks in order while the pool and their host have room."""
        # Claimed in order, so those whose claim runs out first lead the list.
        lapsing = 0
        limit = CLAIM_SECONDS - outbound.TOTAL_TIMEOUT
        while lapsing < len(self.waiting) and time.monotonic() - self.waiting[lapsing][0] > limit:
            lapsing += 1
        if lapsing:
            # They could end after their claim lapsed, and another worker would
            # send them too: give them back, due at once.
            self._give_back([callback for _, callback in self.waiting[:lapsing]])
            del self.waiting[:lapsing]
        if self.stopping() or len(self.running) >= self.concurrency or not self.waiting:
            return
        kept = []
        for index, (claimed_at, callback) in enumerate(self.waiting):
            if len(self.running) >= self.concurrency:
                kept.extend(self.waiting[index:])
                break
            if self.in_flight[callback.host] >= self.room_for(callback.host):
                kept.append((claimed_at, callback))
                continue
            self.in_flight[callback.host] += 1
            future = _posters().submit(attempt, callback, self.now or timezone.now())
            self.running[future] = callback
        self.waiting = kept

    def _finished(self, futures) -> None:
        """Record the attempts just made, in one transaction, then learn of their hosts."""
        done = []
        for future in futures:
            callback = self.running.pop(future)
            self.in_flight[callback.host] -= 1
            done.append((callback, future.result()))
        _record(done)
        self.attempts += len(done)
        self.last_work = time.monotonic()
        for callback, record in done:
            self._learn(callback, record)

    def _learn(self, callback: Callback, record: CallbackAttempt) -> None:
        if record.http_status is not None:
            # Any answer clears the host's failures, also those another worker
            # counted: at once when we know of them, else with the next claim.
            if callback.host in self.failing:
                self.failing.discard(callback.host)
                hosts_answered([callback.host])
            else:
                self.answered.add(callback.host)
            return
        if record.final:
            return
        self.failing.add(callback.host)
        if host_failed(callback.host, record.error):
            # Backed off: what waits here for it goes back, to wait in the database.
            self._give_back([c for _, c in self.waiting if c.host == callback.host])
            self.waiting = [(t, c) for t, c in self.waiting if c.host != callback.host]

    def _give_back(self, callbacks: Sequence[Callback]) -> None:
        by_claim = defaultdict(list)
        for callback in callbacks:
            by_claim[callback.claimed_until].append(callback.pk)
        for until, ids in by_claim.items():  # only claims still ours
            Callback.objects.filter(id__in=ids, claimed_until=until).update(claimed_until=None)

    def _wake_for_the_next(self) -> None:
        due = next_due_at()
        if due is None:
            return
        if due <= timezone.now():
            enqueue(DELIVER_TASK)  # out of budget with work left
        else:
            wake_at(DELIVER_TASK, due, name=WAKE_SCHEDULE)


_pool: outbound.DaemonPool | None = None


def _posters() -> outbound.DaemonPool:
    """The threads that POST, one set per process (made on first use, grown with the setting)."""
    global _pool
    if _pool is None or _pool.size < settings.CALLBACK_CONCURRENCY:
        _pool = outbound.DaemonPool(max(1, settings.CALLBACK_CONCURRENCY), "callbacks")
    return _pool


WAKE_SCHEDULE = "callbacks: next retry"
SHUTDOWN_GRACE_SECONDS = 2.0
# A host that failed this many POSTs in a row without any answer is backed off.
BACKOFF_AFTER = 2


def host_failed(host: str, error: str) -> bool:
    """Count a POST to ``host`` that got no answer; True when the host is now backed off.

    From the second failure in a row the host waits CALLBACK_RETRY_INTERVAL,
    doubling with each further one up to CALLBACK_HOST_BACKOFF_MAX.
    """
    now = timezone.now()
    with transaction.atomic():
        row, _ = CallbackHost.objects.select_for_update().get_or_create(host=host)
        if row.blocked_until and row.blocked_until > now:
            # POSTs that were in flight when it was backed off: the same outage,
            # not further failures to double the back-off for.
            return True
        row.failures += 1
        row.last_error = error[:200]
        row.updated_at = now
        backed_off = row.failures >= BACKOFF_AFTER
        if backed_off:
            seconds = settings.CALLBACK_RETRY_INTERVAL * 2 ** (row.failures - BACKOFF_AFTER)
            seconds = min(seconds, settings.CALLBACK_HOST_BACKOFF_MAX)
            row.blocked_until = max(row.blocked_until or now, now + timedelta(seconds=seconds))
        row.save()
    if backed_off:
        logger.warning(
            "callback host %s backed off until %s after %d failures in a row (%s)",
            host,
            row.blocked_until,
            row.failures,
            error,
        )
    return backed_off


def hosts_answered(hosts: Sequence[str]) -> None:
    """Any HTTP answer clears a host's failures (the rows exist only for failing hosts)."""
    CallbackHost.objects.filter(host__in=list(hosts)).delete()


def _record(done: Sequence[tuple[Callback, CallbackAttempt]]) -> None:
    """Write attempts and their callbacks' new state (one commit for those done together)."""
    with transaction.atomic():
        CallbackAttempt.objects.bulk_create([record for _, record in done])
        for callback, record in done:
            finished = callback.state != CallbackState.PENDING
            # Only under our claim: had it lapsed and been taken, the other
            # worker's outcome stands (this attempt is kept all the same).
            Callback.objects.filter(id=callback.pk, claimed_until=callback.claimed_until).update(
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
    record.final = False  # not stored: a failure retrying cannot help
    callback.attempts += 1
    try:
        response = outbound.post_form(callback.url, body, headers)
    except outbound.DeliveryFailed as exc:
        record.error = exc.reason[:200]
        record.final = exc.final
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
    if record.final or retry_at > window_ends:
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
