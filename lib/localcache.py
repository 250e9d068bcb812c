"""A per-process memory of a few seconds in front of the shared cache.

The API reads the same credentials and failure counters on every request;
with several web processes those live in a shared cache (Redis), which costs
a round trip each. Keeping what was read for a second or two in the process
saves those round trips; a change made in another process is seen once the
entry expires, and a change made in this process drops it at once.
"""

import threading
import time


class LocalCache:
    """Entries that expire, at most ``max_entries`` of them and, when given,
    at most ``max_weight`` in all (say, recipients of kept lists); past
    either, the entries set longest ago go first."""

    def __init__(self, seconds: float, max_entries: int = 10_000, max_weight: int | None = None):
        self.seconds = seconds
        self.max_entries = max_entries
        self.max_weight = max_weight
        self._entries: dict[str, tuple[float, object, int]] = {}
        self._weight = 0
        self._lock = threading.Lock()  # threaded servers: the weight and eviction

    def get(self, key: str) -> tuple[bool, object]:
        entry = self._entries.get(key)
        if entry is None:
            return False, None
        expires, value, _ = entry
        if expires < time.monotonic():
            self.delete(key)
            return False, None
        return True, value

    def set(self, key: str, value, weight: int = 1) -> None:
        if self.seconds <= 0:
            return
        with self._lock:
            self._pop(key)  # set again: now the newest
            self._entries[key] = (time.monotonic() + self.seconds, value, weight)
            self._weight += weight
            while len(self._entries) > 1 and (
                len(self._entries) > self.max_entries
                or (self.max_weight is not None and self._weight > self.max_weight)
            ):
                self._pop(next(iter(self._entries)))

    def delete(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._pop(key)

    def _pop(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._weight -= entry[2]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._weight = 0


# Every LocalCache made through this module, so tests can empty them all.
_all: list[LocalCache] = []


def local_cache(
    seconds: float, max_entries: int = 10_000, max_weight: int | None = None
) -> LocalCache:
    made = LocalCache(seconds, max_entries, max_weight)
    _all.append(made)
    return made


def clear_all() -> None:
    for made in _all:
        made.clear()
