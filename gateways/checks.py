"""System checks of the gateways app (``manage.py check``; also run by migrate and runserver)."""

from django.core import checks
from django.db import DatabaseError

from lib.taskqueue import name_errors


@checks.register()
def routes_have_gateways(app_configs=None, **kwargs):
    """Warn for each route no enabled gateway serves: its messages would wait for ever."""
    from .health import HOW_TO_FIX, ROUTE_SENDERS, routes_without_gateway

    try:
        missing = routes_without_gateway()
    except DatabaseError:  # not migrated yet, or no database: nothing to say about gateways
        return []
    return [
        checks.Warning(
            f"No enabled gateway serves the {route} route ({ROUTE_SENDERS[route]}): "
            "they are accepted and charged but stay PENDING until one does.",
            hint=HOW_TO_FIX,
            obj=f"route {route}",
            id="gateways.W001",
        )
        for route in missing
    ]


@checks.register()
def task_names_resolve(app_configs=None, **kwargs):
    """Fail when a task the dispatcher queues by name no longer exists (a rename)."""
    from .dispatch import POLL_TASK

    return name_errors({POLL_TASK: "gateways.dispatch.POLL_TASK"}, "gateways.E001")
