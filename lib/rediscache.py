"""Django's Redis cache, carrying on in the process's own memory while Redis is away.

The cache holds what the API reads on every request (credentials, failure counters,
the loop marks of lib.taskqueue), all of which can be read again from the database or
counted afresh. So when Redis does not answer, a request must not fail: each call goes
to a per-process memory instead (``LocMemCache``), and Redis is not asked again for
``RETRY_SECONDS``, so that an outage does not cost every request a failed connection.
What is kept there lasts at most ``FALLBACK_SECONDS``: another process does not see a
change made during the outage (a regenerated API password, say) and must read it again
soon. Failure counters count per process meanwhile, as with no shared cache at all.
Once Redis answers again it is used again; what the memory held is dropped.
"""

import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ReadOnlyError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

# How long Redis is left alone after it failed to answer.
RETRY_SECONDS = 1.0
# The longest anything is kept in the process's memory while Redis is away.
FALLBACK_SECONDS = 5

_UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError, ResponseError)


def _unavailable(error: Exception) -> bool:
    """Whether ``error`` says Redis cannot serve now rather than that the call was wrong:
    no connection, or a Redis that answers but cannot serve: a replica (after a failover)
    refusing writes, or writes stopped after a failed save (a full disk)."""
    if isinstance(error, ReadOnlyError):
        return True
    if isinstance(error, ResponseError):
        return str(error).startswith("MISCONF")
    return True


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._memory = LocMemCache(f"redis-fallback-{id(self)}", {"TIMEOUT": FALLBACK_SECONDS})
        self._away_until = 0.0
        self._warned_at = 0.0
        self._remembering = False  # the memory holds what was written while Redis was away

    def _call(self, name: str, *args, **kwargs):
        return self._either(name, args, kwargs, args, kwargs)

    def _either(self, name: str, args, kwargs, memory_args, memory_kwargs):
        """Redis's ``name``, unless Redis is away; then the memory's, with its arguments."""
        if time.monotonic() >= self._away_until:
            try:
                result = getattr(super(), name)(*args, **kwargs)
            except _UNAVAILABLE as exc:
                if not _unavailable(exc):
                    raise
                self._away(exc)
            else:
                self._forget_memory()
                return result
        self._remembering = True
        return getattr(self._memory, name)(*memory_args, **memory_kwargs)

    def _forget_memory(self) -> None:
        if self._remembering:
            self._remembering = False
            self._memory.clear()

    def _away(self, exc: Exception) -> None:
        now = time.monotonic()
        self._away_until = now + RETRY_SECONDS
        if now - self._warned_at > 60:  # once a minute, not once a request
            self._warned_at = now
            logger.warning("the Redis cache does not answer (%s): using this process's memory", exc)

    @staticmethod
    def _capped(timeout):
        if timeout is None or timeout is DEFAULT_TIMEOUT or timeout > FALLBACK_SECONDS:
            return FALLBACK_SECONDS
        return timeout

    # Reads and deletes: the same arguments whichever answers.
    def get(self, *args, **kwargs):
        return self._call("get", *args, **kwargs)

    def get_many(self, *args, **kwargs):
        return self._call("get_many", *args, **kwargs)

    def has_key(self, *args, **kwargs):
        return self._call("has_key", *args, **kwargs)

    def delete(self, *args, **kwargs):
        return self._call("delete", *args, **kwargs)

    def delete_many(self, *args, **kwargs):
        return self._call("delete_many", *args, **kwargs)

    def incr(self, *args, **kwargs):
        return self._call("incr", *args, **kwargs)

    def clear(self):
        self._memory.clear()
        return self._call("clear")

    # Writes: kept in memory for FALLBACK_SECONDS at most while Redis is away.
    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._write("set", key, value, timeout, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._write("add", key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._write("touch", key, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._write("set_many", data, timeout, version)

    def _write(self, name, *args):
        *leading, timeout, version = args
        return self._either(
            name,
            (*leading, timeout),
            {"version": version},
            (*leading, self._capped(timeout)),
            {"version": version},
        )
