"""Retention (RODO): message texts and phone numbers are kept only so long.

RETENTION_TEXT_DAYS after a message was final its text is erased; after
RETENTION_NUMBER_DAYS its recipients' numbers are masked (``numbers.mask``:
``48******123``). A message is final when every recipient is (delivered,
rejected, cancelled, expired, operator error), and its age counts from the
last of them: a message still pending, scheduled, on hold, being dispatched or
waiting for a report is never touched. Received SMS count from when they were
received. The message row, its statuses, prices, refunds and the ledger stay:
accounting needs them, and the ledger holds no text or number (its entries
name message ids and counts).

Where texts and numbers live, and what happens to each:

- ``Message.text``: erased, ``text_archived_at`` set; with it a personalised
  send's own texts (``Recipient.text``);
- ``Recipient.number``: masked, ``Message.numbers_archived_at`` set; the
  message's delivery-report callbacks (``Callback.body``, ``status[]``
  records) get the masked numbers;
- ``IncomingMessage.text`` and ``from_number``: erased / masked by their own
  limits, with ``text_archived_at`` / ``number_archived_at``; their callback's
  body is rewritten from what is kept (``callbacks.incoming_body``);
- the apps above messaging register their own stores (``register``): the
  simulator's log (gateways) and the Sms2Email log and sent mail (mailbridge).

Each batch is its own short transaction: the next rows in (time, id) order,
the keyset of the partial indexes that hold only what is not archived yet,
locked ``FOR NO KEY UPDATE SKIP LOCKED`` on PostgreSQL, so a row another
transaction holds (a status.php delete, a worker) is skipped and met again
by the next run, never waited on; no table is locked, and sends, dispatch and
reports (which touch only recipients not final yet) never meet these rows.
A message is archived whole in one batch; a batch takes messages until their
recipients would pass the batch size (always at least one message).

The hourly task (``messaging.tasks.anonymise_old_data``, migration 0014) and
``manage.py anonymise_old_data`` run the same ``run``.
"""

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from lib import shutdown

from . import callbacks, numbers, progress
from .models import (
    FINAL_STATUSES,
    Callback,
    CallbackKind,
    IncomingMessage,
    Message,
    Recipient,
)

BATCH_SIZE = 1000
# The hourly task stops after this long (the task queue's timeout is 120 s); what
# is left waits for the next hour.
TASK_BUDGET = 90.0


@dataclass(frozen=True)
class Cutoffs:
    """What became final before these moments is archived; None: kept for ever."""

    texts: datetime | None
    numbers: datetime | None

    @property
    def either(self) -> datetime | None:
        """For what holds both a text and numbers (a mail): the later of the two moments,
        so that neither is kept past its limit."""
        moments = [moment for moment in (self.texts, self.numbers) if moment is not None]
        return max(moments) if moments else None


def cutoffs(now: datetime) -> Cutoffs:
    def before(days: int) -> datetime | None:
        return now - timedelta(days=days) if days else None

    return Cutoffs(before(settings.RETENTION_TEXT_DAYS), before(settings.RETENTION_NUMBER_DAYS))


@dataclass
class Run:
    """One pass over every store: its limits, its batch size, and when it must stop."""

    batch_size: int = BATCH_SIZE
    dry_run: bool = False
    budget: float | None = None  # seconds; None: until everything due is done
    now: datetime = field(default_factory=timezone.now)
    started: float = field(default_factory=time.monotonic)

    @property
    def cutoffs(self) -> Cutoffs:
        return cutoffs(self.now)

    def more(self) -> bool:
        """Whether another batch may start."""
        if shutdown.requested():
            return False
        return self.budget is None or time.monotonic() - self.started < self.budget


# A store's pass: what it archived (or, in a dry run, would), by a label for each count.
Part = Callable[[Run], dict[str, int]]
_parts: dict[str, Part] = {}


def register(name: str, part: Part) -> None:
    """Add an app's store to every run (an app above messaging, from its ready())."""
    _parts[name] = part


