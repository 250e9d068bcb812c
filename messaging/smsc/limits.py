"""SMSC's per-minute limits (error 9), counted in the shared cache: one increment a call.

Each limit is a counter per login and clock minute, so every web process
counts into the same number when the cache is shared (Redis); with a
per-process cache each process counts alone.
"""

import hashlib
import time

from lib import throttle

STATUS_SAME_MESSAGE = 5  # seed 003: more than five requests for one message's status
STATUS_MASS = 1  # seed 003: more than one mass request
SENDERS_SAME_LIST = 3  # seed 004: more than three identical list requests
SENDERS_CREATE = 5  # seed 004: more than five create requests


def within(name: str, service_id: int, limit: int, *parts: str) -> bool:
    """Count this call; False once more than ``limit`` came this minute."""
    minute = int(time.time() // 60)
    detail = hashlib.sha256("\x1f".join(parts).encode("utf-8", "replace")).hexdigest()[:24]
    key = f"smsc:{name}:{service_id}:{detail}:{minute}"
    return throttle.count(key, 90) <= limit
