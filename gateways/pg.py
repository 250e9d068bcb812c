"""Every PostgreSQL-only statement of the gateways app, in one place.

As in messaging.pg: SQLite (``make run``, the demo) runs the ORM twin of each,
which lives in the function that calls the statement here, and each function
below names its twin.
"""

from datetime import datetime

from django.db import connection

from messaging.pg import in_use as in_use  # the test the callers ask of this module
from messaging.pg import ints, texts

from .drivers.base import Outgoing

# -- the simulator (gateways.drivers.simulator) ----------------------------------------------

_SIMULATOR_INSERT_MANY = """
INSERT INTO gateways_simulatedsms
    (gateway_id, recipient_id, number, text, sender, sent_at, report_at, reported, requests)
SELECT %(gateway)s, r.id, r.number, r.text, r.sender, %(now)s, %(report_at)s, false, 1
  FROM unnest(%(ids)s::bigint[], %(numbers)s::varchar[], %(texts)s::text[],
              %(senders)s::varchar[]) AS r(id, number, text, sender)
ON CONFLICT (recipient_id) DO UPDATE SET requests = gateways_simulatedsms.requests + 1
"""


def simulator_record_sent(
    gateway_id: int, batch: list[Outgoing], now: datetime, report_at: datetime
) -> None:
    """PostgreSQL twin of SimulatorDriver.send's executemany: the batch in one statement."""
    with connection.cursor() as cursor:
        cursor.execute(
            _SIMULATOR_INSERT_MANY,
            {
                "gateway": gateway_id,
                "now": now,
                "report_at": report_at,
                "ids": ints(o.recipient_id for o in batch),
                "numbers": texts(o.number for o in batch),
                "texts": texts(o.text for o in batch),
                "senders": texts(o.sender for o in batch),
            },
        )


# {which}: one of the two conditions below, never a value.
_SIMULATOR_TAKE_DUE = """
UPDATE gateways_simulatedsms s SET reported = true
 WHERE s.id IN (
    SELECT id FROM gateways_simulatedsms
     WHERE {which} AND NOT reported AND report_at <= %(now)s
     ORDER BY report_at, id LIMIT %(limit)s
       FOR UPDATE SKIP LOCKED)
RETURNING s.recipient_id, s.number, s.report_at
"""


def simulator_take_due(
    gateway_id: int, sent: list[int] | None, limit: int, now: datetime
) -> list[tuple]:
    """PostgreSQL twin of SimulatorDriver._take_due's ORM path: SKIP LOCKED, one statement.

    (instance id, number, report time) of the rows it marked reported.
    """
    # By instance id when known (its unique index), else the unreported index.
    which = (
        "recipient_id = ANY(%(sent)s::bigint[])" if sent is not None else "gateway_id = %(gateway)s"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            _SIMULATOR_TAKE_DUE.format(which=which),
            {
                "gateway": gateway_id,
                "now": now,
                "sent": ints(sent) if sent is not None else None,
                "limit": limit,
            },
        )
        return cursor.fetchall()
