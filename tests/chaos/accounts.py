"""What every chaos test checks once the work is done: each recipient final and sent once,
each failure refunded once, and the ledger adding up to the balance."""

import time
from decimal import Decimal

# Numbers ending 000, 999 and 998 fail at the simulator (REJECTED, EXPIRED, REMOTE_ERROR).
FAILING_SUFFIXES = ("000", "999", "998")


def open_recipients(postgres, message_ids) -> int:
    return postgres.value(
        "SELECT count(*) FROM messaging_recipient WHERE message_id = ANY(%s) "
        "AND status IN ('PENDING', 'QUEUED')",
        [message_ids],
    )


def wait_until_final(postgres, message_ids, timeout: float) -> float:
    """Seconds until every recipient of ``message_ids`` is final; fails past ``timeout``."""
    started = time.monotonic()
    while open_recipients(postgres, message_ids) and time.monotonic() - started < timeout:
        time.sleep(1)
    assert open_recipients(postgres, message_ids) == 0, postgres.query(
        "SELECT status, count(*) FROM messaging_recipient WHERE message_id = ANY(%s) GROUP BY 1",
        [message_ids],
    )
    return time.monotonic() - started


def sent_once_and_accounted(postgres, service_id, message_ids, numbers, top_up) -> int:
    """Check the simulator got each of ``numbers`` once (a request repeated after a fault
    is deduplicated by the recipient's id, the gateway's instance id), every failed one
    was refunded once and the ledger sums to the balance: ``top_up`` less the price of
    the recipients not failed. Returns how many requests were repeated."""
    sent = postgres.query(
        "SELECT r.number, s.requests FROM gateways_simulatedsms s "
        "JOIN messaging_recipient r ON r.id = s.recipient_id WHERE r.message_id = ANY(%s)",
        [message_ids],
    )
    assert sorted(number for number, _ in sent) == sorted(numbers)
    failed = [n for n in numbers if n.endswith(FAILING_SUFFIXES)]
    refunded = dict(
        postgres.query(
            "SELECT refunded, count(*) FROM messaging_recipient "
            "WHERE message_id = ANY(%s) AND status <> 'DELIVERED' GROUP BY refunded",
            [message_ids],
        )
    )
    assert refunded == ({True: len(failed)} if failed else {}), refunded
    prices = set(
        postgres.query(
            "SELECT DISTINCT recipient_price FROM messaging_message WHERE id = ANY(%s)",
            [message_ids],
        )
    )
    assert len(prices) == 1, prices
    [(price,)] = prices
    refunds = postgres.value(
        "SELECT COALESCE(SUM(amount), 0) FROM accounts_ledgerentry "
        "WHERE service_id = %s AND kind = 'refund'",
        [service_id],
    )
    assert refunds == price * len(failed)
    ledger, balance = postgres.query(
        "SELECT (SELECT SUM(amount) FROM accounts_ledgerentry WHERE service_id = s.id), "
        "s.balance FROM accounts_service s WHERE s.id = %s",
        [service_id],
    )[0]
    assert ledger == balance
    assert balance == Decimal(top_up) - price * (len(numbers) - len(failed))
    return sum(1 for _, requests in sent if requests > 1)
