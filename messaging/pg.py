"""Every PostgreSQL-only statement of the messaging app, in one place.

On PostgreSQL the hot paths (a send, a claim, a batch of reports, a callback
claim, getProgress) run as one hand-written statement each; SQLite (``make
run``, the demo) runs the ORM twin of each, which lives in the function that
calls the statement here. Each function below names its twin, and CI runs the
whole suite on both databases, so a twin that drifts fails a test.
"""

import io
import sys
from array import array
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from django.db import connection, transaction

from accounts import alerts, pricing
from accounts.models import Service
from lib import xactlock

from .models import REFUNDED_STATUSES, Callback, Message, Recipient, Status


def in_use() -> bool:
    """True when the default database is PostgreSQL: the statements here apply."""
    return connection.vendor == "postgresql"


# -- array parameters ---------------------------------------------------------------------
# psycopg's client-side binding (Django's) quotes a list parameter element by element
# in Python: for a batch of a thousand recipients, more than the statement itself costs
# the worker. These write an array's literal in one go; the statement casts it
# (``%(ids)s::bigint[]``), and it travels as one quoted string.


def ints(values: Iterable[int]) -> str:
    """``{1,2,3}``."""
    return "{" + ",".join(["%d" % value for value in values]) + "}"  # noqa: UP031 - ints only


def texts(values: Iterable[str]) -> str:
    """``{"a","b\\"c"}``: each element quoted, its backslashes and quotes escaped."""
    return "{" + ",".join([_quoted(value) for value in values]) + "}"


def moments(values: Iterable[datetime]) -> str:
    """Aware datetimes as an array literal, in ISO 8601 with their offset."""
    return "{" + ",".join(['"' + value.isoformat() + '"' for value in values]) + "}"


def _quoted(value: str) -> str:
    if "\\" in value or '"' in value:
        value = value.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + value + '"'


# -- the send (messaging.services) ------------------------------------------------------

