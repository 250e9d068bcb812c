"""getProgress: a message's recipients and their statuses, in instance order.

A small message is read whole on every call. A large one is not: reading and
carrying its whole list on every call costs what the message holds, while
between two calls only a few statuses change. Numbers and their order never
change after acceptance, only statuses do. So on PostgreSQL each status
change stamps its row with the id of the transaction that made it, and the
list is kept (in the process, and shared through the cache with the other
processes) together with the snapshot it was read in, from the moment a
large send is accepted. Each call asks only for the rows whose change that
snapshot could not see (``pg_visible_in_snapshot``): committed after it, or
still in progress when it was taken. Those are patched in, and the list moves
on to the snapshot they were read in. A call costs what changed, not what the
message holds, and the answer is as fresh as a full read: nothing waits for a
cache to expire. Past PATCH_AT_MOST changes, or a tenth of the list if more,
the list is read whole again, which then costs less than patching it.

On other databases (SQLite, the demo) every call reads the whole list.

The pieces, and where each lives:

1. This module (messaging/progress.py): ``of`` chooses between a whole read
   and a kept list (by database and PROGRESS_CACHE_MIN_RECIPIENTS);
   ``KeptList`` is a list with its snapshot and ``KeptList.patched`` applies
   changes to it; ``_kept_list`` patches a kept list or reads it whole.
2. The compact list: messaging/statuslist.py, ``StatusList`` (one
   "number STATUS,…" string, rendered to JSON or XML without a row object).
3. The stamp: messaging/models.py, ``Recipient.changed_xid`` (the top-level
   transaction id, as bigint), added by migration 0004.
4. The trigger that stamps it for every writer: messaging/migrations/
   0004_progress_changes.py, ``STAMP`` (function messaging_recipient_stamp,
   trigger recipient_status_changed: BEFORE UPDATE OF status, when the status
   changes and the statement did not stamp the row itself). A stale value
   written with a status change is replaced.
5. The two statements that stamp by hand, which spares the trigger's function
   call on the busiest paths: messaging/pg.py, ``_MARK_QUEUED``
   (pg.mark_queued) and ``_UPDATE_FROM_REPORTS`` (pg.update_statuses). A new
   statement that changes statuses either sets changed_xid the same way or
   leaves it to the trigger.
6. The partial index the change query walks: messaging/models.py,
   ``recipient_changed`` (message, changed_xid) where changed_xid is set
   (migration 0004); unchanged rows take no room in it.
7. The reads: messaging/pg.py, section getProgress: ``_PROGRESS_WHOLE``
   (pg.read_whole_list), ``_PROGRESS_BOUNDS`` (pg.read_accepted_bounds),
   ``_PROGRESS_CHANGED`` (pg.read_changes), and ``_PROGRESS_IDS`` for a
   message whose ids are not contiguous (two sends at once interleave them;
   ``KeptList.position`` then searches them).
8. Instance order: ``_PROGRESS_WHOLE`` and ``_PROGRESS_IDS`` aggregate a
   subquery ordered by id, run after ``_SERIAL_PLAN`` (``SET LOCAL
   max_parallel_workers_per_gather = 0``, messaging/pg.py): parallel workers
   would interleave the rows. Ordering inside the aggregate instead makes
   PostgreSQL 15 sort, which makes a whole read half as slow again.
9. The reader's own transaction: each read returns
   ``pg_current_xact_id_if_assigned()`` with its snapshot, and
   ``counting_as_running`` (here) adds it to the snapshot's running
   transactions, so a change it makes after the read is fetched later.
10. The other-cluster check: the first column of ``_PROGRESS_CHANGED``, true
    when the kept snapshot is younger than the database (restored from a dump
    into another cluster, whose transaction ids are behind); ``_changes_since``
    (here) then answers None and the list is read whole.
11. The start at acceptance: messaging/services.py calls ``keep_accepted``
    (here) in the transaction that stores a large send (the COPY path); the
    list is kept once it commits, so the first getProgress reads only changes.
12. Keeping and sharing: ``_local`` (lib/localcache.py, ``local_cache``,
    weighed in recipients up to PROGRESS_KEEP_RECIPIENTS), and the shared
    cache (Django's, Redis in production): ``_keep`` pushes a list to it from
    a daemon thread (``_share``), at most every SHARE_INTERVAL, so the client
    never waits for megabytes to travel; ``_from_shared_cache`` reads it. A
    cache that is down costs a whole read, never an error.
13. The settings: smspanel/settings.py, PROGRESS_CACHE_MIN_RECIPIENTS,
    PROGRESS_CACHE_SECONDS, PROGRESS_KEEP_RECIPIENTS (README, Configuration).
14. The tests: tests/messaging/test_progress.py; the benchmark's P5
    (bench/management/commands/bench.py) measures it.
15. Recipients the customer deleted (SMSC status.php ``del=1``,
    messaging/services.py ``delete_recipients``) are left out by ``of`` after
    the list is read or patched; the message's ``recipients_deleted`` flag
    spares the others the query, and the partial index ``recipient_deleted``
    finds their numbers.
16. Archived numbers (messaging.retention): a message whose numbers are masked is
    read whole by ``_archived``, never from a kept list (which has them in clear).
"""