def run(batch_size: int = BATCH_SIZE, *, dry_run: bool = False, budget=None) -> dict[str, int]:
    """Archive everything past its limit, batch by batch; the counts by label."""
    this = Run(batch_size=max(1, batch_size), dry_run=dry_run, budget=budget)
    counts: dict[str, int] = {}
    for part in (message_texts, message_numbers, incoming_texts, incoming_numbers):
        counts.update(part(this))
    for part in _parts.values():
        counts.update(part(this))
    return counts


def _lock_callbacks(owner: str, ids, kind: str) -> tuple[set[int], list[tuple[int, int, str]]]:
    """Lock the ``kind`` callbacks of the messages (``owner`` "message_id") or received SMS
    ("incoming_id") ``ids``, skipping those another transaction holds (a claim, a record
    of an attempt): the ids all of whose callbacks are now held by this batch, and those
    callbacks as (pk, owner id, body). An id with a callback held elsewhere waits for the
    next run, as one with a recipient held does."""
    calls = Callback.objects.filter(**{f"{owner}__in": ids}, kind=kind)
    every = Counter(calls.values_list(owner, flat=True))
    locked = list(
        calls.order_by("pk")
        .select_for_update(skip_locked=True, no_key=True)
        .values_list("pk", owner, "body")
    )
    held = Counter(owner_id for _pk, owner_id, _body in locked)
    free = {pk for pk in ids if held[pk] == every[pk]}
    return free, [row for row in locked if row[1] in free]


# -- batches ----------------------------------------------------------------------------------


def next_batch(due: QuerySet, after: tuple | None, limit: int, moment: str, *fields) -> list:
    """The next ``limit`` rows of ``due`` past ``after`` in (``moment``, id) order, locked
    for update in this transaction; rows another transaction holds are skipped (SKIP
    LOCKED). Each row: (moment, id, *fields)."""
    if after is not None:
        at, pk = after
        # The first condition bounds the index scan; the second leaves out what
        # this run passed at that very moment.
        due = due.filter(**{f"{moment}__gte": at}).filter(Q(**{f"{moment}__gt": at}) | Q(pk__gt=pk))
    due = due.order_by(moment, "pk").select_for_update(skip_locked=True, no_key=True, of=("self",))
    return list(due.values_list(moment, "pk", *fields)[:limit])


def batches(run: Run, due: QuerySet, moment: str, archive, *fields) -> int:
    """Run ``archive(rows)`` on batch after batch of ``due``, each in its own transaction,
    until none is left or the run must stop; ``archive`` returns how many it archived."""
    done, after = 0, None
    while run.more():
        with transaction.atomic():
            rows = next_batch(due, after, run.batch_size, moment, *fields)
            if not rows:
                break
            done += archive(rows)
        after = rows[-1][:2]
    return done


# -- sent messages ------------------------------------------------------------------------------


def final_before(cutoff: datetime) -> Q:
    """Messages whose every recipient became final before ``cutoff``."""
    open_or_recent = Recipient.objects.filter(message_id=OuterRef("pk")).filter(
        ~Q(status__in=FINAL_STATUSES) | Q(status_at__gte=cutoff)
    )
    return Q(created_at__lt=cutoff, send_at__lt=cutoff) & ~Exists(open_or_recent)


def texts_due(cutoff: datetime) -> QuerySet:
    return Message.objects.filter(final_before(cutoff), text_archived_at=None)


def numbers_due(cutoff: datetime) -> QuerySet:
    return Message.objects.filter(final_before(cutoff), numbers_archived_at=None)


def message_texts(run: Run) -> dict[str, int]:
    cutoff = run.cutoffs.texts
    if cutoff is None:
        return {}
    due = texts_due(cutoff)
    if run.dry_run:
        return {"message texts": due.count()}

    def archive(rows) -> int:
        ids = [pk for _at, pk in rows]
        # A personalised send's own texts go with its text (Recipient.text).
        personalised = Message.objects.filter(pk__in=ids, personalised=True)
        Recipient.objects.filter(
            message_id__in=personalised.values("pk"), text__isnull=False
        ).update(text="")
        return Message.objects.filter(pk__in=ids).update(text="", text_archived_at=run.now)

    return {"message texts": batches(run, due, "created_at", archive)}


