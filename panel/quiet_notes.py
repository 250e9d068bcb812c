"""What the send form and its outcome say about quiet hours (README "Quiet hours").

Only ``accounts.quiet_hours.send_time`` (through ``messaging.services``) moves a send
past the time it was due, so a message stored for later than that was held by them.
"""

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import quiet_hours
from lib import l10n
from messaging import services


def _held_until(send_at: datetime | None, requested: datetime | None, now: datetime):
    due = requested if requested is not None and requested > now else now
    return send_at if send_at is not None and send_at > due else None


def send_note(service_id: int) -> str:
    """For the send form as it opens: "" unless a message sent now would wait."""
    now = timezone.now()
    opening = _held_until(quiet_hours.send_time(service_id, now), None, now)
    return _wait_words(opening) if opening else ""


def settings_note(service_id: int) -> str:
    """For the quiet hours page: "" unless a message sent now would wait."""
    now = timezone.now()
    opening = _held_until(quiet_hours.send_time(service_id, now), None, now)
    if not opening:
        return ""
    return _("Outside these hours now: a message sent now waits until %(time)s.") % {
        "time": l10n.moment(opening)
    }


def estimate_note(estimate: services.Estimate, request: services.SendRequest) -> str | None:
    """For the live counter: "" unless the send as typed would wait (``estimate``);
    None when a check refused it, so that nothing is known of its time."""
    if estimate.send_at is None:
        return None
    opening = _held_until(estimate.send_at, request.send_at, timezone.now())
    return _wait_words(opening) if opening else ""


def _wait_words(opening: datetime) -> str:
    return _("Quiet hours: this message will wait until %(time)s. Express SMS leave at once.") % {
        "time": l10n.moment(opening)
    }


def accepted_answer(request: services.SendRequest, accepted: services.Accepted) -> dict:
    """The panel's answer to a send (kept with its send key, so a repeated post reads it)."""
    message = accepted.message
    opening = _held_until(message.send_at, request.send_at, message.created_at)
    answer = {"id": message.pk}
    if opening is not None:
        answer["quiet_until"] = opening.isoformat()
    return answer


def accepted_words(answer: dict) -> str:
    if "quiet_until" in answer:
        opening = datetime.fromisoformat(answer["quiet_until"])
        return _("Message accepted: scheduled for %(time)s (quiet hours).") % {
            "time": l10n.moment(opening)
        }
    return _("Message accepted.")
