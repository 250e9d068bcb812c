"""Quiet hours for tests: a service's window switched on, and a clock that stands still."""

from datetime import datetime, time

from django.utils import timezone

from accounts.models import QuietHours
from accounts.sending_window import WARSAW

# Mon–Fri 08:00–20:00, Sat 10:00–16:00, Sunday no sending.
SHOP_HOURS = {
    **{
        f"{day}_{end}": time.fromisoformat(at)
        for day in ("monday", "tuesday", "wednesday", "thursday", "friday")
        for end, at in (("from", "08:00"), ("until", "20:00"))
    },
    "saturday_from": time(10),
    "saturday_until": time(16),
}


def switch_on(service, **hours) -> QuietHours:
    return QuietHours.objects.create(service=service, enabled=True, **(hours or SHOP_HOURS))


def warsaw(*args) -> datetime:
    return datetime(*args, tzinfo=WARSAW)


# A Monday evening after 20:00, and the Tuesday morning the shop's window opens.
MONDAY_EVENING = warsaw(2026, 12, 7, 21, 30)
TUESDAY_OPENING = warsaw(2026, 12, 8, 8, 0)


def freeze(monkeypatch, moment: datetime) -> None:
    """``timezone.now()`` answers ``moment`` from here on (the pipeline's "now")."""
    monkeypatch.setattr(timezone, "now", lambda: moment)
