"""The failed-login limit holds across web processes: gunicorn with 2 workers on a shared
Redis cache, against the test database, takes concurrent wrong guesses from one address."""

import json
import logging
import threading
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import SEED_USERNAME
from tests.workers import empty_redis, gunicorn

logger = logging.getLogger(__name__)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BASE_DIR = Path(__file__).resolve().parents[3]
GUESSES = 32
REDIS_DB = 5  # of the local Redis: emptied by this test


@pytest.fixture
def shared_cache():
    """An empty Redis database for the web processes' cache."""
    url = empty_redis(REDIS_DB)
    yield url
    empty_redis(REDIS_DB)


@pytest.fixture
def web(shared_cache):
    """gunicorn -w 2 on the test database and the shared cache; its base URL."""
    with gunicorn(shared_cache, "--threads", "8", ready_path="/sms_api/schema/") as port:
        yield f"http://127.0.0.1:{port}/sms_api/"


def post(url: str, fields: dict) -> str:
    body = urllib.parse.urlencode(fields).encode()
    with urllib.request.urlopen(url, body, timeout=30) as response:  # noqa: S310
        return json.loads(response.read())["error"]


def test_concurrent_wrong_guesses_in_two_processes_stop_at_the_limit(api_service, web):
    start = threading.Barrier(GUESSES)

    def guess(n: int) -> str:
        start.wait()
        fields = {"username": SEED_USERNAME, "password": f"guess-{n}", "to_list": "888222444"}
        return post(web + "gateway/", {**fields, "message": "Hi"})

    with ThreadPoolExecutor(GUESSES) as pool:
        answers = Counter(pool.map(guess, range(GUESSES)))

    logger.info("%d concurrent wrong guesses: %s", GUESSES, dict(answers))
    assert set(answers) <= {"LOGIN_INCORRECT", "TOO_MANY_FAILED_LOGINS"}
    assert answers["LOGIN_INCORRECT"] <= settings.API_LOGIN_FAILURE_LIMIT
    assert answers["LOGIN_INCORRECT"] + answers["TOO_MANY_FAILED_LOGINS"] == GUESSES