# A send in one statement: the PostgreSQL mirror of accounts.ledger's lock +
# apply_locked as messaging.services._charge_and_store uses them. The UPDATE
# charges only a service that may send after the charge (the rule's SQL
# spelling, Service.may_send_after_sql), at the price of the pricing rule's
# SQL twin (accounts.pricing.RECIPIENT_PRICE_SQL). The row lock it takes
# serialises concurrent sends as lock() does, and an UPDATE that waited for it
# re-checks its condition against the balance the other send left, so none
# overdraws. The message, its ledger entry
# (the one apply_locked would write, with services.charge_params' reason and
# params, built here in SQL) and
# its recipients are inserted only when the UPDATE charged. One round trip
# instead of six, for the API's hot path: single-recipient sends. It also returns
# the balance, threshold and flag the low-balance alert decides on (accounts.alerts).
# tests/messaging/test_services.py compares what the two paths write.
#
# The STOP lists (messaging.stoplist.split's rule: the service's customer's entries and
# the platform's) are read by the statement too, unless %(check_stops)s is false (the
# confirmation of a STOP): the numbers on them are left out before the price, the
# charge and the insert, the message counts only the numbers kept, nothing is written
# when none is kept, and the first column returns the numbers left out. The array is
# probed through a subquery so that the planner cannot count it: the plan is then the
# same for every send, and PostgreSQL keeps the prepared statement's generic plan (with
# the array as a constant it plans each send anew, which cost more than the look-up
# this statement saves: pg_prepared_statements showed 0 generic plans in 145 sends).
_STOPPED = """stopped AS (
    SELECT DISTINCT e.number
      FROM messaging_stopentry e
     WHERE %(check_stops)s AND e.number = ANY((SELECT %(numbers)s::varchar[])::varchar[])
       AND (e.customer_id IS NULL
            OR e.customer_id = (SELECT customer_id FROM accounts_service WHERE id = %(service)s))
)"""
_RESULT = """
SELECT ARRAY(SELECT number FROM stopped), message.id, charged.recipient, charged.total,
    charged.balance, charged.low_balance_threshold, charged.low_balance_alerted
  FROM (SELECT 1) AS one LEFT JOIN message ON true LEFT JOIN charged ON true
"""
_SEND = f"""
WITH price AS (
    SELECT {pricing.RECIPIENT_PRICE_SQL} AS recipient
      FROM accounts_service s JOIN accounts_tariff t ON t.id = s.tariff_id
     WHERE s.id = %(service)s
), {_STOPPED}, kept AS (
    SELECT n.number, n.position
      FROM unnest(%(numbers)s::varchar[]) WITH ORDINALITY AS n(number, position)
     WHERE n.number NOT IN (SELECT number FROM stopped)
), tally AS (
    SELECT count(*)::integer AS count FROM kept
), charged AS (
    UPDATE accounts_service s
       SET balance = s.balance - price.recipient * tally.count
      FROM price, tally
     WHERE s.id = %(service)s AND tally.count > 0
       AND {Service.may_send_after_sql("price.recipient * tally.count")}
    RETURNING s.balance, price.recipient, price.recipient * tally.count AS total,
        s.low_balance_threshold, s.low_balance_alerted, tally.count
), message AS (
    INSERT INTO messaging_message (service_id, source, text, encoding, parts, sender, route,
        flash, express, forced, send_at, held_from, notify_url, user_flag, recipient_count,
        recipient_price, price, created_at)
    SELECT %(service)s, %(source)s, %(text)s, %(encoding)s, %(parts)s, %(sender)s, %(route)s,
        %(flash)s, %(express)s, %(forced)s, %(send_at)s, %(held_from)s, %(notify_url)s,
        %(user_flag)s, charged.count, charged.recipient, charged.total, %(now)s
      FROM charged
    RETURNING id
), entry AS (
    INSERT INTO accounts_ledgerentry (service_id, kind, amount, balance_after, reference,
        reason, params, note, created_at)
    SELECT %(service)s, 'charge', -charged.total, charged.balance,
        'charge:message:' || message.id,
        'message',
        jsonb_build_object('message', message.id, 'count', charged.count,
                           'price', charged.recipient::text),
        '', %(now)s
      FROM charged, message
     WHERE charged.total > 0
), recipients AS (
    INSERT INTO messaging_recipient (message_id, number, status, status_at, send_at, refunded,
        express, delivered_parts, gateway_ref)
    SELECT message.id, kept.number, 'PENDING', %(now)s, %(send_at)s, false, %(express)s, 0, ''
      FROM message, kept
     ORDER BY kept.position
)
{_RESULT}"""  # noqa: S608 - the interpolated fragments are constants of accounts, not input


