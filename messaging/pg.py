"""Every PostgreSQL-only statement of the messaging app, in one place.

On PostgreSQL the hot paths (a send, a claim, a batch of reports, a callback
claim, getProgress) run as one hand-written statement each; SQLite (``make
run``, the demo) runs the ORM twin of each, which lives in the function that
calls the statement here. Each function below names its twin, and CI runs the
whole suite on both databases, so a twin that drifts fails a test.
"""

import io
from collections.abc import Sequence

from django.db import connection

from accounts import pricing
from accounts.models import Service

from .models import Message, Recipient, Status


def in_use() -> bool:
    """True when the default database is PostgreSQL: the statements here apply."""
    return connection.vendor == "postgresql"


# -- the send (messaging.services) ------------------------------------------------------

# A send in one statement: the PostgreSQL mirror of accounts.ledger's lock +
# apply_locked as messaging.services._charge_and_store uses them. The UPDATE
# charges only a service that may send after the charge (the rule's SQL
# spelling, Service.may_send_after_sql), at the price of the pricing rule's
# SQL twin (accounts.pricing.RECIPIENT_PRICE_SQL). The row lock it takes
# serialises concurrent sends as lock() does, and an UPDATE that waited for it
# re-checks its condition against the balance the other send left, so none
# overdraws. The message, its ledger entry
# (the one apply_locked would write, with services._charge_note's note) and
# its recipients are inserted only when the UPDATE charged. One round trip
# instead of six, for the API's hot path: single-recipient sends.
# tests/messaging/test_services.py compares what the two paths write.
_SEND = f"""
WITH price AS (
    SELECT {pricing.RECIPIENT_PRICE_SQL} AS recipient
      FROM accounts_service s JOIN accounts_tariff t ON t.id = s.tariff_id
     WHERE s.id = %(service)s
), charged AS (
    UPDATE accounts_service s
       SET balance = s.balance - price.recipient * %(count)s
      FROM price
     WHERE s.id = %(service)s AND {Service.may_send_after_sql("price.recipient * %(count)s")}
    RETURNING s.balance, price.recipient, price.recipient * %(count)s AS total
), message AS (
    INSERT INTO messaging_message (service_id, source, text, encoding, parts, sender, route,
        flash, express, forced, send_at, notify_url, user_flag, recipient_count,
        recipient_price, price, created_at)
    SELECT %(service)s, %(source)s, %(text)s, %(encoding)s, %(parts)s, %(sender)s, %(route)s,
        %(flash)s, %(express)s, %(forced)s, %(send_at)s, %(notify_url)s, %(user_flag)s,
        %(count)s, charged.recipient, charged.total, %(now)s
      FROM charged
    RETURNING id
), entry AS (
    INSERT INTO accounts_ledgerentry (service_id, kind, amount, balance_after, reference,
        note, created_at)
    SELECT %(service)s, 'charge', -charged.total, charged.balance,
        'charge:message:' || message.id,
        'message ' || message.id || ': ' || %(count)s || ' × ' || charged.recipient || ' PLN',
        %(now)s
      FROM charged, message
     WHERE charged.total > 0
), recipients AS (
    INSERT INTO messaging_recipient (message_id, number, status, status_at, send_at, refunded,
        express, delivered_parts, gateway_ref)
    SELECT message.id, number, 'PENDING', %(now)s, %(send_at)s, false, %(express)s, 0, ''
      FROM message, unnest(%(numbers)s::varchar[]) WITH ORDINALITY AS n(number, position)
     ORDER BY position
)
SELECT message.id, charged.recipient, charged.total FROM message, charged
"""  # noqa: S608 - the interpolated fragments are constants of accounts, not input


def charge_and_store(message: Message, numbers: Sequence[str]) -> bool:
    """Charge for ``message`` and store it, its ledger entry and its recipients at once.

    ORM twin: messaging.services._charge_and_store. False, having written
    nothing, when the service may not send or cannot pay (the caller finds out
    which); True when stored, with ``message``'s id and prices set.
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
        "notify_url": message.notify_url,
        "user_flag": message.user_flag,
        "now": message.created_at,
        "numbers": list(numbers),
    }
    with connection.cursor() as cursor:
        cursor.execute(_SEND, params)
        row = cursor.fetchone()
    if row is None:
        return False
    message.pk, message.recipient_price, message.price = row
    message._state.adding = False
    return True


def copy_recipients(message: Message, numbers: Sequence[str]) -> None:
    """Insert the recipients of a stored message with one COPY stream.

    ORM twin: the bulk_create in messaging.services._insert_recipients. A large
    list then costs one round trip, not one per batch of rows.
    """
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


# -- recipient transitions (messaging.transitions) -----------------------------------------


# -- callbacks (messaging.callbacks) --------------------------------------------------------


# -- getProgress (messaging.progress) --------------------------------------------------------
