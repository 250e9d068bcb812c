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


@checks.register()
def keyring_not_left_behind(app_configs=None, **kwargs):
    """Fail while the platform key sits in the keyring's old default folder and the
    configured one is empty: starting would make a new key (mailbridge.pgp.left_behind)."""
    from . import pgp

    legacy = pgp.left_behind()
    if legacy is None:
        return []
    return [
        checks.Error(
            f"The platform PGP key is in {legacy}, not in SMS2EMAIL_GNUPG_HOME.",
            hint="Move that folder to var/gnupg, or set SMS2EMAIL_GNUPG_HOME to it.",
            id="mailbridge.E002",
        )
    ]