# _SEND for a personalised send (messaging.services.OwnTexts): each recipient with its
# own text (NULL: the message's) and parts, priced by the same rule, the charge their
# sum; the recipients with their own text store it with its parts and price. A number
# on a STOP list is not left out here but makes the statement write nothing (and
# return it): which text is the message's, and the checks of each text, are decided on
# the numbers kept, so services.submit reads the send again without it.
_OWN_PRICE_SQL = pricing.RECIPIENT_PRICE_SQL.replace("%(parts)s", "coalesce(own.parts, %(parts)s)")
_SEND_PERSONALISED = f"""
WITH own AS (
    SELECT n.number, n.text, n.parts, n.position
      FROM unnest(%(numbers)s::varchar[], %(texts)s::text[], %(part_counts)s::smallint[])
           WITH ORDINALITY AS n(number, text, parts, position)
), {_STOPPED}, price AS (
    SELECT {pricing.RECIPIENT_PRICE_SQL} AS recipient,
           (SELECT sum({_OWN_PRICE_SQL}) FROM own) AS total
      FROM accounts_service s JOIN accounts_tariff t ON t.id = s.tariff_id
     WHERE s.id = %(service)s
), charged AS (
    UPDATE accounts_service s
       SET balance = s.balance - price.total
      FROM price
     WHERE s.id = %(service)s AND NOT EXISTS (SELECT FROM stopped)
       AND {Service.may_send_after_sql("price.total")}
    RETURNING s.balance, price.recipient, price.total AS total,
        s.low_balance_threshold, s.low_balance_alerted
), message AS (
    INSERT INTO messaging_message (service_id, source, text, encoding, parts, sender, route,
        flash, express, forced, send_at, held_from, notify_url, user_flag, recipient_count,
        recipient_price, price, created_at, personalised)
    SELECT %(service)s, %(source)s, %(text)s, %(encoding)s, %(parts)s, %(sender)s, %(route)s,
        %(flash)s, %(express)s, %(forced)s, %(send_at)s, %(held_from)s, %(notify_url)s,
        %(user_flag)s, %(count)s, charged.recipient, charged.total, %(now)s, true
      FROM charged
    RETURNING id
), entry AS (
    INSERT INTO accounts_ledgerentry (service_id, kind, amount, balance_after, reference,
        reason, params, note, created_at)
    SELECT %(service)s, 'charge', -charged.total, charged.balance,
        'charge:message:' || message.id,
        'message',
        jsonb_build_object('message', message.id, 'count', %(count)s::integer,
                           'price', charged.recipient::text, 'total', charged.total::text),
        '', %(now)s
      FROM charged, message
     WHERE charged.total > 0
), recipients AS (
    INSERT INTO messaging_recipient (message_id, number, status, status_at, send_at, refunded,
        express, delivered_parts, gateway_ref, text, parts, price)
    SELECT message.id, own.number, 'PENDING', %(now)s, %(send_at)s, false, %(express)s, 0, '',
        own.text, own.parts, CASE WHEN own.text IS NOT NULL THEN {_OWN_PRICE_SQL} END
      FROM message, own, accounts_tariff t
     WHERE t.id = (SELECT tariff_id FROM accounts_service WHERE id = %(service)s)
     ORDER BY own.position
)
{_RESULT}"""  # noqa: S608 - the interpolated fragments are constants of accounts, not input


def nullable_texts(values: Iterable[str | None]) -> str:
    """``texts`` with None as an SQL NULL element."""
    return "{" + ",".join(["NULL" if v is None else _quoted(v) for v in values]) + "}"


def nullable_ints(values: Iterable[int | None]) -> str:
    return "{" + ",".join(["NULL" if v is None else "%d" % v for v in values]) + "}"  # noqa: UP031


def charge_and_store(
    message: Message,
    numbers: Sequence[str],
    own_texts: Sequence[str | None] | None = None,
    own_parts: Sequence[int | None] | None = None,
    *,
    check_stops: bool = True,
) -> tuple[bool, list[str]]:
    """Charge for ``message`` and store it, its ledger entry and its recipients at once,
    leaving out the numbers on a STOP list (``check_stops``: unless it is false).

    ORM twin: messaging.services._charge_and_store (whose caller leaves the numbers
    out first, with stoplist.split). Returns whether it stored the message and the
    numbers of ``numbers`` on a STOP list. Stored: ``message``'s id, prices and
    recipient count are set, and the recipients are the numbers not on a list. Not
    stored, having written nothing: no number was kept, a personalised send had a
    number on a list (it is to be read again without it), or the service may not
    send or cannot pay (the caller finds out which). ``own_texts`` and ``own_parts``
    (parallel to ``numbers``, None for the message's text) make it a personalised send.
    """
    params = {
        "service": message.service_id,
        "route": message.route,
        "parts": message.parts,
        "multiplier": pricing.multiplier(message.express),
        "count": len(numbers),
        "source": message.source,
        "text": message.text,
        "encoding": message.encoding,
        "sender": message.sender,
        "flash": message.flash,
        "express": message.express,
        "forced": message.forced,
        "send_at": message.send_at,
        "held_from": message.held_from,
        "notify_url": message.notify_url,
        "user_flag": message.user_flag,
        "now": message.created_at,
        "numbers": texts(numbers),
        "check_stops": check_stops,
    }
    statement = _SEND
    if own_texts is not None:
        statement = _SEND_PERSONALISED
        params["texts"] = nullable_texts(own_texts)
        params["part_counts"] = nullable_ints(own_parts)
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        stopped, message_id, *charge = cursor.fetchone()
    if message_id is None:
        return False, stopped
    message.recipient_price, message.price, balance, threshold, alerted = charge
    message.pk, message.recipient_count = message_id, len(numbers) - len(stopped)
    # The low-balance alert: the statement returns what the rule needs, so only a send
    # that left the balance below the threshold pays a query, the claim of the alert.
    if message.price > 0 and alerts.crossed(balance, threshold, alerted):
        alerts.claim(message.service_id)
    message._state.adding = False
    return True, stopped


