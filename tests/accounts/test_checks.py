"""`manage.py check --deploy` warns when the cache is per process (credentials and throttles)."""

import pytest
from django.core.checks.registry import registry
from django.test import override_settings

from accounts.checks import shared_cache
from tests.test_settings import deploy_check

LOCMEM = "django.core.cache.backends.locmem.LocMemCache"
REDIS = "django.core.cache.backends.redis.RedisCache"


def warnings(debug: bool, backend: str) -> list[str]:
    # Overridden only around the check: nothing connects to the cache named.
    caches = {"default": {"BACKEND": backend, "LOCATION": "redis://redis.internal:6379/0"}}
    with override_settings(DEBUG=debug, CACHES=caches):
        return [message.id for message in shared_cache(None)]


@pytest.mark.parametrize("backend", [LOCMEM, "django.core.cache.backends.dummy.DummyCache"])
def test_a_per_process_cache_is_flagged_when_debug_is_off(backend):
    assert warnings(False, backend) == ["accounts.W001"]


def test_a_shared_cache_is_not_flagged():
    assert warnings(False, REDIS) == []


def test_debug_mode_is_not_flagged():
    assert warnings(True, LOCMEM) == []


def test_it_is_a_deploy_check():
    assert shared_cache in registry.get_checks(include_deployment_checks=True)
    assert shared_cache not in registry.get_checks()


def test_check_deploy_shows_it_without_redis():
    output = deploy_check(REDIS_URL="", DEBUG="0")

    assert "accounts.W001" in output
    assert "REDIS_URL" in output
    assert "accounts.W001" not in deploy_check(REDIS_URL="redis://redis.internal:6379/0")
