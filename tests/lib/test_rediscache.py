"""The Redis cache through a Redis outage (lib/rediscache): no call fails or waits, the
process's memory stands in for a few seconds at a time, and Redis is used again once it
is back. A redis-server of the test's own, stopped and started."""

import time

import pytest
from django.core.cache.backends.base import DEFAULT_TIMEOUT

from lib import rediscache


@pytest.fixture
def cache(redis_server, monkeypatch):
    monkeypatch.setattr(rediscache, "RETRY_SECONDS", 0.2)
    return rediscache.ResilientRedisCache(
        redis_server.url, {"OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}}
    )


def test_values_live_in_redis_while_it_answers(cache, redis_server):
    import redis

    cache.set("greeting", "dzień dobry")
    assert cache.get("greeting") == "dzień dobry"
    assert redis.Redis(port=redis_server.port).keys("*greeting")


def test_an_outage_fails_no_call_and_redis_is_used_again_after_it(cache, redis_server):
    cache.set("kept", 1)
    redis_server.stop()
    started = time.monotonic()
    assert cache.get("kept") is None  # a miss: the caller reads the database
    assert cache.add("mark", 1, 30) is True
    assert cache.add("mark", 1, 30) is False  # the loop marks still mean one at a time
    cache.set("counter", 0)
    assert cache.incr("counter") == 1
    assert cache.get_many(["mark", "counter"]) == {"mark": 1, "counter": 1}
    cache.delete("mark")
    assert cache.get("mark") is None
    assert time.monotonic() - started < 2, "no call waits for Redis"

    redis_server.start()
    time.sleep(0.3)  # RETRY_SECONDS
    assert cache.get("kept") is None  # Redis again: it kept nothing (no disk)
    assert cache.get("counter") is None  # and the memory's values are gone
    cache.set("back", 2)
    assert cache.get("back") == 2


@pytest.mark.parametrize("timeout", [3600, None, DEFAULT_TIMEOUT])
def test_what_is_kept_during_an_outage_lasts_seconds(cache, redis_server, monkeypatch, timeout):
    monkeypatch.setattr(rediscache, "FALLBACK_SECONDS", 0.5)
    redis_server.stop()
    cache.set("password-digest", "old", timeout)
    assert cache.get("password-digest") == "old"
    time.sleep(0.7)
    assert cache.get("password-digest") is None


def test_a_redis_that_refuses_writes_is_away_too(cache, redis_server):
    """A replica after a failover answers reads and refuses writes (READONLY), as a
    Redis that could not save to a full disk does (MISCONF)."""
    import redis

    server = redis.Redis(port=redis_server.port)
    server.replicaof("127.0.0.1", "1")  # a primary that is not there: read-only
    try:
        assert cache.set("mark", 1, 30) is None  # no error: kept in memory
        assert cache.get("mark") == 1
    finally:
        server.replicaof("NO", "ONE")


def test_any_other_redis_error_is_not_hidden(cache, redis_server):
    import redis

    redis.Redis(port=redis_server.port).lpush(":1:listed", "x")  # a list, not a string
    with pytest.raises(redis.ResponseError):
        cache.incr("listed")
