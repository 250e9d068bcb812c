"""System checks of the messaging app (``manage.py check``; also run by migrate,
runserver and qcluster)."""

from django.core import checks

from lib.taskqueue import name_errors


@checks.register()
def task_names_resolve(app_configs=None, **kwargs):
    """Fail when a task messaging queues by name no longer exists (a rename)."""
    from .callbacks import DELIVER_TASK
    from .services import DISPATCH_TASK

    names = {
        DISPATCH_TASK: "messaging.services.DISPATCH_TASK",
        DELIVER_TASK: "messaging.callbacks.DELIVER_TASK",
    }
    return name_errors(names, "messaging.E001")
