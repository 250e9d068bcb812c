"""django-q2 tasks: thin wrappers around gateways.dispatch and messaging's functions."""

import time
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from messaging import delivery
from messaging.tasks import deliver_callbacks

from . import dispatch as dispatcher
from .models import Gateway

TICK_BUDGET = 55.0  # the tick runs every minute


def dispatch() -> int:
    """Queued on every accepted send (coalesced): send what is due now."""
    return dispatcher.run()


def poll(gateway_id: int, not_before: float | None = None) -> int:
    """Fetch one gateway's reports, once they are due (a few seconds at most)."""
    if not_before:
        time.sleep(max(0.0, min(not_before - time.time(), dispatcher.POLL_TASK_MAX_DELAY)))
    gateway = Gateway.objects.filter(pk=gateway_id, enabled=True).first()
    return dispatcher.poll_gateway(gateway) if gateway else 0


def tick() -> dict:
    """Every minute: catch up on everything, then send scheduled messages on their second.

    Releases held recipients whose service may send again, expires recipients
    no report came for in QUEUED_EXPIRY_HOURS, dispatches what is
    due (claims whose worker died included), polls gateways, retries
    callbacks; then, until the next tick, waits for each scheduled send time
    that falls in this minute.
    """
    started = time.monotonic()
    done = {
        "released": delivery.release_held(),
        "expired": len(delivery.expire_queued(timedelta(hours=settings.QUEUED_EXPIRY_HOURS))),
        "dispatched": dispatcher.run(budget=20, linger=0),
        "polled": dispatcher.poll_gateways(),
        "callbacks": deliver_callbacks(budget=15),
    }
    while (remaining := TICK_BUDGET - (time.monotonic() - started)) > 1:
        now = timezone.now()
        upcoming = delivery.next_scheduled(now, now + timedelta(seconds=remaining))
        if upcoming is None:
            break
        time.sleep(min(max(0.0, (upcoming - timezone.now()).total_seconds()), remaining))
        done["dispatched"] += dispatcher.run(budget=5, linger=0)
    return done
