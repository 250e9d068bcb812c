"""getProgress: a message's recipients and their statuses, in instance order.

A small message is read whole on every call (about a millisecond). A large
one is not: 100,000 recipients cost some 20 ms of database work and 2.3 MB
to carry. Numbers and their order never change after acceptance, only
statuses do, and on PostgreSQL a trigger stamps each row whose status
changes with the id of the transaction that changed it (``changed_xid``,
migration 0004). So the list is kept (in the process, and shared through the
cache for the other processes) together with the snapshot it was read in,
and each call asks only for the rows whose change that snapshot could not
see: committed after it, or still in progress when it was taken. Those are
patched in. A call costs what changed, not what the message holds, and the
answer is as fresh as a full read: nothing waits for a cache to expire.

On other databases (SQLite, the demo) every call reads the whole list.
"""

import logging
import sys
import threading
import time
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction

from lib.localcache import local_cache

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


def of(message: Message) -> Progress:
    if (
        connection.vendor != "postgresql"
        or message.recipient_count < settings.PROGRESS_CACHE_MIN_RECIPIENTS
    ):
        statuses = recipient_statuses(message.pk)
        counts = _count(statuses)
    else:
        kept = _kept_list(message.pk)
        statuses, counts = kept.statuses, kept.counts
    return Progress(
        message,
        statuses,
        success_count=sum(counts.get(s, 0) for s in SUCCESS_STATUSES),
        failure_count=sum(counts.get(s, 0) for s in FAILURE_STATUSES),
    )


def recipient_statuses(message_id: int) -> StatusList:
    """Numbers and statuses of a message in instance order, read whole."""
    if connection.vendor != "postgresql":
        rows = Recipient.objects.filter(message_id=message_id).order_by("id")
        return StatusList.from_pairs(rows.values_list("number", "status"))
    return _read_whole(message_id).statuses


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
        parts = self.statuses.compact.split(",")  # 4 ms for 100,000: cheaper than keeping it
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


def _ids_from_big_endian(data: bytes) -> array:
    ids = array("q")
    ids.frombytes(data)
    if sys.byteorder != "big":
        ids.byteswap()
    return ids


# -- the database --------------------------------------------------------------------------

# The snapshot of each read comes with the reader's own transaction id, if it
# has one: PostgreSQL leaves it out of the snapshot's running transactions, so
# a change this transaction makes after the read would pass for one the read saw.
_WHOLE = """
SELECT string_agg(number || ' ' || status, ','), min(id), max(id), count(*),
       pg_current_snapshot()::text, pg_current_xact_id_if_assigned()::text::bigint
  FROM (SELECT id, number, status FROM messaging_recipient
         WHERE message_id = %s ORDER BY id) AS ordered
"""

_IDS = """
SELECT string_agg(int8send(id), ''::bytea)
  FROM (SELECT id FROM messaging_recipient WHERE message_id = %s ORDER BY id) AS ordered
"""

# The rows whose last status change the snapshot could not see. The trigger
# stamps the top-level transaction's id, which is what visibility follows.
# Always one row at least, which says whether the snapshot is younger than the
# database (its xmax ahead of today's): then it was taken in another cluster
# (the database was restored from a dump) and its ids mean nothing here.
_CHANGED = """
SELECT pg_snapshot_xmax(pg_current_snapshot()) < pg_snapshot_xmax(%(snapshot)s::pg_snapshot),
       pg_current_snapshot()::text, pg_current_xact_id_if_assigned()::text::bigint,
       changed.id, changed.number, changed.status
  FROM (SELECT 1) AS one LEFT JOIN LATERAL (
        SELECT id, number, status FROM messaging_recipient
         WHERE message_id = %(message)s AND changed_xid >= %(xmin)s
           AND NOT pg_visible_in_snapshot(changed_xid::text::xid8, %(snapshot)s::pg_snapshot)
         LIMIT %(limit)s
       ) AS changed ON true
"""


def _read_whole(message_id: int) -> KeptList:
    with transaction.atomic(), connection.cursor() as cursor:
        # The aggregate keeps the subquery's order only in a plan without
        # parallel workers, which could interleave the rows.
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        cursor.execute(_WHOLE, [message_id])
        compact, low, high, count, snapshot, own = cursor.fetchone()
        ids = _ids_unless_contiguous(cursor, message_id, low, high, count)
    return KeptList(compact or "", counting_as_running(snapshot, own), low or 0, ids)


def _ids_unless_contiguous(cursor, message_id: int, low, high, count: int) -> array | None:
    """None when the message's ids run from ``low`` to ``high`` unbroken; else all of them."""
    if not count or high - low + 1 == count:
        return None
    cursor.execute(_IDS, [message_id])  # ids of other messages in between
    return _ids_from_big_endian(bytes(cursor.fetchone()[0]))


_BOUNDS = """
SELECT min(id), max(id),
       pg_current_snapshot()::text, pg_current_xact_id_if_assigned()::text::bigint
  FROM messaging_recipient WHERE message_id = %s
"""


def keep_accepted(message_id: int, numbers: Sequence[str]) -> None:
    """Start the kept list of a large message in the transaction that stores it.

    So its first getProgress reads only what changed since. The snapshot is
    the storing transaction's: whatever changes the recipients later runs
    after this commits, so that snapshot cannot see it and it is patched in.
    """
    if len(numbers) < settings.PROGRESS_CACHE_MIN_RECIPIENTS:
        return
    with connection.cursor() as cursor:
        cursor.execute(_BOUNDS, [message_id])  # min and max walk the index: microseconds
        low, high, snapshot, own = cursor.fetchone()
        ids = _ids_unless_contiguous(cursor, message_id, low, high, len(numbers))
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
    params = {
        "message": message_id,
        "xmin": int(snapshot.split(":", 1)[0]),
        "snapshot": snapshot,
        "limit": limit,
    }
    with connection.cursor() as cursor:
        cursor.execute(_CHANGED, params)
        rows = cursor.fetchall()
    foreign, now, own = rows[0][:3]
    if foreign:
        return None
    return [row[3:] for row in rows if row[3] is not None], counting_as_running(now, own)


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
