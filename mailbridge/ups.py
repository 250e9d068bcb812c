"""UPS shipment notifications (seed 000 §5.1): pure, no database.

UPS's Quantum View "Ship Notification" mail, in English or Polish, text or HTML
(reduced to text by ``mime.html_to_text``), is read line by line: a label, an
optional colon, the value on the same line or, when the line ends at the label
(an HTML layout with the value in the next row), on the next non-empty line.

========================  ==========================================
field                     labels (any case; Polish with or without diacritics)
========================  ==========================================
tracking number           Tracking Number, Tracking Number(s), Numer przesyłki,
                          Numer śledzenia, Numer monitorowania, Nr przesyłki
number of packages        Number of Packages, Package Count, Liczba paczek,
                          Liczba przesyłek
weight                    Weight, Shipment Weight, Total Weight, Waga,
                          Waga przesyłki, Waga całkowita
cash on delivery          COD Amount, C.O.D. Amount, COD, Collect on Delivery,
                          Kwota pobrania, Pobranie, Kwota COD
========================  ==========================================

Decisions:

- A notification has all of a tracking number (``1Z`` and 16 letters or digits,
  spaces between groups allowed and dropped, upper-cased), a number of packages
  and a weight with its unit; without any of them ``parse_notification`` gives
  None and no SMS goes out, rather than one with a gap in it.
- The first value of each field wins: a multi-package shipment lists the lead
  package's number first, and "Billed Weight" is not the "Weight" label.
- The weight and its unit are kept as UPS wrote them ("12.5 KGS", "12,5 kg"): the
  recipient reads what the label on the parcel says.
- The COD amount is kept as UPS wrote the number (a decimal comma or dot, spaces
  between thousands), its currency taken apart: "150.00 PLN", "PLN 150.00" and
  "150,00 zł" all give amount "150.00"/"150,00" and currency PLN, so the SMS line
  is the seed's ``Kwota pobrania 150.00 PLN``, never "PLN PLN". A COD in another
  currency names that currency instead of PLN, rather than misstating it. An amount
  without a currency is PLN. A zero amount, or "No"/"Nie"/"Brak", is no COD. A COD
  label whose value is no amount makes the mail unreadable (None): dropping the
  line would tell the recipient there is nothing to pay.
"""

import re
from dataclasses import dataclass

_NEWLINE = re.compile(r"\r\n|\r|\n")
# Leading bullets, asterisks and table rules before a label.
_LEAD = r"[\s*•·\-–|>]*"


def _labelled(labels: str) -> re.Pattern:
    # The label ends where a word does: "Code:" is not "COD" with "e:" after it.
    return re.compile(rf"{_LEAD}(?:{labels})(?![^\W\d_])\s*[:：]?\s*(.*)", re.IGNORECASE)


_TRACKING_LABEL = _labelled(
    r"tracking\s+numbers?(?:\s*\(s\))?|numer\s+przesy[łl]ki(?:\s+ups)?|numer\s+[śs]ledzenia"
    r"|numer\s+monitorowania(?:\s+przesy[łl]ki)?|nr\s+przesy[łl]ki"
)
_PACKAGES_LABEL = _labelled(
    r"number\s+of\s+packages|package\s+count|liczba\s+paczek|liczba\s+przesy[łl]ek"
)
_WEIGHT_LABEL = _labelled(
    r"(?:shipment\s+|total\s+)?weight|waga(?:\s+przesy[łl]ki|\s+ca[łl]kowita)?"
)
_COD_LABEL = _labelled(
    r"c\.?o\.?d\.?(?:\s+amount)?|collect\s+on\s+delivery(?:\s+amount)?"
    r"|kwota\s+pobrania|pobranie|kwota\s+cod"
)

