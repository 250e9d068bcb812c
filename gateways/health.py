"""Routes that no enabled gateway serves: never silent.

A recipient on such a route waits PENDING (it is not lost: it goes out as soon
as a gateway serves the route), so an operator must hear of it wherever they
look: ``manage.py check`` (gateways.checks), the admin index, the worker's log
(gateways.dispatch) and ``manage.py stuck_work``.
"""

from dataclasses import dataclass

from django.db.models import Count, Q

from accounts.models import Route
from messaging.models import Recipient, Status

from .models import Gateway

# Routes a gateway serves; own-gateway recipients go through their GSM port.
SERVED_ROUTES = (Route.STANDARD, Route.PREMIUM)
_FLAG = {Route.STANDARD: "serves_standard", Route.PREMIUM: "serves_premium"}

# For operators' logs and checks (English, like the rest of the logs).
ROUTE_SENDERS = {
    Route.STANDARD: "messages with an empty sender",
    Route.PREMIUM: "messages with a sender ID",
}
HOW_TO_FIX = (
    "Enable a gateway for it in admin › Gateways (for a demo or development: "
    "manage.py seed_simulator)."
)


@dataclass(frozen=True)
class Waiting:
    route: str
    recipients: int
    messages: int


def routes_without_gateway() -> list[str]:
    """The served routes that no enabled gateway serves, in SERVED_ROUTES order."""
    served = Gateway.objects.filter(enabled=True).aggregate(
        **{route: Count("id", filter=Q(**{flag: True})) for route, flag in _FLAG.items()}
    )
    return [route for route in SERVED_ROUTES if not served[route]]


def waiting_for_gateway(routes: list[str] | None = None) -> list[Waiting]:
    """For each route without a gateway, the PENDING recipients that wait for one."""
    routes = routes_without_gateway() if routes is None else routes
    if not routes:
        return []
    rows = (
        Recipient.objects.filter(status=Status.PENDING, message__route__in=routes)
        .values("message__route")
        .annotate(recipients=Count("id"), messages=Count("message", distinct=True))
    )
    counts = {row["message__route"]: row for row in rows}
    return [
        Waiting(
            route,
            counts.get(route, {}).get("recipients", 0),
            counts.get(route, {}).get("messages", 0),
        )
        for route in routes
    ]
