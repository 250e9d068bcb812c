"""Failure counters and rate limits: counted atomically, each failure judged by its own count."""

import pytest
from django.core.cache import cache

from lib import throttle as throttle_module
from lib.clientaddress import address_group
from lib.throttle import Pace, RateLimit, Throttle


@pytest.fixture
def clock(monkeypatch):
    """The throttles' clock, moved by hand."""
    now = [1_700_000_000.25]
    monkeypatch.setattr(throttle_module, "_now", lambda: now[0])
    return now


def test_each_failure_learns_from_its_own_count_whether_it_went_past_the_limit():
    throttle = Throttle("own-count", limit=3, window=60)

    assert [throttle.failure("k") for _ in range(5)] == [False, False, False, True, True]
    assert throttle.blocked("k")


def test_a_remembered_not_blocked_never_lets_a_failure_past_the_limit():
    throttle = Throttle("memo-limit", limit=2, window=60)
    assert not throttle.blocked("k")  # remembered in this process for a moment
    throttle_module.count(throttle._key("k"), 60)  # two failures counted by another process
    throttle_module.count(throttle._key("k"), 60)

    assert not throttle.blocked("k")  # the memo saved a round trip...
    assert throttle.failure("k") is True  # ...but the next failure is judged by its count


def test_the_window_runs_from_the_first_failure_and_retry_after_counts_it_down(clock):
    throttle = Throttle("window", limit=2, window=60)
    assert throttle.failure("k") is False
    clock[0] += 30
    assert throttle.failure("k") is False

    assert throttle.blocked("k")
    assert throttle.retry_after("k") == 31
    assert throttle.retry_after("k", "other") == 31  # an unblocked key adds no wait


def test_any_text_makes_a_key_every_cache_backend_accepts():
    throttle = Throttle("odd-keys", limit=1, window=60)
    name = "user:" + "ż ółw\x01" * 100

    throttle.failure(name)

    assert throttle.blocked(name)
    assert not throttle.blocked("user:other")


@pytest.mark.parametrize(
    ("address", "group"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("::ffff:192.0.2.7", "192.0.2.7"),  # an IPv4 client on a dual-stack socket
        ("2001:db8:1:2::5", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("[2001:db8:1:3::1]", "2001:db8:1:3::/64"),
        ("fe80::1%eth0", "fe80::/64"),
        ("not an address", "not an address"),
    ],
)
def test_an_ipv6_client_is_counted_by_its_64_an_ipv4_one_by_its_address(address, group):
    assert address_group(address) == group


def test_a_rate_limit_counts_each_second_apart(clock):
    limit = RateLimit("per-second")

    assert [limit.allows("a", 3) for _ in range(4)] == [True, True, True, False]
    assert limit.allows("b", 3)  # another key has its own count
    clock[0] += 1
    assert limit.allows("a", 3)  # a new second


def test_counting_never_leaves_a_counter_without_its_expiry(monkeypatch):
    # Redis's INCR makes a missing key afresh, without an expiry, when the key
    # expires between Django's existence check and the INCR; such a counter
    # would block for ever. Its count of 1 gives it away.
    touched = []
    monkeypatch.setattr(cache, "add", lambda key, value, timeout: False)
    monkeypatch.setattr(cache, "incr", lambda key: 1)
    monkeypatch.setattr(cache, "touch", lambda key, timeout: touched.append((key, timeout)))

    assert throttle_module.count("failures:x", 60) == 1
    assert touched == [("failures:x", 60)]


def test_a_pace_gives_one_turn_at_a_time_and_opens_the_next_when_told(clock):
    pace = Pace("turns", window=60)

    assert pace.take("k") == 0  # the turn is this caller's
    assert pace.take("k") == 1  # in flight: ask again in a moment
    assert pace.take("other") == 0
    pace.next_turn("k", 5)
    assert pace.take("k") == 5
    clock[0] += 4.5
    assert pace.take("k") == 1
    clock[0] += 0.5
    assert pace.take("k") == 0
    assert pace.take("k") == 1


def test_failures_are_counted_key_by_key():
    throttle = Throttle("per-key", limit=5, window=60)
    throttle.failure("a")

    assert throttle.count_failures("a", "", "b") == [2, 0, 1]
    assert throttle.counts("a", "b", "c") == [2, 1, 0]
