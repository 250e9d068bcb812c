"""PostgreSQL crashes and starts again under load: 8 clients sending single SMS through the
API while the workers dispatch. During the outage the API answers SERVICE_UNAVAILABLE
(HTTP 503, retry_after) and the panel a "back in a moment" page, never a traceback or a
hang; after it, the web and worker processes recover by themselves within seconds; every
send answered OK is delivered, once."""

import http.cookiejar
import json
import logging
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter

logger = logging.getLogger(__name__)

CLIENTS = 8
TIMEOUT = 10  # a request not answered in this long counts as a hang


def test_a_postgres_crash_under_load_loses_no_accepted_send(postgres, redis_server, deploy):
    # Work claimed when the server crashed waits for its lease (deployed: 120 s).
    platform = deploy(postgres, redis_server, DISPATCH_LEASE_SECONDS=10)
    _, port = platform.gunicorn()
    platform.qcluster()
    base = f"http://127.0.0.1:{port}"
    login = _login_form(base)

    load = Load(platform, port)
    load.start()
    time.sleep(5)
    postgres.stop("immediate")  # a crash: no checkpoint, in-flight transactions lost
    down = time.monotonic()
    time.sleep(1)
    panel_status, panel_page = login()
    time.sleep(4)
    postgres.start()
    up = time.monotonic()
    time.sleep(10)
    load.stop()

    kinds = Counter(kind for kind, _, _ in load.answers)
    logger.info("answers: %s", dict(kinds))
    wrong = [answer for answer in load.answers if answer[0] not in ("OK", "SERVICE_UNAVAILABLE")]
    assert not wrong, wrong[:5]
    assert kinds["SERVICE_UNAVAILABLE"] > 0, "the outage was met"
    assert kinds["OK"] > 0
    slowest = max(seconds for _, seconds, _ in load.answers)
    assert slowest < TIMEOUT

    assert panel_status == 503 and "Zaraz wracamy" in panel_page

    first_ok_after = min(at for kind, _, at in load.answers if kind == "OK" and at > up)
    recovered = first_ok_after - up
    refused_after = [at - up for kind, _, at in load.answers if kind != "OK" and at > up]
    logger.info(
        "outage %.1f s; first OK %.2f s after the start; last refusal %.2f s after it",
        up - down,
        recovered,
        max(refused_after, default=0.0),
    )
    assert max(refused_after, default=0.0) < 10, "the web recovered by itself within seconds"

    accepted = [message_id for kind, _, message_id in load.accepted]
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline and _open(postgres, accepted):
        time.sleep(1)
    assert _open(postgres, accepted) == 0, postgres.query(
        "SELECT status, claimed_until IS NOT NULL, count(*) FROM messaging_recipient "
        "WHERE message_id = ANY(%s) GROUP BY 1, 2",
        [accepted],
    )
    finished = time.monotonic() - up
    rows = dict(
        postgres.query(
            "SELECT r.message_id, count(s.id) FROM messaging_recipient r "
            "LEFT JOIN gateways_simulatedsms s ON s.recipient_id = r.id "
            "WHERE r.message_id = ANY(%s) GROUP BY r.message_id",
            [accepted],
        )
    )
    assert sorted(rows) == sorted(accepted), "every accepted send stored"
    assert set(rows.values()) == {1}, "each sent once"
    delivered = postgres.value(
        "SELECT count(*) FROM messaging_recipient WHERE message_id = ANY(%s) "
        "AND status = 'DELIVERED'",
        [accepted],
    )
    assert delivered == len(accepted)
    logger.info(
        "accepted and delivered once: %d, the last %.1f s after the start", delivered, finished
    )


def _open(postgres, message_ids) -> int:
    return postgres.value(
        "SELECT count(*) FROM messaging_recipient WHERE message_id = ANY(%s) "
        "AND status IN ('PENDING', 'QUEUED')",
        [message_ids],
    )


def _login_form(base: str):
    """The panel's login form, fetched now (no database needed); returns a function
    that posts it and gives (HTTP status, page)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form = opener.open(f"{base}/login/", timeout=TIMEOUT).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)

    def post():
        body = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token, "username": "demo", "password": "wrong"}
        ).encode()
        request = urllib.request.Request(  # noqa: S310 - the test's own http URL
            f"{base}/login/", body, headers={"Referer": f"{base}/login/", "Accept-Language": "pl"}
        )
        try:
            with opener.open(request, timeout=TIMEOUT) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    return post


class Load:
    """CLIENTS threads, each sending single SMS one after another through the API."""

    def __init__(self, platform, port):
        self.platform, self.port = platform, port
        self.stopping = threading.Event()
        self.answers: list[tuple[str, float, float]] = []  # (kind, seconds, when)
        self.accepted: list[tuple[str, float, int]] = []
        self.lock = threading.Lock()
        self.threads = [
            threading.Thread(target=self.client, args=(n,), daemon=True) for n in range(CLIENTS)
        ]

    def start(self):
        for thread in self.threads:
            thread.start()

    def stop(self):
        self.stopping.set()
        for thread in self.threads:
            thread.join(TIMEOUT + 5)

    def client(self, n: int):
        sent = 0
        while not self.stopping.is_set():
            number = f"4860{n}{sent:05d}1"  # ends in 1: the simulator delivers it
            started = time.monotonic()
            kind, message_id = self.send(number)
            seconds = time.monotonic() - started
            with self.lock:
                self.answers.append((kind, seconds, time.monotonic()))
                if kind == "OK":
                    self.accepted.append((kind, seconds, message_id))
            sent += 1
            if kind != "OK":
                time.sleep(0.2)

    def send(self, number: str):
        demo = self.platform.demo
        body = urllib.parse.urlencode(
            {"username": demo["api_username"], "password": demo["api_password"],
             "to_list": number, "message": "Restart"}
        ).encode()  # fmt: skip
        url = f"http://127.0.0.1:{self.port}/sms_api/gateway/"
        try:
            with urllib.request.urlopen(url, body, timeout=TIMEOUT) as answer:  # noqa: S310
                found = json.loads(answer.read())
        except urllib.error.HTTPError as error:
            text = error.read().decode(errors="replace")
            try:
                found = json.loads(text)
            except ValueError:
                return f"HTTP {error.code}: {text[:200]}", None
            if error.code != 503:
                return f"HTTP {error.code}: {found.get('error')}", None
        except OSError as error:
            return f"no answer: {error}", None
        return found.get("error", "?"), found.get("message_id")
