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

from tests.workers import descendants, title

from .accounts import open_recipients, sent_once_and_accounted, wait_until_final
from .servers import Platform

logger = logging.getLogger(__name__)

RECIPIENTS = 20_000
KILLS = 10
TOP_UP = "100000"


def test_workers_killed_mid_dispatch_lose_nothing_and_send_nothing_twice(postgres, redis_server):
    platform = Platform(
        postgres,
        redis_server,
        balance=TOP_UP,
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
                killed.append((wanted.strip(), open_recipients(postgres, message_ids)))
        trickle.stop()
        logger.info("killed (worker state, recipients open then): %s", killed)
        assert sum(1 for state, _ in killed if state == "processing") >= 7
        message_ids += trickle.message_ids
        numbers += trickle.numbers

        wait_until_final(postgres, message_ids, 300)
        repeated = sent_once_and_accounted(
            postgres, platform.demo["service_id"], message_ids, numbers, TOP_UP
        )
        logger.info(
            "recipients checked: %d (%d of them single sends); requests repeated after a "
            "kill, deduplicated: %d",
            len(numbers),
            len(trickle.numbers),
            repeated,
        )
    finally:
        platform.close()


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