def copy_recipients(
    message: Message, numbers: Sequence[str], own: Sequence[tuple | None] | None = None
) -> None:
    """Insert the recipients of a stored message with one COPY stream.

    ORM twin: the bulk_create in messaging.services._insert_recipients. A large
    list then costs one round trip, not one per batch of rows. ``own``, parallel to
    ``numbers``: each recipient's (text, parts, price), None for the message's.
    """
    if own is not None:
        _copy_personalised(message, numbers, own)
        return
    suffix = (
        f"\t{Status.PENDING.value}\t{message.created_at.isoformat()}"
        f"\t{message.send_at.isoformat()}\tf\t{'t' if message.express else 'f'}\t0\t\n"
    )
    prefix = f"{message.pk}\t"
    buffer = io.StringIO()
    for number in numbers:
        buffer.write(prefix + number + suffix)
    table = Recipient._meta.db_table
    with connection.cursor() as cursor:
        copy_sql = (
            f"COPY {table} (message_id, number, status, status_at, send_at, refunded, express,"
            " delivered_parts, gateway_ref) FROM STDIN"
        )
        with cursor.cursor.copy(copy_sql) as copy:
            copy.write(buffer.getvalue())


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_personalised(message: Message, numbers: Sequence[str], own: Sequence) -> None:
    """copy_recipients with each recipient's own text, parts and price (\\N: the message's)."""
    suffix = (
        f"\t{Status.PENDING.value}\t{message.created_at.isoformat()}"
        f"\t{message.send_at.isoformat()}\tf\t{'t' if message.express else 'f'}\t0\t\t"
    )
    prefix = f"{message.pk}\t"
    buffer = io.StringIO()
    for number, mine in zip(numbers, own, strict=True):
        if mine is None:
            tail = "\\N\t\\N\t\\N\n"
        else:
            tail = f"{mine[0].translate(_COPY_ESCAPES)}\t{mine[1]}\t{mine[2]}\n"
        buffer.write(prefix + number + suffix + tail)
    table = Recipient._meta.db_table
    with connection.cursor() as cursor:
        copy_sql = (
            f"COPY {table} (message_id, number, status, status_at, send_at, refunded, express,"
            " delivered_parts, gateway_ref, text, parts, price) FROM STDIN"
        )
        with cursor.cursor.copy(copy_sql) as copy:
            copy.write(buffer.getvalue())


# -- recipient transitions (messaging.transitions) -----------------------------------------

_CLAIM_RECIPIENTS = """
WITH due AS (
    SELECT r.id, r.claimed_until AS previous
      FROM messaging_recipient r
     WHERE r.status = 'PENDING' AND r.send_at <= %(now)s
       AND (r.claimed_until IS NULL OR r.claimed_until < %(now)s)
     ORDER BY r.express DESC, r.send_at, r.id
     LIMIT %(limit)s
       FOR UPDATE SKIP LOCKED
)
UPDATE messaging_recipient r
   SET claimed_until = %(until)s
  FROM due, messaging_message m, accounts_service s
 WHERE r.id = due.id AND m.id = r.message_id AND s.id = m.service_id
RETURNING r.id, r.message_id, m.service_id, r.number, coalesce(r.text, m.text), m.sender,
          m.route, m.flash, coalesce(r.parts, m.parts), due.previous IS NOT NULL,
          -- On a STOP list now (transitions.claim_due cancels it): each list's own index.
          due.previous IS NULL AND m.source <> 'stop' AND (
              EXISTS (SELECT FROM messaging_stopentry e
                       WHERE e.customer_id = s.customer_id AND e.number = r.number)
              OR EXISTS (SELECT FROM messaging_stopentry e
                          WHERE e.customer_id IS NULL AND e.number = r.number))
"""