_TRACKING = re.compile(r"1Z(?:[ \xa0]?[0-9A-Z]){16}(?![0-9A-Z])", re.IGNORECASE)
_PACKAGES = re.compile(r"([0-9]{1,4})(?![0-9]|[.,][0-9])")
_WEIGHT = re.compile(
    r"([0-9]{1,6}(?:[.,][0-9]{1,3})?)[ \xa0]*(kgs|kg|lbs|lb)\.?(?![a-z])", re.IGNORECASE
)
_CURRENCY = r"PLN|zł|zl|EUR|USD|GBP|CZK|[A-Z]{3}"
_AMOUNT = re.compile(
    rf"(?:({_CURRENCY})[ \xa0]*)?([0-9]{{1,3}}(?:[ \xa0.,]?[0-9]{{3}})*(?:[.,][0-9]{{1,2}})?"
    rf"|[0-9]+(?:[.,][0-9]{{1,2}})?)(?![0-9])(?:[ \xa0]*({_CURRENCY})\.?)?(?![A-Za-z])",
    re.IGNORECASE,
)
_NO_COD = re.compile(r"(?:no|none|nie|brak|n/a|-)\.?", re.IGNORECASE)
_ZLOTY = frozenset({"pln", "zł", "zl"})
# A Quantum View mail runs to a few hundred lines; no more are read.
_MAX_LINES = 2000
_MAX_LINE = 500


@dataclass(frozen=True)
class Shipment:
    tracking: str
    packages: int
    weight: str  # as UPS wrote it: "12.5", "12,5"
    unit: str  # as UPS wrote it: "KGS", "kg", "LBS"
    cod_amount: str | None = None  # as UPS wrote the number, without its currency
    cod_currency: str = "PLN"


def parse_notification(text: str) -> Shipment | None:
    """The shipment a UPS notification tells of, or None when ``text`` is not one."""
    lines = [line.strip()[:_MAX_LINE] for line in _NEWLINE.split(text or "")[:_MAX_LINES]]
    tracking = _first(lines, _TRACKING_LABEL, _tracking)
    packages = _first(lines, _PACKAGES_LABEL, _packages)
    weight = _first(lines, _WEIGHT_LABEL, _weight)
    if tracking is None or packages is None or weight is None:
        return None
    cod = _first(lines, _COD_LABEL, _cod)
    if cod is _UNREADABLE:
        return None
    amount, currency = cod if cod is not None and cod is not _NONE else (None, "PLN")
    return Shipment(tracking, packages, weight[0], weight[1], amount, currency)


def sms_text(shipment: Shipment) -> str:
    """The SMS of seed 000 §5.1.1.1."""
    lines = [
        f"Towar wysłany. Nr UPS {shipment.tracking}. Liczba paczek {shipment.packages}. "
        f"Waga {shipment.weight} {shipment.unit}."
    ]
    if shipment.cod_amount is not None:
        lines.append(f"Kwota pobrania {shipment.cod_amount} {shipment.cod_currency}")
    lines.append("Sprawdź szczegóły na www.ups.com.")
    return "\n".join(lines)


# What a field reader gives besides a value: the label says "no COD", or it is unreadable.
_NONE = object()
_UNREADABLE = object()


def _first(lines: list[str], label: re.Pattern, read):
    """The value of the first line with ``label`` that ``read`` makes sense of."""
    found = None
    for index, line in enumerate(lines):
        match = label.fullmatch(line)
        if match is None:
            continue
        value = match[1].strip()
        below = not value
        if below:
            value = next((later for later in lines[index + 1 : index + 4] if later), "")
        result = read(value)
        if result is _UNREADABLE:
            # A label alone on its line with something else below is no value at all.
            found = found or (None if below else result)
            continue
        if result is not None:
            return result
    return found


def _tracking(value: str) -> str | None:
    match = _TRACKING.match(value)
    return match[0].replace(" ", "").replace("\xa0", "").upper() if match else None


def _packages(value: str) -> int | None:
    match = _PACKAGES.match(value)
    return int(match[1]) if match and int(match[1]) > 0 else None


def _weight(value: str) -> tuple[str, str] | None:
    match = _WEIGHT.match(value)
    return (match[1], match[2]) if match else None


def _cod(value: str):
    if not value or _NO_COD.fullmatch(value):
        return _NONE
    match = _AMOUNT.match(value)
    if match is None:
        return _UNREADABLE
    before, after = _currency(match[1]), _currency(match[3])
    if before and after and before != after:
        return _UNREADABLE
    amount = match[2].replace("\xa0", " ")
    if not amount.strip("0., "):
        return _NONE
    return amount, before or after or "PLN"


def _currency(written: str | None) -> str | None:
    if not written:
        return None
    return "PLN" if written.lower() in _ZLOTY else written.upper()
