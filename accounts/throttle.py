"""Failure counters in the cache, used to slow down password guessing.

A counter per key (an address, a username) counts failures inside a window;
at the limit the key is refused until the window ends. Set a shared cache
(Redis) when several web processes run, or each counts on its own.
"""

import time

from django.conf import settings
from django.core.cache import cache

from .localcache import local_cache

# One memo per throttle prefix: a Throttle may be made per request.
_clear_memos = {}


class Throttle:
    def __init__(self, prefix: str, limit: int, window: int):
        self.prefix = prefix
        self.limit = limit
        self.window = window
        # "Not blocked" is remembered in the process for a moment (a block
        # counted by another process takes effect that much later); a
        # failure counted here forgets it at once.
        if prefix not in _clear_memos:
            _clear_memos[prefix] = local_cache(settings.THROTTLE_LOCAL_SECONDS)
        self._clear = _clear_memos[prefix]

    def _key(self, key: str) -> str:
        return f"throttle:{self.prefix}:{key}"

    def blocked(self, *keys: str) -> bool:
        cache_keys = [self._key(k) for k in keys if k]
        memo = "|".join(cache_keys)
        if self._clear.get(memo)[0]:
            return False
        values = cache.get_many(cache_keys)
        blocked = any(count >= self.limit for count, _ in values.values())
        if not blocked:
            self._clear.set(memo, True)
        return blocked

    def failure(self, *keys: str) -> None:
        self._clear.clear()
        now = time.time()
        for key in keys:
            if not key:
                continue
            cache_key = self._key(key)
            count, started = cache.get(cache_key, (0, now))
            if now - started > self.window:
                count, started = 0, now
            # The window runs from the first failure: a blocked guesser who
            # keeps trying does not extend it forever, but is not let in early.
            remaining = max(1, int(self.window - (now - started)))
            cache.set(cache_key, (count + 1, started), timeout=remaining)

    def retry_after(self, *keys: str) -> int:
        """Seconds until every blocked key among ``keys`` is let in again."""
        now = time.time()
        values = cache.get_many([self._key(k) for k in keys if k])
        waits = [
            int(self.window - (now - started)) + 1
            for count, started in values.values()
            if count >= self.limit
        ]
        return max(waits, default=0)

    def reset(self, *keys: str) -> None:
        cache.delete_many([self._key(k) for k in keys if k])
        self._clear.clear()
