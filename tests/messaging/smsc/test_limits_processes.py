"""status.php's error-9 limits (seed 003) hold across web processes: one gunicorn with two
sync workers on the test database and a shared Redis cache.

A sync worker serves one connection at a time, so two connections opened together
are taken by the two workers, one each: a request on the second, then one on the
first, is served by both of them. gunicorn's access log names the worker (its pid) that
served each request, and the test checks that each pair went to both: with a
per-process count neither limit would be reached.
"""

import http.client
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import SEED_PASSWORD, SEED_USERNAME
from tests.sending import send
from tests.workers import empty_redis, gunicorn

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BASE_DIR = Path(__file__).resolve().parents[3]
REDIS_DB = 13  # of the local Redis: emptied by this test
NUMBER = "48600100123"
TOO_MANY = "0,-9"  # error 9 in fmt=1


@pytest.fixture
def web(tmp_path):
    """gunicorn -w 2 (sync workers) on the test database and a shared Redis cache;
    (host, port, access log path)."""
    access_log = tmp_path / "access.log"
    options = ("-k", "sync", "--access-logfile", str(access_log))
    options += ("--access-logformat", "%(p)s %(U)s")
    # No login: error 2 at once, nothing counted against anyone.
    try:
        with gunicorn(empty_redis(REDIS_DB), *options, ready_path="/sys/balance.php") as port:
            yield "127.0.0.1", port, access_log
    finally:
        empty_redis(REDIS_DB)


def request(conn: http.client.HTTPConnection, fields: dict) -> str:
    query = urllib.parse.urlencode({"login": SEED_USERNAME, "psw": SEED_PASSWORD, **fields})
    conn.request("GET", f"/sys/status.php?{query}")
    response = conn.getresponse()
    assert response.status == 200
    text = response.read().decode("cp1251")
    conn.close()
    return text


def in_both_workers(host: str, port: int, fields: dict) -> list[str]:
    """Two requests, on two connections open at once: each worker serves one."""
    first, second = http.client.HTTPConnection(host, port), http.client.HTTPConnection(host, port)
    first.connect()
    second.connect()
    return [request(second, fields), request(first, fields)]


def served_by(access_log: Path) -> list[str]:
    """The pid of the worker that served each status.php request, in order."""
    deadline = time.monotonic() + 5
    while True:
        lines = [line.split() for line in access_log.read_text().splitlines()]
        pids = [pid for pid, path in lines if path == "/sys/status.php"]
        if len(pids) == 8 or time.monotonic() > deadline:
            return pids
        time.sleep(0.1)


def test_error_9_is_counted_across_two_web_workers(api_service, web):
    host, port, access_log = web
    message = send(api_service, numbers=[NUMBER])  # no gateway here: it stays PENDING (-1)
    single = {"id": message.pk, "phone": NUMBER, "fmt": 1}
    mass = {"id": f"{message.pk},", "phone": f"{NUMBER},", "fmt": 1}
    # The limits count per clock minute (int(time.time() // 60)): all of it in one.
    if time.time() % 60 > 50:
        time.sleep(60.5 - time.time() % 60)
    minute = int(time.time() // 60)

    answers = [a for _ in range(3) for a in in_both_workers(host, port, single)]
    mass_answers = in_both_workers(host, port, mass)

    assert int(time.time() // 60) == minute, "the requests crossed a minute"
    pids = served_by(access_log)
    assert len(pids) == 8, pids
    # Each pair of requests went to both workers.
    pairs = list(zip(pids[::2], pids[1::2], strict=True))
    assert len(set(pids)) == 2 and all(a != b for a, b in pairs), pids
    assert [a.split(",")[0] for a in answers[:5]] == ["-1"] * 5, answers
    assert answers[5] == TOO_MANY, answers
    assert mass_answers[0].split(",")[0] == "-1", mass_answers
    assert f",{message.pk}" in mass_answers[0].strip(), mass_answers
    assert mass_answers[1] == TOO_MANY, mass_answers
