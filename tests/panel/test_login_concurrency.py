"""The panel's sign-in turns hold across web processes: gunicorn with 2 workers on a shared
Redis cache takes a burst of concurrent wrong guesses for one username (behind a trusted
proxy, from three addresses); at most one per address and one turn are checked, and the
owner then signs in from a fresh address."""

import logging
import re
import threading
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from http.cookiejar import CookieJar

import pytest
from django.contrib.auth.hashers import make_password

from tests.workers import empty_redis, gunicorn

logger = logging.getLogger(__name__)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

GUESSES = 24
GUESSERS = ["198.51.100.1", "198.51.100.2", "198.51.100.3"]
REDIS_DB = 6  # of the local Redis: emptied by this test


@pytest.fixture
def web(monkeypatch):
    """gunicorn -w 2 behind a "proxy" on loopback (TRUSTED_PROXIES), sharing a Redis cache."""
    monkeypatch.setenv("TRUSTED_PROXIES", "127.0.0.1")
    url = empty_redis(REDIS_DB)
    try:
        with gunicorn(url, "--threads", "8", ready_path="/login/") as port:
            yield f"http://127.0.0.1:{port}/login/"
    finally:
        empty_redis(REDIS_DB)


@pytest.fixture
def alice(service, settings):
    # The web processes know the production hashers only, not the tests' fast one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    user = service.customer.user
    user.password = make_password("pw-alice")
    user.save()
    return user


def signed_in_as(url: str, address: str, password: str) -> str:
    """The answer to one sign-in (a form with its CSRF token) from ``address``."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    opener.addheaders = [("X-Forwarded-For", address), ("Accept-Language", "en")]
    with opener.open(url, timeout=30) as page:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.read().decode())
    fields = {"csrfmiddlewaretoken": token[1], "username": "alice", "password": password}
    with opener.open(url, urllib.parse.urlencode(fields).encode(), timeout=30) as answer:
        text = answer.read().decode()
    if "Sign out" in text:
        return "in"
    if "correct username and password" in text:
        return "checked"
    if "Try again in" in text:
        return "wait"
    error = re.search(r'<ul class="errorlist nonfield"><li>(.*?)</li>', text)
    return error[1] if error else text[:200]


def test_concurrent_guesses_in_two_processes_get_one_check_per_address_and_turn(alice, web):
    start = threading.Barrier(GUESSES)

    def guess(n: int) -> str:
        start.wait()
        return signed_in_as(web, GUESSERS[n % 3], f"guess-{n}")

    with ThreadPoolExecutor(GUESSES) as pool:
        answers = Counter(pool.map(guess, range(GUESSES)))

    logger.info("%d concurrent wrong guesses: %s", GUESSES, dict(answers))
    assert set(answers) <= {"checked", "wait"}
    assert 3 <= answers["checked"] <= 4  # each address's own check, and one turn
    assert signed_in_as(web, "203.0.113.7", "pw-alice") == "in"
