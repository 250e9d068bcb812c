"""django-q2 tasks of the messaging app: thin wrappers around its service functions."""

from . import callbacks, retention, usage


def deliver_callbacks(budget: float = 50.0, linger: float | None = None) -> int:
    """POST due callbacks until none is due (waiting for retries due soon) or out of budget."""
    return callbacks.deliver(budget=budget, linger=linger)


def refresh_usage() -> int:
    """Every ten minutes (migration 0008): count again the closed days the charts keep."""
    return usage.refresh()


def anonymise_old_data() -> dict:
    """Every hour (migration 0014): archive texts and numbers past their retention limits
    (the same as ``manage.py anonymise_old_data``), for at most TASK_BUDGET seconds."""
    return retention.run(budget=retention.TASK_BUDGET)
