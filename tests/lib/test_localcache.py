"""The per-process layer in front of the shared cache: fast, and never stale for long."""

import time

from django.core.cache import cache

from accounts import apiauth
from lib.localcache import LocalCache
from lib.throttle import Throttle


def test_entries_expire():
    local = LocalCache(0.05)
    local.set("k", "v")
    assert local.get("k") == (True, "v")
    time.sleep(0.06)
    assert local.get("k") == (False, None)


def test_the_oldest_entries_go_first_past_the_count_or_the_weight():
    local = LocalCache(60, max_entries=3, max_weight=10)
    for key in "abc":
        local.set(key, key)
    local.set("a", "a")  # set again: now the newest
    local.set("d", "d")
    assert [k for k in "abcd" if local.get(k)[0]] == ["a", "c", "d"]
    local.set("heavy", "h", weight=9)
    assert [k for k in ["a", "c", "d", "heavy"] if local.get(k)[0]] == ["d", "heavy"]
    local.set("huge", "x", weight=50)  # alone over the budget: kept, the rest go
    assert [k for k in ["d", "heavy", "huge"] if local.get(k)[0]] == ["huge"]


def test_a_change_in_another_process_is_seen_once_the_entry_expires(
    api_service, monkeypatch, django_assert_num_queries
):
    monkeypatch.setattr(apiauth._local, "seconds", 0.2)
    before = apiauth.by_username(api_service.api_username)
    # Another process renames the service: its signal clears the shared cache,
    # not this process's memory.
    type(api_service).objects.filter(pk=api_service.pk).update(api_username="renamed")
    cache.delete(apiauth._username_key(api_service.api_username))
    with django_assert_num_queries(0):
        assert apiauth.by_username(api_service.api_username) == before  # still remembered
    time.sleep(0.25)
    assert apiauth.by_username(api_service.api_username) is None


def test_a_change_in_this_process_is_seen_at_once(api_service):
    assert apiauth.by_username(api_service.api_username) is not None
    api_service.api_username = "renamed"
    api_service.save()
    assert apiauth.by_username("renamed") is not None
    assert apiauth.by_username("sms_claudeapi") is None


def test_a_block_counted_elsewhere_takes_effect_within_the_memo(monkeypatch):
    throttle = Throttle("memo-test", limit=2, window=60)
    monkeypatch.setattr(throttle._clear, "seconds", 0.2)
    assert not throttle.blocked("10.0.0.9")
    cache.set(throttle._key("10.0.0.9"), 2, 60)  # another process's failures
    assert not throttle.blocked("10.0.0.9")
    time.sleep(0.25)
    assert throttle.blocked("10.0.0.9")


def test_a_failure_counted_here_is_seen_at_once():
    throttle = Throttle("memo-test-2", limit=1, window=60)
    assert not throttle.blocked("10.0.0.8")
    throttle.failure("10.0.0.8")
    assert throttle.blocked("10.0.0.8")
