"""django-q2 tasks of the mail bridge: thin wrappers around its functions."""

from . import replies


def send_replies() -> int:
    """Send the answers to refused mail that are due (queued on each refusal, and every minute)."""
    return replies.send_due()
