"""System checks of the messaging app (``manage.py check``; also run by migrate,
runserver and qcluster)."""

from django.core import checks
from django.utils.module_loading import import_string


@checks.register()
def task_names_resolve(app_configs=None, **kwargs):
    """Fail when a task messaging queues by name no longer exists (a rename upstairs)."""
    from .services import DISPATCH_TASK

    try:
        task = import_string(DISPATCH_TASK)
    except ImportError as exc:
        task, reason = None, str(exc)
    else:
        reason = "it is not callable"
    if callable(task):
        return []
    return [
        checks.Error(
            f"messaging.services.DISPATCH_TASK names {DISPATCH_TASK!r}, which cannot be "
            f"queued: {reason}.",
            hint="Point DISPATCH_TASK at the dispatcher's django-q2 task.",
            obj="messaging.services.DISPATCH_TASK",
            id="messaging.E001",
        )
    ]