def claim_due(now: datetime, limit: int, until: datetime) -> list[tuple]:
    """PostgreSQL twin of transitions.claim_due's ORM path: one statement, SKIP LOCKED.

    Rows in the order of transitions.Claimed's fields, up to ``reclaimed``, then
    whether the number is on a STOP list (``stopped``).
    """
    params = {"now": now, "limit": limit, "until": until}
    with transaction.atomic(), connection.cursor() as cursor:
        # Walk the index recipient_due in its order, never sort every due row: the
        # planner's estimate of the rows due now lags behind a bulk send just stored
        # (its statistics end before "now"), and sorting 100,000 rows to claim 1,000
        # tripled a batch's claim (42 ms against 19 for the index, EXPLAIN ANALYZE).
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(_CLAIM_RECIPIENTS, params)
        return cursor.fetchall()


_RENEW_CLAIMS = (
    "UPDATE messaging_recipient SET claimed_until = %s"
    " WHERE id = ANY(%s::bigint[]) AND status = 'PENDING' AND claimed_until = %s RETURNING id"
)


def renew_claims(ids: list[int], until: datetime, new_until: datetime) -> list[int]:
    """PostgreSQL twin of transitions.renew_claims's ORM path: the ids renewed."""
    with connection.cursor() as cursor:
        cursor.execute(_RENEW_CLAIMS, [new_until, ints(ids), until])
        return [row[0] for row in cursor.fetchall()]


# Sets changed_xid itself, as _UPDATE_FROM_REPORTS does: the trigger of
# migration 0004 then skips these rows (see messaging.progress).
_MARK_QUEUED = """
UPDATE messaging_recipient r
   SET status = 'QUEUED', status_at = %(now)s, gateway_id = %(gateway)s,
       gateway_ref = acc.ref, claimed_until = NULL,
       changed_xid = pg_current_xact_id()::text::bigint
  FROM unnest(%(ids)s::bigint[], %(refs)s::varchar[]) AS acc(id, ref)
 WHERE r.id = acc.id AND r.status = 'PENDING'
"""


def mark_queued(gateway_id: int, accepted: list[tuple[int, str]], now: datetime) -> int:
    """PostgreSQL twin of transitions.mark_queued's ORM path: one statement for every ref."""
    params = {
        "now": now,
        "gateway": gateway_id,
        "ids": ints(rid for rid, _ in accepted),
        "refs": texts(ref or "" for _, ref in accepted),
    }
    with connection.cursor() as cursor:
        cursor.execute(_MARK_QUEUED, params)
        return cursor.rowcount


_SERVICES_OF = (
    "SELECT DISTINCT m.service_id FROM messaging_recipient r"
    " JOIN messaging_message m ON m.id = r.message_id WHERE r.id = ANY(%s::bigint[])"
)


def services_of(recipient_ids: list[int]) -> list[int]:
    """PostgreSQL twin of transitions._services_of's ORM path: service ids, sorted."""
    with connection.cursor() as cursor:
        cursor.execute(_SERVICES_OF, [ints(recipient_ids)])
        return sorted(row[0] for row in cursor.fetchall())


# Sets changed_xid itself, as _MARK_QUEUED does.
_UPDATE_FROM_REPORTS = """
UPDATE messaging_recipient AS r
   SET status = rep.status,
       status_at = %(now)s,
       delivered_at = CASE WHEN rep.status = 'DELIVERED' THEN rep.at END,
       refunded = rep.status = ANY(%(refunded)s),
       claimed_until = NULL,
       changed_xid = pg_current_xact_id()::text::bigint
  FROM unnest(%(ids)s::bigint[], %(statuses)s::varchar[], %(ats)s::timestamptz[])
       AS rep(id, status, at)
 WHERE r.id = rep.id AND r.status IN ('PENDING', 'QUEUED')
RETURNING r.id, r.message_id, r.number, r.status, r.delivered_at
"""


