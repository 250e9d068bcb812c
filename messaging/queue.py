"""Hand work to the django-q2 workers (ORM broker by default, Redis when configured)."""

import logging
import time

from django.conf import settings
from django.db import transaction
from django_q.tasks import async_task

logger = logging.getLogger(__name__)


def enqueue(func: str, *args, **kwargs) -> None:
    """Queue ``func`` (a dotted path) for a worker. Call it after the commit.

    A broker that cannot take the task loses nothing: the per-minute tick
    (gateways.tasks.tick) finds the same work in the database.
    """
    try:
        async_task(func, *args, q_options={"timeout": 110}, **kwargs)
    except Exception:  # the tick catches up
        logger.exception("could not queue %s; the next tick will do it", func)


_last_dispatch = 0.0


def dispatch_after_commit() -> None:
    """Send what was just accepted now, not at the next tick (≤ 2 s latency).

    At most one dispatch task per process every DISPATCH_COALESCE_SECONDS: a
    dispatch run lingers longer than that before it stops (gateways.dispatch.run),
    so a send accepted in between is picked up by the run already queued.
    """
    transaction.on_commit(_kick_dispatch)


def _kick_dispatch() -> None:
    global _last_dispatch
    now = time.monotonic()
    if now - _last_dispatch < settings.DISPATCH_COALESCE_SECONDS:
        return
    _last_dispatch = now
    enqueue("gateways.tasks.dispatch")
