"""System checks of the mail bridge (``manage.py check``; also run by migrate,
runserver and qcluster)."""

from django.core import checks

from lib.taskqueue import name_errors


@checks.register()
def task_names_resolve(app_configs=None, **kwargs):
    """Fail when the task the bridge queues by name no longer exists (a rename)."""
    from . import outbound, replies, reports

    names = {
        replies.SEND_TASK: "mailbridge.replies.SEND_TASK",
        outbound.SEND_TASK: "mailbridge.outbound.SEND_TASK",
        reports.WRITE_TASK: "mailbridge.reports.WRITE_TASK",
    }
    return name_errors(names, "mailbridge.E001")
