"""Hand due recipients to gateways: claim in batches, route, send, record.

Never lost, never sent twice:
- a batch is claimed (SKIP LOCKED) with a lease before anything is sent; a
  worker killed at any point leaves its claim to lapse, and the recipients are
  claimed again;
- drivers send idempotently by instance id, so a recipient sent just before
  the kill is not sent again when it is claimed again;
- the acceptance (QUEUED, with the gateway) is recorded before the driver is
  asked for reports; a report that still comes first wins, because only
  PENDING rows become QUEUED.
"""

import logging
import time
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from accounts.models import Route
from lib import taskqueue
from lib.taskqueue import enqueue
from messaging import services, transitions
from messaging.models import Status
from messaging.transitions import Claimed, Report

from . import health
from .drivers import GatewayUnavailable, Outgoing, driver_for
from .models import Gateway, GatewayPort

logger = logging.getLogger(__name__)

# Poll a driver from a queued task when its reports are due this soon; later
# ones wait for the tick.
POLL_TASK_MAX_DELAY = 5.0
# gateways.tasks imports this module, so its tasks are named, not imported;
# the system check gateways.E001 fails if a name stops resolving.
POLL_TASK = "gateways.tasks.poll"


def lease() -> timedelta:
    return timedelta(seconds=settings.DISPATCH_LEASE_SECONDS)


def dispatch_batch(limit: int | None = None, now=None) -> int:
    """Claim one batch of due recipients and hand it to the gateways. Returns the batch size."""
    claimed = transitions.claim_due(limit or settings.DISPATCH_BATCH_SIZE, lease(), now)
    if not claimed:
        return 0
    count = len(claimed)
    claimed = [c for c in claimed if not c.stopped]  # on a STOP list: cancelled, refunded
    if not claimed:
        return count
    held = transitions.services_on_hold({c.service_id for c in claimed})
    if held:
        transitions.hold([c.recipient_id for c in claimed if c.service_id in held])
        claimed = [c for c in claimed if c.service_id not in held]
    plan, unroutable, no_gateway = route(claimed)
    if unroutable:
        # The sender's GSM port is gone or disabled: it will not come back by waiting.
        transitions.apply_reports([Report(rid, Status.REMOTE_ERROR) for rid in unroutable])
    for route_name, ids in no_gateway.items():
        warn_no_gateway(route_name, len(ids))
        transitions.release_claims(ids, claimed[0].until, retry_in(60))
    for gateway, items in plan.items():
        send(gateway, items, claimed[0].until)
    return count


def route(claimed: list[Claimed]):
    """Which gateway takes each recipient (SPEC §7).

    Own GSM alias → its device's port; a sender ID → the premium route; no
    sender → the standard route. Returns (gateway → items, ids that cannot be
    routed, route → ids waiting for a gateway).
    """
    by_route = {}
    for gateway in Gateway.objects.filter(enabled=True).order_by("priority", "id"):
        if gateway.serves_standard:
            by_route.setdefault(Route.STANDARD, gateway)
        if gateway.serves_premium:
            by_route.setdefault(Route.PREMIUM, gateway)
    aliases = {c.sender for c in claimed if c.route == Route.OWN_GATEWAY}
    ports = {
        p.alias: p
        for p in GatewayPort.objects.filter(
            alias__in=aliases, enabled=True, gateway__enabled=True
        ).select_related("gateway")
    }
    plan = defaultdict(list)
    unroutable, no_gateway = [], defaultdict(list)
    for c in claimed:
        port = ""
        if c.route == Route.OWN_GATEWAY:
            found = ports.get(c.sender)
            if found is None or found.service_id != c.service_id:
                unroutable.append(c.recipient_id)
                continue
            gateway, port = found.gateway, found.port
        else:
            gateway = by_route.get(c.route)
            if gateway is None:
                no_gateway[c.route].append(c.recipient_id)
                continue
        plan[gateway].append(
            Outgoing(
                c.recipient_id, c.number, c.text, c.sender, c.flash, c.parts, port, c.reclaimed
            )
        )
    return plan, unroutable, no_gateway


# When each route's "no gateway" was last logged: once a minute per route and
# process, however many batches find it (not a line per recipient).
NO_GATEWAY_LOG_SECONDS = 60.0
_no_gateway_logged: dict[str, float] = {}


