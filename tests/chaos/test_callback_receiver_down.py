"""A customer's callback receiver down. One stays down for the whole retry window: its
callbacks are retried on schedule, given up after the window, and shown so to staff in
admin and to the customer on the dashboard. Another comes up halfway through the window:
every record it was owed arrives, once."""

import http.cookiejar
import logging
import re
import time
import urllib.parse
import urllib.request
from collections import Counter

from tests.receiver import Receiver
from tests.workers import free_port

logger = logging.getLogger(__name__)

INTERVAL = 5  # CALLBACK_RETRY_INTERVAL
WINDOW = 60  # CALLBACK_RETRY_WINDOW
MESSAGES = 3
RECIPIENTS = 25  # two callbacks a message: 20 records a call


def test_a_receiver_down_is_retried_given_up_or_served_once_back(postgres, deploy):
    platform = deploy(
        postgres,
        CALLBACK_ALLOW_PRIVATE=1,
        CALLBACK_RETRY_INTERVAL=INTERVAL,
        CALLBACK_RETRY_WINDOW=WINDOW,
        CALLBACK_HOST_BACKOFF_MAX=INTERVAL,
    )
    _, port = platform.gunicorn()
    platform.qcluster()
    never, later = free_port(), free_port()
    sent = {"never": [], "later": []}
    for n in range(MESSAGES):
        for name, receiver_port in (("never", never), ("later", later)):
            numbers = [f"4860{n}{len(sent[name]):02d}{r:04d}" for r in range(RECIPIENTS)]
            answer = platform.api(
                port,
                "gateway/",
                to_list=",".join(numbers),
                message="Raport",
                notify_url=f"http://127.0.0.1:{receiver_port}/callback",
            )
            assert answer["error"] == "OK", answer
            sent[name].append(int(answer["message_id"]))
    started = time.monotonic()

    time.sleep(WINDOW / 2)
    with Receiver(port=later) as receiver:
        while time.monotonic() - started < WINDOW + 45 and (
            _states(postgres, sent["never"]) != {"given_up"}
            or _states(postgres, sent["later"]) != {"delivered"}
        ):
            time.sleep(1)
        records = Counter(
            record.split(",")[1]  # the instance id
            for body in receiver.bodies
            for key, record in urllib.parse.parse_qsl(body.decode())
            if key == "status[]"
        )

    # Back halfway: every record of every recipient, once.
    assert _states(postgres, sent["later"]) == {"delivered"}
    assert len(records) == MESSAGES * RECIPIENTS and set(records.values()) == {1}, records

    # Down all along: tried again on schedule, given up once the window had passed.
    assert _states(postgres, sent["never"]) == {"given_up"}
    attempts = postgres.query(
        "SELECT c.id, c.created_at, a.at FROM messaging_callback c "
        "JOIN messaging_callbackattempt a ON a.callback_id = c.id "
        "WHERE c.message_id = ANY(%s) ORDER BY c.id, a.at",
        [sent["never"]],
    )
    by_callback: dict[int, list] = {}
    for callback_id, created, at in attempts:
        by_callback.setdefault(callback_id, [created]).append(at)
    for times in by_callback.values():
        created, tries = times[0], times[1:]
        assert len(tries) >= 3, tries  # retried, not dropped after one try
        gaps = [(b - a).total_seconds() for a, b in zip(tries, tries[1:], strict=False)]
        assert min(gaps) >= INTERVAL - 1, gaps  # no faster than the interval
        assert (tries[-1] - created).total_seconds() >= WINDOW - INTERVAL - 1
    logger.info(
        "given up: %d callbacks, %s attempts each; delivered once back: %d records",
        len(by_callback),
        sorted({len(t) - 1 for t in by_callback.values()}),
        len(records),
    )

    # Shown: to staff in admin, to the customer on the dashboard.
    base = f"http://127.0.0.1:{port}"
    demo = platform.demo
    staff = _logged_in(base, "/admin/login/", demo["admin_username"], demo["admin_password"])
    listing = staff(f"{base}/admin/messaging/callback/?state__exact=given_up")
    assert f"127.0.0.1:{never}" in listing
    customer = _logged_in(base, "/login/", demo["panel_username"], demo["panel_password"])
    dashboard = customer(f"{base}/")
    given_up = len(by_callback)
    assert f"{given_up} were given up in the last 7 days" in dashboard, dashboard[-3000:]


def _states(postgres, message_ids) -> set[str]:
    return {
        state
        for (state,) in postgres.query(
            "SELECT DISTINCT state FROM messaging_callback WHERE message_id = ANY(%s)",
            [message_ids],
        )
    }


def _logged_in(base: str, login_path: str, username: str, password: str):
    """A session logged in through the login form; returns a page getter (English)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("Accept-Language", "en")]
    form = opener.open(base + login_path, timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    body = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "username": username, "password": password}
    ).encode()
    request = urllib.request.Request(  # noqa: S310 - the test's own http URL
        base + login_path, body, headers={"Referer": base + login_path}
    )
    opener.open(request, timeout=10).read()

    def get(url: str) -> str:
        return opener.open(url, timeout=10).read().decode()

    return get
