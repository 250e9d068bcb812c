"""System checks of the messaging app (``manage.py check``; also run by migrate,
runserver and qcluster)."""

from django.core import checks

from lib.taskqueue import unresolved


@checks.register()
def task_names_resolve(app_configs=None, **kwargs):
    """Fail when a task messaging queues by name no longer exists (a rename)."""
    from .callbacks import DELIVER_TASK
    from .services import DISPATCH_TASK

    names = {
        DISPATCH_TASK: "messaging.services.DISPATCH_TASK",
        DELIVER_TASK: "messaging.callbacks.DELIVER_TASK",
    }
    return [
        checks.Error(
            f"{names[name]} names {name!r}, which cannot be queued: {reason}.",
            hint="Point it at the django-q2 task it stands for.",
            obj=names[name],
            id="messaging.E001",
        )
        for name, reason in unresolved(names).items()
    ]
