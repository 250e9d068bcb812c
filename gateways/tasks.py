"""django-q2 tasks: thin wrappers around gateways.dispatch and messaging's functions."""

import time
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from lib import shutdown
from messaging import transitions
from messaging.tasks import deliver_callbacks

from . import dispatch as dispatcher
from .models import Gateway

TICK_BUDGET = 55.0  # the tick runs every minute


def dispatch() -> int:
    """Queued on every accepted send (coalesced): send what is due now."""
    return dispatcher.run()


def poll(gateway_id: int, not_before: float | None = None) -> int:
    """Fetch one gateway's reports, once they are due (a few seconds at most).

    A worker stopping meanwhile leaves them to the tick.
    """
    if not_before:
        delay = max(0.0, min(not_before - time.time(), dispatcher.POLL_TASK_MAX_DELAY))
        if shutdown.wait(delay):
            return 0
    gateway = Gateway.objects.filter(pk=gateway_id, enabled=True).first()
    return dispatcher.poll_gateway(gateway) if gateway else 0


def tick() -> dict:
    """Every minute: catch up on everything, then send scheduled messages on their second.

    Releases held recipients whose service may send again, expires recipients
    no report came for in QUEUED_EXPIRY_HOURS, dispatches what is
    due (claims whose worker died included), polls gateways, retries
    callbacks; then, until the next tick, waits for each scheduled send time
    that falls in this minute.

    A worker asked to stop (lib.shutdown) skips the steps not begun and
    stops waiting: the next tick, on any worker, does them.
    """
    started = time.monotonic()
    steps = {
        "released": transitions.release_held,
        "expired": lambda: len(
            transitions.expire_queued(timedelta(hours=settings.QUEUED_EXPIRY_HOURS))
        ),
        "dispatched": lambda: dispatcher.run(budget=20, linger=0),
        "polled": dispatcher.poll_gateways,
        "callbacks": lambda: deliver_callbacks(budget=15, linger=0),
    }
    done = dict.fromkeys(steps, 0)
    for name, step in steps.items():
        if shutdown.requested():
            return done
        done[name] = step()
    while (remaining := TICK_BUDGET - (time.monotonic() - started)) > 1:
        now = timezone.now()
        upcoming = transitions.next_scheduled(now, now + timedelta(seconds=remaining))
        if upcoming is None:
            break
        delay = min(max(0.0, (upcoming - timezone.now()).total_seconds()), remaining)
        if shutdown.wait(delay):
            break
        done["dispatched"] += dispatcher.run(budget=5, linger=0)
    return done
