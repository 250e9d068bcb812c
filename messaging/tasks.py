"""django-q2 tasks of the messaging app: thin wrappers around its service functions."""

import time

from . import callbacks


def deliver_callbacks(budget: float = 50.0) -> int:
    """POST due callbacks until none is due or ``budget`` seconds have passed."""
    started = time.monotonic()
    total = 0
    while time.monotonic() - started < budget:
        count = callbacks.deliver_due()
        total += count
        if not count:
            break
    return total