def update_statuses(whole: Mapping[int, Any], now: datetime) -> list[tuple]:
    """PostgreSQL twin of transitions._update_statuses's ORM path: one statement.

    ``whole``: transitions.Report by recipient id. Rows in the order of
    transitions.Change's fields, one for each recipient that moved.
    """
    params = {
        "now": now,
        "refunded": sorted(REFUNDED_STATUSES),
        "ids": ints(whole),
        "statuses": texts(r.status for r in whole.values()),
        "ats": moments(r.at or now for r in whole.values()),
    }
    with connection.cursor() as cursor:
        cursor.execute(_UPDATE_FROM_REPORTS, params)
        return cursor.fetchall()


# -- callbacks (messaging.callbacks) --------------------------------------------------------

# The fair order of callbacks.claim_due (the comment above callbacks.fair_order
# gives the rule): each service's turn numbered by row_number(), backed-off and
# skipped hosts left out, the first few locked and claimed.
_CLAIM_CALLBACKS = """
WITH ordered AS MATERIALIZED (
    SELECT c.id, c.next_attempt_at,
           row_number() OVER (PARTITION BY c.service_id ORDER BY c.next_attempt_at, c.id) AS turn
      FROM messaging_callback c
     WHERE c.state = 'pending' AND c.next_attempt_at <= %(now)s
       AND (c.claimed_until IS NULL OR c.claimed_until < %(now)s)
       AND c.host <> ALL(%(skip_hosts)s::varchar[])
       AND c.host <> ALL(ARRAY(SELECT h.host FROM messaging_callbackhost h
                                WHERE h.blocked_until > %(now)s))
     ORDER BY turn, c.next_attempt_at, c.id
     LIMIT %(scan)s
), picked AS (
    -- The few ordered first, locked by primary key: another worker's are skipped.
    SELECT c.id, o.turn, o.next_attempt_at
      FROM ordered o JOIN messaging_callback c ON c.id = o.id
     WHERE c.state = 'pending' AND (c.claimed_until IS NULL OR c.claimed_until < %(now)s)
     ORDER BY o.turn, o.next_attempt_at, o.id
     LIMIT %(limit)s
       FOR UPDATE OF c SKIP LOCKED
)
UPDATE messaging_callback c
   SET claimed_until = %(until)s
  FROM picked
 WHERE c.id = picked.id
RETURNING c.id, c.service_id, c.host, c.url, c.body, c.attempts, c.created_at,
          c.next_attempt_at, picked.turn
"""


def claim_callbacks(
    limit: int, now: datetime, until: datetime, skip_hosts: Sequence[str]
) -> list[Callback]:
    """PostgreSQL twin of callbacks.claim_due's ORM path: claimed until ``until``, in fair order."""
    params = {
        "now": now,
        "until": until,
        "limit": limit,
        "scan": 2 * limit,  # room for those another worker holds right now
        "skip_hosts": list(skip_hosts),
    }
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM_CALLBACKS, params)
        rows = cursor.fetchall()
    rows.sort(key=lambda row: (row[-1], row[7], row[0]))
    return [
        Callback(
            id=row[0],
            service_id=row[1],
            host=row[2],
            url=row[3],
            body=row[4],
            attempts=row[5],
            created_at=row[6],
            next_attempt_at=row[7],
            claimed_until=until,
        )
        for row in rows
    ]


# -- getProgress (messaging.progress) --------------------------------------------------------

# The snapshot of each read comes with the reader's own transaction id, if it
# has one: PostgreSQL leaves it out of the snapshot's running transactions, so
# a change this transaction makes after the read would pass for one the read saw
# (progress.counting_as_running puts it back).
#
# Instance order comes from the subquery's ORDER BY, which the index on
# (message, id) yields without sorting. An aggregate keeps that order only in
# a plan without parallel workers (they would interleave the rows), so these
# run after _SERIAL_PLAN in their transaction. ORDER BY inside string_agg
# would hold in any plan, but PostgreSQL 15 then sorts the rows itself, which
# makes a whole read of a large list half as slow again (see the commit message).
_SERIAL_PLAN = "SET LOCAL max_parallel_workers_per_gather = 0"

