"""Recipient numbers (SPEC §3): Polish mobiles only, stored as E.164 digits ``48XXXXXXXXX``.

Pure: no database. The mobile-prefix pattern comes from phonenumbers' metadata,
compiled once; each number then costs a translate and one regex match, so a
100,000-line file is normalised without calling a full parser per number.
"""

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import NamedTuple

from phonenumbers import PhoneMetadata

COUNTRY_CODE = "48"
_MOBILE = re.compile(PhoneMetadata.metadata_for_region("PL").mobile.national_number_pattern)
# seed 001 §4a/b: "+", spaces, dashes, dots and parentheses are stripped.
_SEPARATORS = str.maketrans("", "", "+ \t-.()")
_NON_DIGITS = re.compile(r"[^0-9]")
# Poland's mobile country code and its networks' codes (ITU E.212), by the names
# phonenumbers gives the operators.
MCC = "260"
MNC = {"Plus": "01", "T-Mobile": "02", "Orange": "03", "Play": "06"}


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


class Dropped(NamedTuple):
    """An entry ``normalise_many`` leaves out, as typed (trimmed), and why."""

    entry: str
    reason: str  # NOT_MOBILE or DUPLICATE


NOT_MOBILE = "not-mobile"  # not a Polish mobile number in any usual spelling
DUPLICATE = "duplicate"  # the same number as an entry before it: sent once


def dropped_entries(raws: Iterable[str], *, digits_only: bool = False) -> list[Dropped]:
    """The entries ``normalise_many`` leaves out, in the order typed, each with why.

    Read by the same rules, so the numbers kept are exactly ``normalise_many``'s;
    it does the work again and keeps every entry, which is why the panel's counter
    calls it and the send itself does not.
    """
    seen: set[str] = set()
    dropped = []
    for raw in raws:
        if not raw.strip():
            continue
        number = normalise_msisdn(raw, digits_only=digits_only)
        if number is None:
            dropped.append(Dropped(raw.strip(), NOT_MOBILE))
        elif number in seen:
            dropped.append(Dropped(raw.strip(), DUPLICATE))
        else:
            seen.add(number)
    return dropped


def spellings(msisdn: str) -> set[str]:
    """The ways a stored ``48XXXXXXXXX`` may be written as a sender name."""
    return {msisdn, msisdn[2:], "+" + msisdn}


class Network(NamedTuple):
    """Where a number belongs, as SMSC's status.php ``all=2`` names it (seed 003)."""

    mccmnc: str  # "" for an operator without a code above
    country: str
    operator: str
    region: str


@lru_cache(maxsize=4096)
def network_of(msisdn: str) -> Network:
    """The network of a stored ``48XXXXXXXXX``, from phonenumbers' prefix data: the
    operator the prefix was given to (porting is not known)."""
    # Imported on first use: geocoder's data takes about a second to load, and
    # most processes never ask.
    import phonenumbers
    from phonenumbers import carrier, geocoder

    parsed = phonenumbers.parse("+" + msisdn)
    operator = carrier.name_for_number(parsed, "en")
    mnc = MNC.get(operator, "")
    country = geocoder.country_name_for_number(parsed, "en")
    return Network(MCC + mnc if mnc else "", country, operator, country)


# What an archived number keeps (messaging.retention): a leading "+", the country
# code's two digits and the last three; the rest is starred.
_MASKABLE = re.compile(r"(\+?)([0-9*]{8,})")


def mask(number: str) -> str:
    """``48******123`` for ``48600100123``: the number as archived (RODO). A value that is
    not a phone number (an alphanumeric sender) is starred whole, its length kept. The
    same for an already masked number, so masking twice changes nothing."""
    found = _MASKABLE.fullmatch(number)
    if found is None:
        return "*" * len(number)
    plus, digits = found.groups()
    return plus + digits[:2] + "*" * (len(digits) - 5) + digits[-3:]
