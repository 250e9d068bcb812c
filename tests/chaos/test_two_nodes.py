"""Two nodes on one database and one Redis (broker and cache), as on two machines: each
runs a gunicorn and a qcluster. 20,000 recipients go in through both nodes' APIs, and
one node is SIGKILLed whole in the middle of the dispatch: the other finishes the work,
and every recipient is final, sent once, refunded once if it failed, with the ledger
equal to the balance. On the Redis broker the dead node's tasks are lost (django-q2
runs a task once, from the node that took it): the survivor's catch-up (claims lapse,
the minute tick) is what re-finds their work."""

import logging
import time

from tests.workers import descendants, title

from .accounts import open_recipients, sent_once_and_accounted, wait_until_final
from .servers import Platform

logger = logging.getLogger(__name__)

RECIPIENTS = 20_000
TOP_UP = "100000"


def test_a_node_killed_mid_dispatch_leaves_its_work_to_the_other(postgres, redis_server):
    platform = Platform(
        postgres, redis_server, balance=TOP_UP, DISPATCH_LEASE_SECONDS=5, DISPATCH_BATCH_SIZE=100
    )
    try:
        postgres.query(
            "UPDATE gateways_gateway SET settings = settings || "
            """'{"send_seconds": 0.3, "delay": 0}'::jsonb WHERE driver = 'simulator'"""
        )
        web_a, port_a = platform.gunicorn()
        web_b, port_b = platform.gunicorn()
        # B's workers first, so that B holds the dispatch loops when it dies (the loops'
        # places are shared by the nodes through the cache: Q_WORKERS of them in all).
        cluster_b = platform.qcluster(Q_WORKERS=2)
        numbers = [f"48604{n:06d}" for n in range(RECIPIENTS)]
        message_ids = []
        for port, part in (
            (port_a, numbers[: RECIPIENTS // 2]),
            (port_b, numbers[RECIPIENTS // 2 :]),
        ):
            answer = platform.api(port, "gateway/", to_list=",".join(part), message="Dwa węzły")
            assert answer["error"] == "OK", answer
            message_ids.append(int(answer["message_id"]))

        # Node B dies (its machine, say) in the middle of the dispatch, A running beside it.
        deadline = time.monotonic() + 60
        while not any("gateways.tasks.dispatch" in title(p) for p in descendants(cluster_b.pid)):
            assert time.monotonic() < deadline, "node B never took a dispatch"
            time.sleep(0.05)
        cluster_a = platform.qcluster(Q_WORKERS=2)
        time.sleep(2)
        open_then = open_recipients(postgres, message_ids)
        platform.kill(cluster_b)
        platform.kill(web_b)
        logger.info("node B killed with %d recipients open", open_then)
        assert 0 < open_then < RECIPIENTS

        # Node A alone, its API still answering.
        answer = platform.api(port_a, "gateway/", to_list="48604999991", message="Po awarii")
        assert answer["error"] == "OK", answer
        message_ids.append(int(answer["message_id"]))
        numbers.append("48604999991")

        seconds = wait_until_final(postgres, message_ids, 300)
        repeated = sent_once_and_accounted(
            postgres, platform.demo["service_id"], message_ids, numbers, TOP_UP
        )
        logger.info(
            "all %d final %.1f s after the kill; repeated requests deduplicated: %d",
            len(numbers),
            seconds,
            repeated,
        )
        assert cluster_a.poll() is None and web_a.poll() is None
    finally:
        platform.close()
