"""Failure counters and rate limits in the cache, used to slow down guessing and floods.

A failure counter per key (an address group, a username) counts failures
inside a window that runs from the key's first failure; past the limit the key
is refused until the window ends. Each failure is one atomic increment (Redis
INCR with a shared cache), so failures counted at once by any number of
processes are all counted, and each failure learns from its own increment
whether it went past the limit: under any concurrency at most ``limit``
failures of a window are answered as plain failures. Set a shared cache
(Redis) when several web processes run, or each counts on its own.

A ``Pace`` hands out turns per key: one at a time, the next not before a time
the caller sets after each outcome (a progressive delay). Nothing sleeps: a
caller without a turn is told how long to wait.
"""

import hashlib
import math
import re
import time
import uuid

from django.conf import settings
from django.core.cache import cache

from .localcache import local_cache

# Keys made of these are readable in the cache as they are; any other text is hashed.
_PLAIN_KEY = re.compile(r"[\w.:/-]{1,100}", re.ASCII)

# One memo per throttle prefix: a Throttle may be made per request.
_clear_memos = {}


def _now() -> float:
    return time.time()


def cache_key(kind: str, prefix: str, key: str) -> str:
    """``kind:prefix:key``, with a ``key`` of any text hashed into one every backend accepts."""
    if not _PLAIN_KEY.fullmatch(key):
        key = "#" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{kind}:{prefix}:{key}"


def count(key: str, timeout: int) -> int:
    """Add one to the counter ``key``, made with an expiry of ``timeout`` seconds when new."""
    while True:
        if cache.add(key, 1, timeout):
            return 1
        try:
            counted = cache.incr(key)
        except ValueError:
            continue  # it expired between the two calls: start it again
        if counted == 1:
            # Only INCR on a key that expired after Django's existence check
            # makes 1 here, and Redis makes such a key without an expiry: give
            # it one, or it would block for ever.
            cache.touch(key, timeout)
        return counted


class Throttle:
    def __init__(self, prefix: str, limit: int, window: int):
        self.prefix = prefix
        self.limit = limit
        self.window = window
        # "Not blocked" is remembered per key in the process for a moment,
        # saving a round trip per request. It never lets a failure through:
        # each failure is judged by its own increment, not by this memo.
        if prefix not in _clear_memos:
            _clear_memos[prefix] = local_cache(settings.THROTTLE_LOCAL_SECONDS)
        self._clear = _clear_memos[prefix]

    def _key(self, key: str) -> str:
        return cache_key("failures", self.prefix, key)

    @staticmethod
    def _start_key(cache_key: str) -> str:
        return cache_key + ":start"

    def blocked(self, *keys: str, fresh: bool = False) -> bool:
        """Whether any of ``keys`` is at its limit; ``fresh`` skips the process's memo."""
        cache_keys = [self._key(k) for k in keys if k]
        if not fresh:
            cache_keys = [k for k in cache_keys if not self._clear.get(k)[0]]
        if not cache_keys:
            return False
        counts = cache.get_many(cache_keys)
        if any(counted >= self.limit for counted in counts.values()):
            return True
        for cache_key in cache_keys:
            self._clear.set(cache_key, True)
        return False

    def counts(self, *keys: str) -> list[int]:
        """The failures counted against each key in its window (read now, never remembered)."""
        cache_keys = [self._key(k) for k in keys]
        counts = cache.get_many(cache_keys)
        return [counts.get(k, 0) for k in cache_keys]

    def failure(self, *keys: str) -> bool:
        """Count a failure against each key; True when it went past the limit of any.

        A failure past the limit is to be answered as blocked: that, not an
        earlier ``blocked()``, is what holds the limit when failures race.
        """
        return any(counted > self.limit for counted in self.count_failures(*keys))

    def count_failures(self, *keys: str) -> list[int]:
        """Count a failure against each key; each key's count with it (0 for an empty key)."""
        counts = []
        for key in keys:
            if not key:
                counts.append(0)
                continue
            cache_key = self._key(key)
            self._clear.delete(cache_key)
            counted = count(cache_key, self.window)
            if counted == 1:
                # The window runs from the first failure: a blocked guesser who
                # keeps trying does not extend it, but is not let in early.
                cache.set(self._start_key(cache_key), _now(), self.window)
            counts.append(counted)
        return counts

    def retry_after(self, *keys: str) -> int:
        """Seconds until every blocked key among ``keys`` is let in again."""
        cache_keys = [self._key(k) for k in keys if k]
        values = cache.get_many(cache_keys + [self._start_key(k) for k in cache_keys])
        now = _now()
        waits = [
            # A window whose start is not known (yet) is taken as just begun.
            int(self.window - (now - values.get(self._start_key(k), now))) + 1
            for k in cache_keys
            if values.get(k, 0) >= self.limit
        ]
        return max(min(wait, self.window) for wait in waits) if waits else 0

    def reset(self, *keys: str) -> None:
        cache_keys = [self._key(k) for k in keys if k]
        cache.delete_many(cache_keys + [self._start_key(k) for k in cache_keys])
        self._clear.delete(*cache_keys)


class Pace:
    """Turns per key: one at a time, each opening when the caller said after the last.

    ``take`` gives the key's open turn to one caller (an atomic add on the
    turn's own token, so racing callers in any process get it once); the
    caller ends it with ``next_turn``, which says when the next one opens. A
    turn never ended (the process died) is given again after ``in_flight``
    seconds. What is kept expires ``window`` seconds after the last turn.
    """

    def __init__(self, prefix: str, window: int, in_flight: int = 10):
        self.prefix = prefix
        self.window = window
        self.in_flight = in_flight

    def take(self, key: str) -> int:
        """0 when the caller has the key's turn; else the seconds until it may ask again."""
        turn_key = cache_key("pace", self.prefix, key)
        opens, token = cache.get(turn_key, (0.0, "first"))
        wait = opens - _now()
        if wait > 0:
            return max(1, math.ceil(wait))
        if cache.add(f"{turn_key}:{token}", 1, self.in_flight):
            return 0
        return 1  # another caller has this turn; its outcome opens the next

    def next_turn(self, key: str, after: float) -> None:
        """End the caller's turn (or push back the open one): the next opens in ``after`` s."""
        turn_key = cache_key("pace", self.prefix, key)
        cache.set(turn_key, (_now() + after, uuid.uuid4().hex), self.window)


class RateLimit:
    """At most a given number of calls per key each second: one counter per key and second."""

    def __init__(self, prefix: str):
        self.prefix = prefix

    def allows(self, key: str, limit: int) -> bool:
        second = int(_now())
        # Kept a little past its second, so a slow call still finds its count.
        return count(f"rate:{self.prefix}:{key}:{second}", 2) <= limit