import logging
import threading
import time
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from lib.localcache import local_cache

from . import pg
from .models import FAILURE_STATUSES, SUCCESS_STATUSES, Message, Recipient, Status
from .statuslist import StatusList

logger = logging.getLogger(__name__)

# A process shares its patched list at most this often; another process that
# starts from an older shared copy patches in what it lacks.
SHARE_INTERVAL = 5.0
# Past this many changes, or a tenth of the list if more, reading the list
# whole costs less than patching it.
PATCH_AT_MOST = 1000


@dataclass
class Progress:
    message: Message
    recipients: StatusList  # in instance order
    success_count: int
    failure_count: int
    recipient_count: int  # those in ``recipients``: the message's, less any deleted


def of(message: Message) -> Progress:
    if message.numbers_archived_at is not None:
        return _archived(message)
    if not pg.in_use() or message.recipient_count < settings.PROGRESS_CACHE_MIN_RECIPIENTS:
        statuses = recipient_statuses(message.pk)
        counts = _count(statuses)
    else:
        kept = _kept_list(message.pk)
        statuses, counts = kept.statuses, kept.counts
    count = message.recipient_count
    if message.recipients_deleted:
        # Deleted by the customer (messaging.services.delete_recipients): left
        # out here, after the list is read or patched, so that the kept lists
        # and their snapshots stay those of every recipient.
        statuses = _without(statuses, _deleted_numbers(message.pk))
        counts = _count(statuses)
        count = len(statuses)
    return Progress(
        message,
        statuses,
        success_count=sum(counts.get(s, 0) for s in SUCCESS_STATUSES),
        failure_count=sum(counts.get(s, 0) for s in FAILURE_STATUSES),
        recipient_count=count,
    )


def _archived(message: Message) -> Progress:
    """A message whose numbers are masked (messaging.retention), read whole: a list kept
    from before has the numbers in clear, and masked numbers may repeat, so deleted
    recipients are left out by the rows, not by their numbers. Every status is final:
    such a message is asked for rarely, and its list no longer changes."""
    rows = Recipient.objects.shown().filter(message_id=message.pk).order_by("id")
    statuses = StatusList.from_pairs(rows.values_list("number", "status"))
    counts = _count(statuses)
    return Progress(
        message,
        statuses,
        success_count=sum(counts.get(s, 0) for s in SUCCESS_STATUSES),
        failure_count=sum(counts.get(s, 0) for s in FAILURE_STATUSES),
        recipient_count=len(statuses),
    )


def forget(message_ids: Iterable[int]) -> None:
    """Drop the shared copies of these messages' kept lists (their numbers were just
    archived, and the lists have them in clear). A process's own copy is no longer
    read (``of``) and lapses after PROGRESS_CACHE_SECONDS."""
    keys = [f"progress:{message_id}" for message_id in message_ids]
    if not keys:
        return
    try:
        cache.delete_many(keys)
    except Exception:  # a cache that is down keeps nothing new; its copies lapse
        logger.warning("could not drop %d kept lists from the cache", len(keys), exc_info=True)


def _deleted_numbers(message_id: int) -> set[str]:
    deleted = Recipient.objects.deleted().filter(message_id=message_id)
    return set(deleted.values_list("number", flat=True))  # the recipient_deleted index


def _without(statuses: StatusList, numbers: set[str]) -> StatusList:
    """The list less these numbers (a message's numbers are unique)."""
    return StatusList.from_pairs(pair for pair in statuses.pairs() if pair[0] not in numbers)


def recipient_statuses(message_id: int) -> StatusList:
    """Numbers and statuses of a message in instance order, read whole."""
    if pg.in_use():
        return _read_whole(message_id).statuses
    rows = Recipient.objects.filter(message_id=message_id).order_by("id")
    return StatusList.from_pairs(rows.values_list("number", "status"))


class KeptList:
    """A message's list as of a PostgreSQL snapshot, and how to find each recipient in it.

    Its list never changes (``patched`` makes a new one), so the threads of a
    process can share it.
    """

    def __init__(
        self,
        compact: str,
        snapshot: str,
        first_id: int,
        ids: array | None = None,
        counts: dict[str, int] | None = None,
    ):
        self.statuses = StatusList(compact)
        self.snapshot = snapshot  # pg_snapshot text: "xmin:xmax:xip,…"
        # Instance ids are first_id + position when the message's ids are
        # contiguous (one COPY, the usual case); otherwise ``ids`` holds them.
        self.first_id = first_id
        self.ids = ids
        self.counts = counts if counts is not None else _count(self.statuses)
        self.shared_at = 0.0

    def __len__(self) -> int:
        return sum(self.counts.values())

    def position(self, recipient_id: int) -> int:
        if self.ids is None:
            return recipient_id - self.first_id
        return bisect_left(self.ids, recipient_id)

    def patched(self, rows: Iterable[tuple[int, str, str]], snapshot: str) -> "KeptList | None":
        """The list with these (instance id, number, status) applied; None if one does not fit."""
        # Split for each patch: cheaper than keeping the parts next to the string.
        parts = self.statuses.compact.split(",")
        counts = dict(self.counts)
        for recipient_id, number, status in rows:
            index = self.position(recipient_id)
            head = number + " "
            if not (0 <= index < len(parts) and parts[index].startswith(head)):
                return None  # not where the list says: read it whole
            counts[parts[index][len(head) :]] -= 1
            counts[status] = counts.get(status, 0) + 1
            parts[index] = head + status
        patched = KeptList(",".join(parts), snapshot, self.first_id, self.ids, counts)
        patched.shared_at = self.shared_at
        return patched

    def to_shared(self) -> tuple:
        return (self.statuses.compact, self.snapshot, self.first_id, self.ids, self.counts)

    @classmethod
    def from_shared(cls, value: tuple) -> "KeptList":
        kept = cls(*value)
        kept.shared_at = time.monotonic()  # the shared copy is this one
        return kept