_PROGRESS_WHOLE = """
SELECT string_agg(number || ' ' || status, ','), min(id), max(id), count(*),
       pg_current_snapshot()::text, pg_current_xact_id_if_assigned()::text::bigint
  FROM (SELECT id, number, status FROM messaging_recipient
         WHERE message_id = %s ORDER BY id) AS ordered
"""

_PROGRESS_IDS = """
SELECT string_agg(int8send(id), ''::bytea)
  FROM (SELECT id FROM messaging_recipient WHERE message_id = %s ORDER BY id) AS ordered
"""

_PROGRESS_BOUNDS = """
SELECT min(id), max(id),
       pg_current_snapshot()::text, pg_current_xact_id_if_assigned()::text::bigint
  FROM messaging_recipient WHERE message_id = %s
"""

# The rows whose last status change the snapshot could not see, through the
# partial index recipient_changed. The trigger stamps the top-level
# transaction's id, which is what visibility follows.
# Always one row at least, which says whether the snapshot is younger than the
# database (its xmax ahead of today's): then it was taken in another cluster
# (the database was restored from a dump) and its ids mean nothing here.
_PROGRESS_CHANGED = """
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


def read_whole_list(message_id: int) -> tuple[str, int, array | None, str, int | None]:
    """PostgreSQL twin of progress.recipient_statuses's ORM path, with what keeping it needs.

    (the compact list in instance order, the first instance id, every instance
    id unless they run unbroken, the snapshot it was read in, the reader's own
    transaction id or None).
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_SERIAL_PLAN)
        cursor.execute(_PROGRESS_WHOLE, [message_id])
        compact, low, high, count, snapshot, own = cursor.fetchone()
        ids = _ids_unless_contiguous(cursor, message_id, low, high, count)
    return compact or "", low or 0, ids, snapshot, own


def read_accepted_bounds(message_id: int, count: int) -> tuple[int, array | None, str, int | None]:
    """(first instance id, every id unless they run unbroken, snapshot, own transaction id)
    of a message just stored with ``count`` recipients, in the storing transaction.

    No ORM twin: elsewhere getProgress keeps no list (progress.keep_accepted).
    """
    with connection.cursor() as cursor:
        cursor.execute(_PROGRESS_BOUNDS, [message_id])  # min and max walk the index
        low, high, snapshot, own = cursor.fetchone()
        ids = _ids_unless_contiguous(cursor, message_id, low, high, count)
    return low, ids, snapshot, own


def read_changes(message_id: int, snapshot: str, limit: int) -> tuple[bool, str, int | None, list]:
    """(whether ``snapshot`` is of another cluster, the snapshot of this read, the reader's
    own transaction id, up to ``limit`` (id, number, status) rows changed since ``snapshot``).

    No ORM twin: elsewhere getProgress reads the whole list (progress._changes_since).
    """
    params = {
        "message": message_id,
        "xmin": int(snapshot.split(":", 1)[0]),
        "snapshot": snapshot,
        "limit": limit,
    }
    with connection.cursor() as cursor:
        cursor.execute(_PROGRESS_CHANGED, params)
        rows = cursor.fetchall()
    foreign, now, own = rows[0][:3]
    return foreign, now, own, [row[3:] for row in rows if row[3] is not None]


def _ids_unless_contiguous(cursor, message_id: int, low, high, count: int) -> array | None:
    """None when the message's ids run from ``low`` to ``high`` unbroken; else all of them."""
    if not count or high - low + 1 == count:
        return None
    # Ids of other messages lie in between (two sends interleaved): read them all.
    with transaction.atomic():
        cursor.execute(_SERIAL_PLAN)
        cursor.execute(_PROGRESS_IDS, [message_id])
        found = bytes(cursor.fetchone()[0])
    ids = array("q")
    ids.frombytes(found)  # int8send: big-endian
    if sys.byteorder != "big":
        ids.byteswap()
    return ids


# -- send keys (messaging.services.submit_once) ---------------------------------------------


def lock_send_key(service_id: int, key: str) -> None:
    """Hold a transaction lock on (service, key) until commit, so two sends with one key
    run one after the other. ORM twin: none needed, SQLite runs one writer at a time."""
    xactlock.hold(f"send-key:{service_id}:{key}")
