"""lib.unixtime: the latest Unix time read from the wire is a datetime in every zone."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from lib.unixtime import LATEST_UNIX_TIME


def test_it_is_the_start_of_9999_12_30_utc():
    assert datetime.fromtimestamp(LATEST_UNIX_TIME, tz=UTC) == datetime(9999, 12, 30, tzinfo=UTC)


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Etc/GMT+12", "Europe/Warsaw"])
def test_any_time_zone_can_show_it(zone):
    shown = datetime.fromtimestamp(LATEST_UNIX_TIME, tz=ZoneInfo(zone))

    assert shown.year == 9999
