"""When a service with quiet hours may send: its window, and the window's next opening.

Pure (no database, no settings): ``accounts.quiet_hours`` reads a service's window
and the send pipeline asks ``next_opening`` when a message may leave.

A window gives each weekday (Monday first) no hours at all or one span of wall-clock
times, ``start`` ≤ time < ``end``, in Europe/Warsaw. The span is read on the wall
clock of that day, whatever the offset: on the last Sunday of March, when 02:00
becomes 03:00, a span starting in the skipped hour opens at 03:00 (if it is still
open then), and one lying wholly inside it does not open that day; on the last
Sunday of October, when 03:00 becomes 02:00 again, a span holding a time of the
repeated hour is open in both of its occurrences.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

WARSAW = ZoneInfo("Europe/Warsaw")
DAYS_IN_WEEK = 7
# Far enough to meet every weekday twice: a span swallowed by the skipped hour
# of March opens on the same weekday a week later.
SEARCH_DAYS = 2 * DAYS_IN_WEEK + 1


class NeverOpens(ValueError):
    """A window with no hours on any day has no next opening."""


@dataclass(frozen=True)
class Span:
    """The hours of one day: from ``start`` up to, not including, ``end``."""

    start: time
    end: time

    def __post_init__(self):
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("a span's times are wall-clock times, without a zone")
        if not self.start < self.end:
            raise ValueError("a span ends after it starts")

    def holds(self, moment: time) -> bool:
        return self.start <= moment < self.end


@dataclass(frozen=True)
class Window:
    """Seven days' spans, Monday first; ``None`` for a day with no sending."""

    days: tuple[Span | None, ...]
    zone: ZoneInfo = field(default=WARSAW)

    def __post_init__(self):
        if len(self.days) != DAYS_IN_WEEK:
            raise ValueError("a window has seven days")

    @property
    def never_opens(self) -> bool:
        return all(span is None for span in self.days)


def in_window(window: Window, moment: datetime) -> bool:
    """Whether ``moment`` (an aware datetime) falls inside ``window``."""
    local = _aware(moment).astimezone(window.zone)
    span = window.days[local.weekday()]
    return span is not None and span.holds(local.time())


def next_opening(window: Window, moment: datetime) -> datetime:
    """The first instant at or after ``moment`` inside ``window``: ``moment`` itself
    when it is inside, otherwise the opening of the next span, in UTC (Python compares
    and subtracts two times of one zone by their wall clocks, which the repeated hour
    of October makes wrong). Raises ``NeverOpens`` for a window with no hours."""
    moment = _aware(moment)
    if in_window(window, moment):
        return moment
    if window.never_opens:
        raise NeverOpens("the window has no hours on any day")
    first_day = moment.astimezone(window.zone).date()
    # Where being outside the window can turn into being inside it: the wall clock
    # reaching a span's start (either occurrence of a repeated time), or jumping at a
    # change of offset. The earliest such instant inside the window is the opening;
    # days are looked at in order, each one's instants all earlier than the next's.
    for offset in range(SEARCH_DAYS):
        day = first_day + timedelta(days=offset)
        found = [
            candidate
            for candidate in _turning_points(window, day)
            if candidate > moment
            and candidate.astimezone(window.zone).date() == day
            and in_window(window, candidate)
        ]
        if found:
            return min(found)
    raise NeverOpens("no opening found")  # pragma: no cover - SEARCH_DAYS meets every day


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("an aware datetime is needed")
    return moment


def _turning_points(window: Window, day: date) -> list[datetime]:
    span = window.days[day.weekday()]
    if span is None:
        return []
    points = [
        datetime.combine(day, span.start, tzinfo=window.zone).replace(fold=fold).astimezone(UTC)
        for fold in (0, 1)
    ]
    change = _offset_change(day, window.zone)
    if change is not None:
        points.append(change)
    return points


@lru_cache(maxsize=1024)  # a few years of days: the same ones are asked on every send
def _offset_change(day: date, zone: ZoneInfo) -> datetime | None:
    """The instant on ``day`` when ``zone``'s offset changes, if it does (to the second)."""
    start = datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone).astimezone(UTC)
    before = start.astimezone(zone).utcoffset()
    if end.astimezone(zone).utcoffset() == before:
        return None
    low, high = 0, int((end - start).total_seconds())
    while low < high:  # the first second with the new offset
        middle = (low + high) // 2
        if (start + timedelta(seconds=middle)).astimezone(zone).utcoffset() == before:
            low = middle + 1
        else:
            high = middle
    return start + timedelta(seconds=low)