def _count(statuses: StatusList) -> dict[str, int]:
    return {status: statuses.count([status]) for status in Status.values}


# -- the database (its statements are in messaging.pg) ----------------------------------------


def _read_whole(message_id: int) -> KeptList:
    compact, first_id, ids, snapshot, own = pg.read_whole_list(message_id)
    return KeptList(compact, counting_as_running(snapshot, own), first_id, ids)


def keep_accepted(message_id: int, numbers: Sequence[str]) -> None:
    """Start the kept list of a large message in the transaction that stores it.

    So its first getProgress reads only what changed since. The snapshot is
    the storing transaction's: whatever changes the recipients later runs
    after this commits, so that snapshot cannot see it and it is patched in.
    """
    if len(numbers) < settings.PROGRESS_CACHE_MIN_RECIPIENTS:
        return
    low, ids, snapshot, own = pg.read_accepted_bounds(message_id, len(numbers))
    compact = StatusList.all_with(list(numbers), Status.PENDING).compact
    snapshot = counting_as_running(snapshot, own)
    kept = KeptList(compact, snapshot, low, ids, {Status.PENDING: len(numbers)})
    transaction.on_commit(lambda: _keep(f"progress:{message_id}", kept))


def counting_as_running(snapshot: str, xid: int | None) -> str:
    """The snapshot, with ``xid`` among its running transactions (not yet visible)."""
    if xid is None:
        return snapshot
    xmin, xmax, running = snapshot.split(":")
    if xid >= int(xmax):
        return snapshot  # not yet begun, as far as the snapshot knows: not visible
    ids = sorted({int(x) for x in running.split(",") if x} | {xid})
    return f"{min(int(xmin), xid)}:{xmax}:{','.join(map(str, ids))}"


def _changes_since(message_id: int, snapshot: str, limit: int) -> tuple[list[tuple], str] | None:
    """(id, number, status) of the rows changed since ``snapshot``, and the snapshot
    they were read in; None for a snapshot of another database cluster."""
    foreign, now, own, rows = pg.read_changes(message_id, snapshot, limit)
    if foreign:
        return None
    return rows, counting_as_running(now, own)


# -- keeping and sharing -------------------------------------------------------------------

# The large lists this process served last: about 64 bytes a recipient with
# the JSON rendered, so the default budget is some 64 MB a process.
_local = local_cache(settings.PROGRESS_CACHE_SECONDS, max_weight=settings.PROGRESS_KEEP_RECIPIENTS)


def _kept_list(message_id: int) -> KeptList:
    key = f"progress:{message_id}"
    found, kept = _local.get(key)
    if not found:
        kept = _from_shared_cache(key)
    fresh = None
    if kept is not None:
        limit = max(PATCH_AT_MOST, len(kept) // 10)
        since = _changes_since(message_id, kept.snapshot, limit + 1)
        if since is not None:
            changes, snapshot = since
            if not changes:
                fresh = kept
            elif len(changes) <= limit:
                fresh = kept.patched(changes, snapshot)
    if fresh is None:
        fresh = _read_whole(message_id)
    if fresh is kept:
        _local.set(key, fresh, weight=len(fresh))  # another while in this process
    else:
        _keep(key, fresh)
    return fresh


def _keep(key: str, kept: KeptList) -> None:
    _local.set(key, kept, weight=len(kept))
    if time.monotonic() - kept.shared_at >= SHARE_INTERVAL:
        kept.shared_at = time.monotonic()
        # Megabytes to the shared cache: not while the client waits for its answer.
        threading.Thread(target=_share, args=(key, kept.to_shared()), daemon=True).start()


def _from_shared_cache(key: str) -> KeptList | None:
    try:
        value = cache.get(key)
        return KeptList.from_shared(value) if value is not None else None
    except Exception:  # a cache that is down, or an older layout: a full read, not an error
        logger.warning("could not read %s from the cache", key, exc_info=True)
        return None


def _share(key: str, value: tuple) -> None:
    try:
        cache.set(key, value, settings.PROGRESS_CACHE_SECONDS)
    except Exception:  # a cache that is down only costs the next reader a full read
        logger.warning("could not store %s in the cache", key, exc_info=True)
