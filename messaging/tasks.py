"""django-q2 tasks of the messaging app: thin wrappers around its service functions."""

from . import callbacks


def deliver_callbacks(budget: float = 50.0, linger: float | None = None) -> int:
    """POST due callbacks until none is due (waiting for retries due soon) or out of budget."""
    return callbacks.deliver(budget=budget, linger=linger)
