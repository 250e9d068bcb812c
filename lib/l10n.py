"""Money and moments as the reader's language writes them: the one helper every page,
form, message and the send form's live counter use.

Polish: ``1 234,56 zł`` and ``07.12.2026 05:37``; English: ``1,234.56 PLN`` and
``7 Dec 2026, 05:37``. Separators come from Django's locale formats, the date
formats from smspanel/formats (FORMAT_MODULE_PATH). Balances show two decimals;
prices per SMS and ledger amounts four, as they are kept (accounts.models.MONEY).
"""

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.utils import formats, timezone
from django.utils.translation import pgettext


def number(value, places: int = 2) -> str:
    """``value`` rounded half up to ``places`` decimals, with the language's decimal
    mark and thousands grouping."""
    # number_format cuts surplus decimals off; rounding first keeps 9.995 → 10,00.
    exact = Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if exact == 0:
        exact = abs(exact)  # never "-0,00"
    return formats.number_format(exact, places, use_l10n=True, force_grouping=True)


def currency() -> str:
    """The złoty as the reader's language names it: "zł" in Polish, "PLN" in English."""
    return pgettext("currency", "PLN")


def money(value, places: int = 2) -> str:
    """``1 234,56 zł`` / ``1,234.56 PLN``; ``places=4`` for prices per SMS."""
    return f"{number(value, places)} {currency()}"


def moment(value: date | None, *, seconds: bool = False) -> str:
    """A moment in the platform's time zone: ``07.12.2026 05:37`` / ``7 Dec 2026, 05:37``,
    with seconds where two events a second apart must read apart; a day alone
    (a ``date``) as ``07.12.2026`` / ``7 Dec 2026``; "" for None."""
    if value is None:
        return ""
    if not isinstance(value, datetime):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.date_format(value, "DATETIME_FORMAT" if seconds else "SHORT_DATETIME_FORMAT")


def day_and_month(value: date) -> str:
    """A day in a short form, under a chart's axis: ``07.12`` / ``7 Dec``."""
    return formats.date_format(value, "MONTH_DAY_FORMAT")
