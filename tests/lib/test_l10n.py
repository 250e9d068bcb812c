"""lib.l10n: money and moments as each language writes them."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.utils import translation

from lib import l10n

NBSP = "\u00a0"  # Django's Polish thousands separator
WINTER = datetime(2026, 12, 7, 4, 37, 30, tzinfo=UTC)  # 05:37:30 in Warsaw


@pytest.mark.parametrize(
    ("language", "places", "value", "shown"),
    [
        ("pl", 2, "1234.56", f"1{NBSP}234,56 zł"),
        ("en", 2, "1234.56", "1,234.56 PLN"),
        ("pl", 4, "0.07", "0,0700 zł"),
        ("en", 4, "0.07", "0.0700 PLN"),
        ("pl", 2, "-1234567.5", f"-1{NBSP}234{NBSP}567,50 zł"),
        ("en", 2, "9.995", "10.00 PLN"),  # half up, as floatformat rounds
        ("en", 2, "0.0049", "0.00 PLN"),
        ("en", 2, "-0.0049", "0.00 PLN"),  # never "-0.00"
        ("en", 4, "-0.09825", "-0.0983 PLN"),
    ],
)
def test_money(language, places, value, shown):
    with translation.override(language):
        assert l10n.money(Decimal(value), places) == shown


def test_a_number_alone_has_no_currency():
    with translation.override("pl"):
        assert l10n.number(Decimal("1234.5"), 2) == f"1{NBSP}234,50"
    with translation.override("en"):
        assert l10n.number(3, 0) == "3"


@pytest.mark.parametrize(
    ("language", "seconds", "shown"),
    [
        ("pl", False, "07.12.2026 05:37"),
        ("pl", True, "07.12.2026 05:37:30"),
        ("en", False, "7 Dec 2026, 05:37"),
        ("en", True, "7 Dec 2026, 05:37:30"),
    ],
)
def test_a_moment_in_warsaw_time(language, seconds, shown):
    with translation.override(language):
        assert l10n.moment(WINTER, seconds=seconds) == shown


def test_a_day_and_nothing():
    with translation.override("pl"):
        assert l10n.moment(date(2026, 12, 7)) == "07.12.2026"
        assert l10n.moment(None) == ""
    with translation.override("en"):
        assert l10n.moment(date(2026, 12, 7)) == "7 Dec 2026"


def test_a_day_and_month_for_a_charts_axis():
    with translation.override("pl"):
        assert l10n.day_and_month(date(2026, 12, 7)) == "07.12"
    with translation.override("en"):
        assert l10n.day_and_month(date(2026, 12, 7)) == "7 Dec"