def warn_no_gateway(route_name: str, count: int) -> bool:
    """Log that ``count`` due recipients wait for a gateway on a route; True when logged."""
    now = time.monotonic()
    last = _no_gateway_logged.get(route_name)
    if last is not None and now - last < NO_GATEWAY_LOG_SECONDS:
        return False
    _no_gateway_logged[route_name] = now
    logger.warning(
        "no enabled gateway serves the %s route (%s): %d due recipient(s) wait, retried "
        "every minute. %s",
        route_name,
        health.ROUTE_SENDERS.get(route_name, route_name),
        count,
        health.HOW_TO_FIX,
    )
    return True


def retry_in(seconds: float):
    return timezone.now() + timedelta(seconds=seconds)


def send(gateway: Gateway, items: list[Outgoing], until) -> None:
    """Hand ``items`` to one gateway under a claim renewed for it.

    A batch may go to several gateways one after another; each gets a full
    lease from the moment it starts (drivers stop within half of it), and
    only recipients this worker still owns go out.
    """
    renewed = timezone.now() + lease()
    owned = set(transitions.renew_claims([i.recipient_id for i in items], until, renewed))
    items = [item for item in items if item.recipient_id in owned]
    if not items:
        return
    driver = driver_for(gateway)
    ids = [item.recipient_id for item in items]
    try:
        outcomes = driver.send(items)
    except GatewayUnavailable as exc:
        logger.warning("gateway %s unavailable (%s); %d recipients wait", gateway, exc, len(ids))
        transitions.release_claims(ids, renewed, retry_in(30))
        return
    except Exception:
        # Unknown how far it got: keep a short claim, so that they come back as
        # possibly sent (reclaimed) and cannot be cancelled and refunded meanwhile.
        logger.exception("gateway %s failed; %d recipients wait", gateway, len(ids))
        transitions.renew_claims(ids, renewed, retry_in(30))
        return
    # Record every acceptance before anything can report on it.
    transitions.mark_queued(
        gateway.pk,
        [
            (o.recipient_id, o.ref)
            for o in outcomes
            if o.status in (Status.QUEUED, Status.DELIVERED)
        ],
    )
    finals = [Report(o.recipient_id, o.status, o.at) for o in outcomes if o.status != Status.QUEUED]
    if finals:
        transitions.apply_reports(finals)
    answered = {o.recipient_id for o in outcomes}
    unanswered = [rid for rid in ids if rid not in answered]
    if unanswered:
        # The driver stopped part-way: the one it stopped at may have gone out.
        transitions.renew_claims(unanswered, renewed, retry_in(30))
    follow_up(gateway, driver, [o.recipient_id for o in outcomes if o.status == Status.QUEUED])


def follow_up(gateway: Gateway, driver, sent: list[int]) -> None:
    """Ask for reports when they are due: now, from a short task, or at the tick."""
    if driver.poll_after is None or not sent:
        return
    if driver.poll_after <= 0:
        driver.poll(sent)
    elif driver.poll_after <= POLL_TASK_MAX_DELAY:
        enqueue(POLL_TASK, gateway.pk, not_before=time.time() + driver.poll_after)


def run(budget: float = 50.0, linger: float | None = None) -> int:
    """Dispatch until nothing is due; then stay a moment for sends accepted meanwhile
    (``taskqueue.drain``, as many loops at once as the cluster has workers).

    A batch costs a dozen statements whatever its size: after one that was not full,
    the loop waits ``DISPATCH_GATHER_SECONDS`` for more sends to gather rather than
    dispatch a stream of single sends one by one (the first send after a quiet spell
    does not wait). After a full one (a bulk send) it queues one helper, so that
    another worker takes batches beside it.

    A worker asked to stop (lib.shutdown) stops between batches, when it holds no
    claim, and hands the rest over in a new task.
    """
    helped = False

    def pause(count: int) -> float:
        nonlocal helped
        if count < settings.DISPATCH_BATCH_SIZE:
            return settings.DISPATCH_GATHER_SECONDS
        if not helped:
            enqueue(services.DISPATCH_TASK)
            helped = True
        return 0

    return taskqueue.drain(
        dispatch_batch,
        services.DISPATCH_TASK,
        budget,
        linger=linger,
        places=settings.Q_CLUSTER["workers"],
        pause=pause,
    )


def poll_gateway(gateway: Gateway, sent: list[int] | None = None) -> int:
    """Apply what one gateway reports now; a gateway that is down is tried at the next tick."""
    try:
        return driver_for(gateway).poll(sent)
    except GatewayUnavailable as exc:
        logger.warning("polling %s failed: %s; the tick tries again", gateway, exc)
        return 0


def poll_gateways() -> int:
    return sum(
        poll_gateway(gateway)
        for gateway in Gateway.objects.filter(enabled=True)
        if driver_for(gateway).poll_after is not None
    )
