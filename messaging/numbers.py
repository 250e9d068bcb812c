"""Recipient numbers (SPEC §3): Polish mobiles only, stored as E.164 digits ``48XXXXXXXXX``.

Pure: no database. The mobile-prefix pattern comes from phonenumbers' metadata,
compiled once; each number then costs a translate and one regex match, so a
100,000-line file is normalised without calling a full parser per number.
"""

import re
from collections.abc import Iterable

from phonenumbers import PhoneMetadata

COUNTRY_CODE = "48"
_MOBILE = re.compile(PhoneMetadata.metadata_for_region("PL").mobile.national_number_pattern)
# seed 001 §4a/b: "+", spaces, dashes, dots and parentheses are stripped.
_SEPARATORS = str.maketrans("", "", "+ \t-.()")
_NON_DIGITS = re.compile(r"[^0-9]")


def normalise_msisdn(raw: str, *, digits_only: bool = False) -> str | None:
    """``48XXXXXXXXX`` for a Polish mobile number in any usual spelling, else None.

    With ``digits_only`` every non-digit is dropped first (``to_file`` lines).
    """
    if digits_only:
        digits = _NON_DIGITS.sub("", raw)
    else:
        digits = raw.strip().translate(_SEPARATORS)
        if not (digits.isascii() and digits.isdigit()):
            return None
    if digits.startswith("00"):
        digits = digits[2:]
    if len(digits) == 11 and digits.startswith(COUNTRY_CODE):
        national = digits[2:]
    elif len(digits) == 10 and digits[0] == "0":
        national = digits[1:]  # trunk prefix
    elif len(digits) == 9:
        national = digits
    else:
        return None
    return COUNTRY_CODE + national if _MOBILE.fullmatch(national) else None


def normalise_many(raws: Iterable[str], *, digits_only: bool = False) -> tuple[list[str], int]:
    """Valid numbers in first-seen order without repeats, and how many were dropped.

    Blank entries are skipped without counting as dropped.
    """
    seen: dict[str, None] = {}
    dropped = 0
    for raw in raws:
        if not raw.strip():
            continue
        number = normalise_msisdn(raw, digits_only=digits_only)
        if number is None:
            dropped += 1
        else:
            seen[number] = None
    return list(seen), dropped


def spellings(msisdn: str) -> set[str]:
    """The ways a stored ``48XXXXXXXXX`` may be written as a sender name."""
    return {msisdn, msisdn[2:], "+" + msisdn}
