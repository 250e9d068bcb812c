"""Quiet hours' window (accounts.sending_window): when a send may leave, in Europe/Warsaw,
across both daylight-saving changes; and a service's window as the pipeline reads it
(accounts.quiet_hours)."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from accounts import quiet_hours
from accounts.models import AuditAction, AuditEntry, QuietHours
from accounts.sending_window import (
    WARSAW,
    NeverOpens,
    Span,
    Window,
    in_window,
    next_opening,
)
from tests.accounts.test_audit import change_form_data
from tests.conftest import examples

# 2026: the clocks go forward on 29 March (02:00 CET → 03:00 CEST, at 01:00 UTC) and
# back on 25 October (03:00 CEST → 02:00 CET, at 01:00 UTC). Both are Sundays.
SPRING = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
AUTUMN = datetime(2026, 10, 25, 1, 0, tzinfo=UTC)


def at(*args) -> datetime:
    """A Warsaw wall-clock time (fold 0: the first of a repeated hour)."""
    return datetime(*args, tzinfo=WARSAW)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def span(start: str, end: str) -> Span:
    return Span(time.fromisoformat(start), time.fromisoformat(end))


def sundays_only(start: str, end: str) -> Window:
    return Window((None,) * 6 + (span(start, end),))


# Mon–Fri 08:00–20:00, Sat 10:00–16:00, Sun none: the brief's example.
SHOP = Window((span("08:00", "20:00"),) * 5 + (span("10:00", "16:00"), None))


# -- an ordinary week ------------------------------------------------------------------


def test_a_moment_inside_the_window_is_its_own_opening():
    moment = at(2026, 12, 7, 12, 0)  # Monday noon
    assert in_window(SHOP, moment)
    assert next_opening(SHOP, moment) is moment


def test_the_start_is_inside_and_the_end_is_not():
    assert in_window(SHOP, at(2026, 12, 7, 8, 0))
    assert not in_window(SHOP, at(2026, 12, 7, 20, 0))
    assert next_opening(SHOP, at(2026, 12, 7, 20, 0)) == at(2026, 12, 8, 8, 0)


def test_before_the_day_opens_the_send_waits_for_that_morning():
    assert next_opening(SHOP, at(2026, 12, 7, 6, 15)) == at(2026, 12, 7, 8, 0)


def test_friday_evening_waits_for_saturdays_own_hours():
    assert next_opening(SHOP, at(2026, 12, 11, 21, 0)) == at(2026, 12, 12, 10, 0)


def test_a_day_with_no_hours_is_skipped():
    # Saturday after 16:00: Sunday has no sending, Monday opens at 08:00.
    assert next_opening(SHOP, at(2026, 12, 12, 16, 30)) == at(2026, 12, 14, 8, 0)


def test_the_opening_is_given_in_utc():
    # Two Warsaw times compare by their wall clocks, whatever their fold: in UTC the
    # second 02:15 of October is later than the first.
    opening = next_opening(SHOP, at(2026, 12, 7, 21, 0))
    assert opening.tzinfo is UTC
    assert opening == utc(2026, 12, 8, 7, 0)


def test_a_window_with_no_hours_never_opens():
    with pytest.raises(NeverOpens):
        next_opening(Window((None,) * 7), at(2026, 12, 7, 12, 0))


def test_a_naive_moment_is_refused():
    with pytest.raises(ValueError):
        next_opening(SHOP, datetime(2026, 12, 7, 12, 0))


@pytest.mark.parametrize(("start", "end"), [("08:00", "08:00"), ("20:00", "08:00")])
def test_a_span_ends_after_it_starts(start, end):
    with pytest.raises(ValueError):
        span(start, end)


# -- the last Sunday of March: 02:00 → 03:00 ------------------------------------------


def test_spring_the_change_is_where_the_test_says():
    assert (SPRING - timedelta(seconds=1)).astimezone(WARSAW).hour == 1
    assert SPRING.astimezone(WARSAW).hour == 3


def test_spring_a_send_accepted_at_0130_waits_for_the_morning_in_summer_time():
    moment = at(2026, 3, 29, 1, 30)  # CET, half an hour before the change
    opening = next_opening(sundays_only("08:00", "20:00"), moment)
    assert opening == at(2026, 3, 29, 8, 0)
    assert opening.astimezone(WARSAW).utcoffset() == timedelta(hours=2)
    # Five and a half hours later, not six and a half: the night is an hour shorter.
    assert opening - moment == timedelta(hours=5, minutes=30)


def test_spring_a_window_opening_in_the_skipped_hour_opens_at_0300():
    moment = at(2026, 3, 29, 1, 30)
    opening = next_opening(sundays_only("02:30", "04:00"), moment)
    assert opening == SPRING  # 03:00 CEST, the first wall time at or after 02:30
    assert opening.astimezone(WARSAW).time() == time(3, 0)
    assert opening - moment == timedelta(minutes=30)


def test_spring_a_window_opening_exactly_at_0300_opens_at_the_change():
    assert next_opening(sundays_only("03:00", "04:00"), at(2026, 3, 29, 1, 30)) == SPRING


def test_spring_a_window_inside_the_skipped_hour_does_not_open_that_day():
    # 02:00–02:45 never happens on 29 March: the next Sunday's is the opening.
    opening = next_opening(sundays_only("02:00", "02:45"), at(2026, 3, 29, 1, 30))
    assert opening == at(2026, 4, 5, 2, 0)


def test_spring_a_window_ending_in_the_skipped_hour_closes_at_the_change():
    window = sundays_only("00:00", "02:30")
    assert in_window(window, SPRING - timedelta(seconds=1))  # 01:59:59 CET
    assert not in_window(window, SPRING)  # 03:00 CEST
    assert next_opening(window, SPRING) == at(2026, 4, 5, 0, 0)


def test_spring_a_window_across_the_change_stays_open_through_it():
    window = sundays_only("01:00", "05:00")
    moment = at(2026, 3, 29, 1, 30)
    assert next_opening(window, moment) is moment
    assert in_window(window, SPRING)


# -- the last Sunday of October: 03:00 → 02:00 ----------------------------------------


def test_autumn_the_change_is_where_the_test_says():
    assert (AUTUMN - timedelta(seconds=1)).astimezone(WARSAW).time() == time(2, 59, 59)
    assert AUTUMN.astimezone(WARSAW).time() == time(2, 0)


def test_autumn_a_send_accepted_at_0130_waits_for_the_morning_in_winter_time():
    moment = at(2026, 10, 25, 1, 30)  # CEST
    opening = next_opening(sundays_only("08:00", "20:00"), moment)
    assert opening == at(2026, 10, 25, 8, 0)
    assert opening.astimezone(WARSAW).utcoffset() == timedelta(hours=1)
    # Seven and a half hours later, not six and a half: the night is an hour longer.
    assert opening - moment == timedelta(hours=7, minutes=30)


def test_autumn_a_window_in_the_repeated_hour_is_open_in_both_of_its_occurrences():
    window = sundays_only("02:00", "02:30")
    first, second = utc(2026, 10, 25, 0, 15), utc(2026, 10, 25, 1, 15)
    assert first.astimezone(WARSAW).time() == second.astimezone(WARSAW).time() == time(2, 15)
    assert in_window(window, first)
    assert in_window(window, second)
    assert not in_window(window, utc(2026, 10, 25, 0, 45))  # 02:45 CEST


def test_autumn_after_the_first_occurrence_the_send_waits_for_the_second():
    # 02:45 CEST, past the first 02:00–02:30: the clock comes back to 02:00 at 01:00 UTC.
    opening = next_opening(sundays_only("02:00", "02:30"), utc(2026, 10, 25, 0, 45))
    assert opening == AUTUMN
    assert opening.astimezone(WARSAW).utcoffset() == timedelta(hours=1)


def test_autumn_a_send_before_the_repeated_hour_opens_at_its_first_occurrence():
    opening = next_opening(sundays_only("02:30", "03:30"), at(2026, 10, 25, 1, 30))
    assert opening == utc(2026, 10, 25, 0, 30)  # 02:30 CEST, the first one


def test_autumn_a_window_opening_at_0300_opens_once_the_repeated_hour_is_over():
    # At 01:00 UTC the clock reads 02:00 again, not 03:00: the opening is 03:00 CET.
    opening = next_opening(sundays_only("03:00", "05:00"), utc(2026, 10, 25, 0, 30))
    assert opening == utc(2026, 10, 25, 2, 0)


def test_autumn_a_window_ending_at_0300_is_open_until_the_second_0300():
    window = sundays_only("01:00", "03:00")
    assert in_window(window, AUTUMN - timedelta(seconds=1))  # 02:59:59 CEST
    assert in_window(window, AUTUMN)  # 02:00 CET
    assert in_window(window, utc(2026, 10, 25, 1, 59))  # 02:59 CET
    assert not in_window(window, utc(2026, 10, 25, 2, 0))  # 03:00 CET


# -- any window, any moment (Hypothesis) ---------------------------------------------

minutes = st.integers(0, 24 * 60 - 1).map(lambda m: time(m // 60, m % 60))


@st.composite
def spans(draw):
    start, end = sorted(draw(st.lists(minutes, min_size=2, max_size=2, unique=True)))
    return Span(start, end)


windows = (
    st.lists(st.none() | spans(), min_size=7, max_size=7)
    .filter(lambda days: any(days))
    .map(lambda days: Window(tuple(days)))
)

# Any moment in four years, and moments near each change of offset, where mistakes live.
CHANGES = [SPRING, AUTUMN, utc(2027, 3, 28, 1), utc(2027, 10, 31, 1)]
moments = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
) | st.builds(
    lambda change, seconds: change + timedelta(seconds=seconds),
    st.sampled_from(CHANGES),
    st.integers(-2 * 86400, 2 * 86400),
)


@settings(max_examples=examples(500), deadline=None)
@given(window=windows, moment=moments)
def test_the_opening_is_the_first_instant_inside_the_window_from_the_moment(window, moment):
    opening = next_opening(window, moment)
    assert opening >= moment
    assert in_window(window, opening)
    if in_window(window, moment):
        assert opening == moment
        return
    # Nothing inside the window between the moment and the opening. Spans start and end
    # on whole minutes and Warsaw's offsets are whole hours, so every stretch inside the
    # window begins on a whole UTC minute: checking those is checking every instant.
    probe = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
    while probe < opening:
        assert not in_window(window, probe), (probe, opening)
        probe += timedelta(minutes=1)


@settings(max_examples=examples(300), deadline=None)
@given(window=windows, moment=moments)
def test_in_window_reads_the_wall_clock_of_the_day(window, moment):
    local = moment.astimezone(WARSAW)
    day = window.days[local.weekday()]
    expected = day is not None and day.start <= local.time() < day.end
    assert in_window(window, moment) is expected


# -- the model and the pipeline's read of it ----------------------------------------


def hours(**times) -> QuietHours:
    return QuietHours(enabled=True, **{k: time.fromisoformat(v) for k, v in times.items()})


def messages_of(error: ValidationError) -> dict:
    return {field: [str(m) for m in found] for field, found in error.message_dict.items()}


def test_a_day_needs_both_times_or_neither():
    with pytest.raises(ValidationError) as refused:
        hours(monday_from="08:00").clean()
    assert messages_of(refused.value) == {
        "monday_until": ["Monday: give both times, or leave both empty for no sending that day."]
    }


def test_a_day_ends_after_it_starts():
    with pytest.raises(ValidationError) as refused:
        hours(tuesday_from="20:00", tuesday_until="08:00").clean()
    assert messages_of(refused.value) == {
        "tuesday_until": ["Tuesday: the end must be later than the start."]
    }


def test_quiet_hours_on_need_hours_on_some_day():
    with pytest.raises(ValidationError) as refused:
        QuietHours(enabled=True).clean()
    assert refused.value.messages == [
        "Give sending hours for at least one day, or switch quiet hours off."
    ]
    QuietHours(enabled=False).clean()  # off: nothing to check


def test_the_models_window_is_the_days_times():
    window = hours(friday_from="08:00", friday_until="20:00").window()
    assert window.days[4] == span("08:00", "20:00")
    assert [day for n, day in enumerate(window.days) if n != 4] == [None] * 6


@pytest.mark.django_db
def test_a_saved_change_is_read_at_once_in_this_process(service):
    assert quiet_hours.window_of(service.pk) is None  # now cached: no quiet hours
    row = QuietHours.objects.create(
        service=service, enabled=True, monday_from=time(8), monday_until=time(9)
    )
    assert quiet_hours.window_of(service.pk) == row.window()
    row.enabled = False
    row.save()
    assert quiet_hours.window_of(service.pk) is None


@pytest.mark.django_db
def test_the_window_is_read_once_while_cached(service, django_assert_num_queries):
    QuietHours.objects.create(
        service=service, enabled=True, monday_from=time(8), monday_until=time(9)
    )
    with django_assert_num_queries(1):
        quiet_hours.window_of(service.pk)
        quiet_hours.window_of(service.pk)


# -- admin ----------------------------------------------------------------------------


def test_staff_set_quiet_hours_on_the_services_page_and_it_is_recorded(
    admin_client, admin_user, service
):
    url = reverse("admin:accounts_service_change", args=[service.pk])
    data = change_form_data(admin_client, url)
    data.update(
        {
            "quiet_hours-0-enabled": "on",
            "quiet_hours-0-monday_from": "08:00",
            "quiet_hours-0-monday_until": "20:00",
        }
    )
    response = admin_client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:3000]
    assert quiet_hours.window_of(service.pk).days[0] == span("08:00", "20:00")
    entry = AuditEntry.objects.get(object_type="accounts.quiethours")
    assert (entry.action, entry.actor_id, entry.service_id) == (
        AuditAction.SERVICE_CHANGED,
        admin_user.pk,
        service.pk,
    )
    assert entry.changes == {
        "enabled": [None, True],
        "monday_from": [None, "08:00"],
        "monday_until": [None, "20:00"],
    }


def test_admin_refuses_an_end_before_the_start(admin_client, service):
    url = reverse("admin:accounts_service_change", args=[service.pk])
    data = change_form_data(admin_client, url)
    data.update({"quiet_hours-0-sunday_from": "20:00", "quiet_hours-0-sunday_until": "08:00"})
    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert "Sunday: the end must be later than the start." in response.content.decode()
    assert not QuietHours.objects.exists()
