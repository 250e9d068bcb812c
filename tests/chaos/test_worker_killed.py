"""A qcluster worker SIGKILLed ten times, at random moments, while 20,000 recipients are
dispatched: every recipient ends final and sent exactly once, every failed one refunded
exactly once, and the ledger adds up to the balance."""

import contextlib
import logging
import os
import random
import signal
import threading
import time
from decimal import Decimal

from tests.workers import descendants, title

from .servers import Platform

logger = logging.getLogger(__name__)

RECIPIENTS = 20_000
KILLS = 10
# Numbers ending 000, 999 and 998 fail at the simulator (REJECTED, EXPIRED, REMOTE_ERROR).
FAILING_SUFFIXES = ("000", "999", "998")


def test_workers_killed_mid_dispatch_lose_nothing_and_send_nothing_twice(postgres, redis_server):
    platform = Platform(
        postgres,
        redis_server,
        # Claims of a killed worker lapse in 5 s (deployed: 120); small batches, so that
        # a kill lands in the middle of many.
        DISPATCH_LEASE_SECONDS=5,
        DISPATCH_BATCH_SIZE=100,
    )
    try:
        # A slow upstream: each batch takes 0.2 s after the simulator took it, the
        # moment a worker killed loses the answer of a send already made.
        postgres.query(
            "UPDATE gateways_gateway SET settings = settings || "
            """'{"send_seconds": 0.2, "delay": 0}'::jsonb WHERE driver = 'simulator'"""
        )
        _, port = platform.gunicorn()
        cluster = platform.qcluster(Q_WORKERS=2)
        numbers = [f"48601{n:06d}" for n in range(RECIPIENTS)]
        message_ids = []
        for half in (numbers[: RECIPIENTS // 2], numbers[RECIPIENTS // 2 :]):
            answer = platform.api(port, "gateway/", to_list=",".join(half), message="Chaos")
            assert answer["error"] == "OK", answer
            message_ids.append(int(answer["message_id"]))

        rng = random.Random(int(os.environ.get("CHAOS_SEED", time.time())))
        trickle = Trickle(platform, port)  # steady single sends, as production has
        trickle.start()
        killed = []
        while len(killed) < KILLS:
            # A worker in the middle of a dispatch batch, mostly; now and then one
            # waiting for a task (it holds the task queue: the sentinel renews it).
            wanted = " processing " if len(killed) % 4 != 3 else " idle"
            victims = _waiting_for(cluster, wanted, timeout=90)
            time.sleep(rng.uniform(0.0, 0.4))
            victim = rng.choice(victims)
            with contextlib.suppress(ProcessLookupError):
                os.kill(victim, signal.SIGKILL)
                killed.append((wanted.strip(), _open(postgres, message_ids)))
        trickle.stop()
        logger.info("killed (worker state, recipients open then): %s", killed)
        assert sum(1 for state, _ in killed if state == "processing") >= 7
        message_ids += trickle.message_ids
        numbers += trickle.numbers

        deadline = time.monotonic() + 300
        while _open(postgres, message_ids) and time.monotonic() < deadline:
            time.sleep(1)
        assert _open(postgres, message_ids) == 0, "every recipient final"

        # Sent exactly once: one simulator row per recipient, each asked for once or,
        # where a worker died between the send and its answer, asked again and
        # deduplicated by the recipient's id (the gateway's instance id).
        sent = postgres.query(
            "SELECT r.number, s.requests FROM gateways_simulatedsms s "
            "JOIN messaging_recipient r ON r.id = s.recipient_id WHERE r.message_id = ANY(%s)",
            [message_ids],
        )
        assert sorted(number for number, _ in sent) == sorted(numbers)
        repeated = sum(1 for _, requests in sent if requests > 1)
        logger.info(
            "recipients checked: %d (%d of them single sends); requests repeated after a "
            "kill, deduplicated: %d",
            len(numbers),
            len(trickle.numbers),
            repeated,
        )

        failed = [n for n in numbers if n.endswith(FAILING_SUFFIXES)]
        statuses = dict(
            postgres.query(
                "SELECT refunded, count(*) FROM messaging_recipient "
                "WHERE message_id = ANY(%s) AND status <> 'DELIVERED' GROUP BY refunded",
                [message_ids],
            )
        )
        assert statuses == {True: len(failed)}, statuses
        price = postgres.value(
            "SELECT recipient_price FROM messaging_message WHERE id = %s", [message_ids[0]]
        )
        service = platform.demo["service_id"]
        refunds = postgres.value(
            "SELECT COALESCE(SUM(amount), 0) FROM accounts_ledgerentry "
            "WHERE service_id = %s AND kind = 'refund'",
            [service],
        )
        assert refunds == price * len(failed)
        ledger, balance = postgres.query(
            "SELECT (SELECT SUM(amount) FROM accounts_ledgerentry WHERE service_id = s.id), "
            "s.balance FROM accounts_service s WHERE s.id = %s",
            [service],
        )[0]
        assert ledger == balance
        assert balance == Decimal(100000) - price * (len(numbers) - len(failed))
    finally:
        platform.close()


def _open(postgres, message_ids) -> int:
    return postgres.value(
        "SELECT count(*) FROM messaging_recipient WHERE message_id = ANY(%s) "
        "AND status IN ('PENDING', 'QUEUED')",
        [message_ids],
    )


def _waiting_for(cluster, state: str, timeout: float) -> list[int]:
    """The cluster's workers whose title says ``state``, once there is one."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [p for p in descendants(cluster.pid) if state in title(p)]
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"no worker {state.strip()} within {timeout} s")


class Trickle(threading.Thread):
    """One single-recipient send every half second through the API."""

    def __init__(self, platform, port):
        super().__init__(daemon=True)
        self.platform, self.port = platform, port
        self.stopping = threading.Event()
        self.numbers, self.message_ids = [], []

    def run(self):
        n = 0
        while not self.stopping.wait(0.5):
            number = f"48602{n:06d}"
            answer = self.platform.api(self.port, "gateway/", to_list=number, message="Trickle")
            assert answer["error"] == "OK", answer
            self.numbers.append(number)
            self.message_ids.append(int(answer["message_id"]))
            n += 1

    def stop(self):
        self.stopping.set()
        self.join(30)
