"""Redis stopped and started while the platform runs with REDIS_URL (cache and task
broker): the API keeps answering, the sends it accepted meanwhile are dispatched once
Redis is back (the minute tick finds them: the tasks queued for them were lost), and
django-q2 takes tasks again without a restart."""

import logging
import time

logger = logging.getLogger(__name__)

OUTAGE_SENDS = 20


def test_a_redis_outage_costs_no_answer_and_loses_no_send(postgres, redis_server, deploy):
    platform = deploy(postgres, redis_server)
    _, port = platform.gunicorn()
    platform.qcluster()
    before = platform.api(port, "gateway/", to_list="48603000001", message="Przed")
    assert _final_within(platform, port, before["message_id"], 30)

    redis_server.stop()
    accepted, slowest = [], 0.0
    for n in range(OUTAGE_SENDS):
        started = time.monotonic()
        answer = platform.api(port, "gateway/", to_list=f"486031{n:05d}", message="Awaria")
        slowest = max(slowest, time.monotonic() - started)
        assert answer["error"] == "OK", answer
        accepted.append(answer["message_id"])
        progress = platform.api(port, f"getProgress/{answer['message_id']}/")
        assert progress["error"] == "OK", progress
        time.sleep(0.25)
    logger.info("outage: %d sends accepted, slowest answer %.3f s", len(accepted), slowest)
    assert slowest < 2

    redis_server.start()
    back = time.monotonic()
    assert all(_final_within(platform, port, m, 150) for m in accepted), "caught up"
    caught_up = time.monotonic() - back
    after = platform.api(port, "gateway/", to_list="48603000002", message="Po")
    started = time.monotonic()
    assert _final_within(platform, port, after["message_id"], 30), "tasks run again"
    logger.info(
        "after Redis came back: the outage's sends final in %.1f s, a new send in %.1f s",
        caught_up,
        time.monotonic() - started,
    )
    sent = platform.postgres.query(
        "SELECT recipient_id, requests FROM gateways_simulatedsms ORDER BY recipient_id"
    )
    assert len(sent) == OUTAGE_SENDS + 2
    assert all(requests == 1 for _, requests in sent)


def _final_within(platform, port, message_id, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        progress = platform.api(port, f"getProgress/{message_id}/")
        if progress["recipient_list"][0]["status"] not in ("PENDING", "QUEUED"):
            return True
        time.sleep(0.5)
    return False
