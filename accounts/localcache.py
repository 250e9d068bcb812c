"""A per-process memory of a few seconds in front of the shared cache.

The API reads the same credentials and failure counters on every request;
with several web processes those live in a shared cache (Redis), which costs
a round trip each. Keeping what was read for a second or two in the process
saves those round trips; a change made in another process is seen once the
entry expires, and a change made in this process drops it at once.
"""

import time


class LocalCache:
    def __init__(self, seconds: float, max_entries: int = 10_000):
        self.seconds = seconds
        self.max_entries = max_entries
        self._entries: dict[str, tuple[float, object]] = {}

    def get(self, key: str) -> tuple[bool, object]:
        entry = self._entries.get(key)
        if entry is None:
            return False, None
        expires, value = entry
        if expires < time.monotonic():
            self._entries.pop(key, None)
            return False, None
        return True, value

    def set(self, key: str, value) -> None:
        if self.seconds <= 0:
            return
        if len(self._entries) >= self.max_entries:
            self._entries.clear()  # rare; cheaper than tracking age
        self._entries[key] = (time.monotonic() + self.seconds, value)

    def delete(self, *keys: str) -> None:
        for key in keys:
            self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()


# Every LocalCache made through this module, so tests can empty them all.
_all: list[LocalCache] = []


def local_cache(seconds: float, max_entries: int = 10_000) -> LocalCache:
    made = LocalCache(seconds, max_entries)
    _all.append(made)
    return made


def clear_all() -> None:
    for made in _all:
        made.clear()