def message_numbers(run: Run) -> dict[str, int]:
    cutoff = run.cutoffs.numbers
    if cutoff is None:
        return {}
    due = numbers_due(cutoff)
    if run.dry_run:
        return {
            "messages' numbers": due.count(),
            "recipient numbers": Recipient.objects.filter(message__in=due).count(),
        }
    masked = Counter()

    def archive(rows) -> int:
        # Messages until their recipients would pass the batch size; the rest stay
        # locked until the commit and come first in the next batch.
        taken, recipients = [], 0
        for _at, pk, count in rows:
            if taken and recipients + count > run.batch_size:
                break
            taken.append(pk)
            recipients += count
        del rows[len(taken) :]  # the next batch starts after the last one taken
        expected = {pk: count for _at, pk, count in rows}
        found = list(
            Recipient.objects.filter(message_id__in=taken)
            .order_by("pk")
            .select_for_update(skip_locked=True, no_key=True)
            .values_list("pk", "message_id", "number")
        )
        # A message with a recipient another transaction holds waits for the next run.
        held = Counter(message_id for _pk, message_id, _number in found)
        whole = {pk for pk in taken if held[pk] == expected[pk]}
        whole, reports = _lock_callbacks("message_id", whole, CallbackKind.REPORT)
        Recipient.objects.bulk_update(
            [
                Recipient(pk=pk, number=numbers.mask(number))
                for pk, message_id, number in found
                if message_id in whole
            ],
            ["number"],
            batch_size=1000,
        )
        Callback.objects.bulk_update(
            [Callback(pk=pk, body=callbacks.mask_report_body(body)) for pk, _id, body in reports],
            ["body"],
            batch_size=1000,
        )
        masked["recipient numbers"] += sum(expected[pk] for pk in whole)
        kept = [pk for pk in whole if expected[pk] >= settings.PROGRESS_CACHE_MIN_RECIPIENTS]
        transaction.on_commit(lambda: progress.forget(kept))
        return Message.objects.filter(pk__in=whole).update(numbers_archived_at=run.now)

    done = batches(run, due, "created_at", archive, "recipient_count")
    return {"messages' numbers": done, "recipient numbers": masked["recipient numbers"]}


# -- received SMS -------------------------------------------------------------------------------


def _rewrite_incoming_callbacks(calls: list[tuple[int, int, str]]) -> None:
    kept = IncomingMessage.objects.in_bulk({incoming_id for _pk, incoming_id, _body in calls})
    Callback.objects.bulk_update(
        [
            Callback(pk=pk, body=callbacks.incoming_body(kept[incoming_id]))
            for pk, incoming_id, _body in calls
        ],
        ["body"],
        batch_size=1000,
    )


def incoming_texts(run: Run) -> dict[str, int]:
    cutoff = run.cutoffs.texts
    if cutoff is None:
        return {}
    due = IncomingMessage.objects.filter(received_at__lt=cutoff, text_archived_at=None)
    if run.dry_run:
        return {"received SMS texts": due.count()}

    def archive(rows) -> int:
        ids, calls = _lock_callbacks("incoming_id", [pk for _at, pk in rows], CallbackKind.INCOMING)
        done = IncomingMessage.objects.filter(pk__in=ids).update(text="", text_archived_at=run.now)
        _rewrite_incoming_callbacks(calls)
        return done

    return {"received SMS texts": batches(run, due, "received_at", archive)}


def incoming_numbers(run: Run) -> dict[str, int]:
    cutoff = run.cutoffs.numbers
    if cutoff is None:
        return {}
    due = IncomingMessage.objects.filter(received_at__lt=cutoff, number_archived_at=None)
    if run.dry_run:
        return {"received SMS numbers": due.count()}

    def archive(rows) -> int:
        ids, calls = _lock_callbacks(
            "incoming_id", [pk for _at, pk, _n in rows], CallbackKind.INCOMING
        )
        IncomingMessage.objects.bulk_update(
            [
                IncomingMessage(pk=pk, from_number=numbers.mask(number), number_archived_at=run.now)
                for _at, pk, number in rows
                if pk in ids
            ],
            ["from_number", "number_archived_at"],
        )
        _rewrite_incoming_callbacks(calls)
        return len(ids)

    return {"received SMS numbers": batches(run, due, "received_at", archive, "from_number")}
