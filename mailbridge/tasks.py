"""django-q2 tasks of the mail bridge: thin wrappers around its functions."""

from lib.taskqueue import drain

from . import log, outbound, replies, reports


def send_replies() -> int:
    """Send the answers to refused mail that are due (queued on each refusal)."""
    return replies.send_due()


def send_outbound() -> int:
    """Send the platform's other mail that is due (kicked as each is queued), staying for
    what is queued meanwhile."""
    return drain(outbound.send_due, outbound.SEND_TASK)


def write_reports() -> int:
    """Write the delivery reports that are due (kicked when outcomes of mailed SMS come),
    staying for the outcomes that come meanwhile."""
    return drain(reports.write_due, reports.WRITE_TASK)


def minute() -> dict:
    """Every minute (migration 0002): replies a lost task left behind or retries, and the
    log's upkeep (the same as ``manage.py purge_sms2email_log``)."""
    mails, md5s = log.purge()
    return {
        "replies": replies.send_due(),
        "reports": reports.write_due(),
        "outbound": outbound.send_due(),
        "purged_mails": mails,
        "purged_md5": md5s,
    }
