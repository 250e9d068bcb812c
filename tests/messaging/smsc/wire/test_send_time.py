"""messaging.smsc.wire.send_time: send.php's ``time`` in each form SMSC reads."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from messaging.smsc import wire
from messaging.smsc.wire import WireError
from tests.conftest import examples

from .samples import WARSAW

NOW = datetime(2026, 6, 15, 10, 30, 15, tzinfo=WARSAW)


@pytest.mark.parametrize(
    ("value", "moment"),
    [
        ("1506261445", datetime(2026, 6, 15, 14, 45, tzinfo=WARSAW)),
        # Ten digits starting with 0 are a date, not "0" and a timestamp.
        ("0112261200", datetime(2026, 12, 1, 12, 0, tzinfo=WARSAW)),
        ("01.12.26 12:00", datetime(2026, 12, 1, 12, 0, tzinfo=WARSAW)),
        ("01.12.2026 12:00", datetime(2026, 12, 1, 12, 0, tzinfo=WARSAW)),
        ("01.12.26 12:00:30", datetime(2026, 12, 1, 12, 0, 30, tzinfo=WARSAW)),
    ],
)
def test_send_time_dates_in_local_time(value, moment):
    result = wire.send_time(value, NOW)
    assert result == moment
    assert result.tzinfo is WARSAW
    assert result.replace(tzinfo=None) == moment.replace(tzinfo=None)


def test_send_time_zero_then_a_timestamp():
    result = wire.send_time("0" + str(1796200000), NOW)
    assert result.timestamp() == 1796200000
    assert result.astimezone(UTC) == datetime(2026, 12, 2, 8, 26, 40, tzinfo=UTC)
    assert result.tzinfo is WARSAW


def test_send_time_plus_minutes():
    assert wire.send_time("+90", NOW) == datetime(2026, 6, 15, 12, 0, 15, tzinfo=WARSAW)


def test_send_time_plus_minutes_are_real_minutes_across_the_dst_change():
    # 25.10.2026: 03:00 CEST becomes 02:00 CET; an hour after 02:30 CEST is 02:30 CET.
    before = datetime(2026, 10, 25, 2, 30, tzinfo=WARSAW)
    assert before.utcoffset() == timedelta(hours=2)
    result = wire.send_time("+60", before)
    assert result.timestamp() - before.timestamp() == 3600
    assert result.utcoffset() == timedelta(hours=1)
    assert result.replace(tzinfo=None) == datetime(2026, 10, 25, 2, 30)


@pytest.mark.parametrize(
    ("value", "moment"),
    [
        ("9-18", None),  # inside the window: now
        ("10-11", None),  # h1 itself is inside
        ("12-18", datetime(2026, 6, 15, 12, 0, tzinfo=WARSAW)),  # before: today at h1
        ("6-9", datetime(2026, 6, 16, 6, 0, tzinfo=WARSAW)),  # after: tomorrow at h1
        ("8-10", datetime(2026, 6, 16, 8, 0, tzinfo=WARSAW)),  # h2 itself is after
        ("0-24", None),
    ],
)
def test_send_time_hours_window(value, moment):
    assert wire.send_time(value, NOW) == moment


@pytest.mark.parametrize("value", [None, "", "  "])
def test_send_time_not_given(value):
    assert wire.send_time(value, NOW) is None


@pytest.mark.parametrize(
    "value", ["tomorrow", "25-26", "9-9", "18-9", "+", "+x", "32.13.26 10:00", "0", "-5"]
)
def test_send_time_refusals_are_error_1(value):
    with pytest.raises(WireError) as refused:
        wire.send_time(value, NOW)
    assert refused.value.code == 1


@pytest.mark.parametrize("value", ["31129923", "1.1.30 1:00", "1.12.26 10:00", "3112261"])
def test_send_time_refuses_short_fields_strptime_would_take(value):
    now = datetime(2026, 12, 1, 12, 0, tzinfo=ZoneInfo("Europe/Warsaw"))
    with pytest.raises(wire.WireError) as refused:
        wire.send_time(value, now)
    assert refused.value.code == 1


# -- any text ------------------------------------------------------------------------------

# Text shaped like the forms SMSC reads, and any text at all.
TIME_LIKE = st.one_of(
    st.text(alphabet="0123456789.: +-", max_size=24),
    st.from_regex(
        r"\A(\d{10}|\d\d\.\d\d\.\d{2,4} \d\d:\d\d(:\d\d)?"
        r"|0\d{1,12}|\+\d{1,8}|\d{1,2}-\d{1,2})\Z"
    ),
    st.text(max_size=40),
)


@settings(max_examples=examples(300))
@given(TIME_LIKE)
def test_any_time_is_a_moment_in_local_time_or_error_1(value):
    try:
        result = wire.send_time(value, NOW)
    except WireError as error:
        assert error.code == 1  # parameters: never a 500
        return
    if result is not None:
        assert result.tzinfo is WARSAW
