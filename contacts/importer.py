"""Import into the address book from CSV and XLSX: a preview, then an import that accounts
for every row.

Reading is streamed: a CSV is decoded as it is read (its charset and delimiter detected
on a sample of its start), an XLSX is read by openpyxl in read-only mode, values only.
The rows are checked in Python (number normalised as ``messaging.numbers`` does for a
recipient, lengths, e-mail) and written in chunks, all in one transaction: on PostgreSQL
one ``INSERT … ON CONFLICT … DO UPDATE … RETURNING`` a chunk (its twin, for SQLite, is
the ORM in ``_write_orm``), then the chunk's group membership in one statement.

Every data row lands in exactly one count of the report: imported, updated, duplicate
(its number came earlier in the same file), unchanged (already in the book, and the import
asked not to update), invalid, or empty (a row with no value at all).
"""

import csv
import io
import itertools
import unicodedata
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from messaging import numbers, pg

from .models import CUSTOM_FIELDS, Contact, ContactGroup

NUMBER = "number"
# What a column may be mapped to; "" (IGNORED) leaves it out.
TARGETS = (NUMBER, "first_name", "last_name", "email", "note", *CUSTOM_FIELDS)
IGNORED = ""
VALUE_FIELDS = TARGETS[1:]
CHARSETS = ("utf-8-sig", "utf-8", "windows-1250", "iso-8859-2")
DELIMITERS = (";", ",", "\t")
SAMPLE_BYTES = 256 * 1024
CHUNK = 5000
# The report lists this many problem rows; the counts keep the rest.
MAX_LISTED = 1000
# What a file may hold, so that reading it cannot take a web process's memory or time:
# the columns of a row (the mapping form has a field for each), the characters of a cell
# (a contact's longest field is 1,000; a longer value is reported invalid, not read
# whole) and what an Excel file unpacks to (a zip of repeated text packs a thousandfold).
MAX_COLUMNS = 50
MAX_CELL_CHARS = 2000
MAX_XLSX_UNPACKED_BYTES = 50 * 1024 * 1024

# Header spellings (lower case, without diacritics, only letters and digits kept) → target.
HEADERS = {
    **dict.fromkeys(
        (
            "numer", "nr", "nrtel", "nrtelefonu", "numertelefonu", "telefon", "tel", "komorka",
            "telkom", "telefonkomorkowy", "nrkomorki", "gsm", "msisdn", "phone", "phonenumber",
            "number", "mobile", "mobilephone", "mobilenumber", "cell", "cellphone",
        ),
        NUMBER,
    ),
    **dict.fromkeys(("imie", "firstname", "first", "givenname"), "first_name"),
    **dict.fromkeys(("nazwisko", "lastname", "last", "surname", "familyname"), "last_name"),
    **dict.fromkeys(("email", "mail", "adresemail", "emailaddress", "adresmailowy"), "email"),
    **dict.fromkeys(("uwagi", "uwaga", "notatka", "notatki", "opis", "note", "notes"), "note"),
    **{f"pole{i}": f"field{i}" for i in range(1, 6)},
    **{f"field{i}": f"field{i}" for i in range(1, 6)},
}  # fmt: skip

_email = EmailValidator()


class ImportFileError(Exception):
    """A file the import cannot read at all, or a mapping it cannot use; ``str`` is for the
    customer, in their language."""


# -- the report -------------------------------------------------------------------------

REASONS = {
    "empty-number": _("no number"),
    "not-mobile": _("not a Polish mobile number: %(value)s"),
    "too-long": _("%(field)s is longer than %(limit)s characters"),
    "email": _("malformed e-mail address: %(value)s"),
    "duplicate": _("the same number as row %(row)s"),
}


@dataclass(frozen=True)
class Problem:
    """A row left out: its number as the spreadsheet shows it (header included) and why."""

    row: int
    reason: str  # a key of REASONS
    params: tuple[tuple[str, str | int], ...] = ()

    @property
    def message(self) -> str:
        """Why, in the active language."""
        return str(REASONS[self.reason]) % dict(self.params)


@dataclass
class ImportReport:
    """What became of every data row: the six counts sum to ``rows``."""

    rows: int = 0
    imported: int = 0
    updated: int = 0
    unchanged: int = 0  # already in the book, left as it was (update_existing=False)
    duplicates: int = 0
    invalid: int = 0
    empty: int = 0
    # The first MAX_LISTED invalid and duplicate rows, in file order.
    problems: list[Problem] = field(default_factory=list)

    @property
    def problems_total(self) -> int:
        return self.invalid + self.duplicates

    @property
    def problems_cut(self) -> bool:
        return self.problems_total > len(self.problems)

    def _leave_out(self, problem: Problem) -> None:
        if problem.reason == "duplicate":
            self.duplicates += 1
        else:
            self.invalid += 1
        if len(self.problems) < MAX_LISTED:
            self.problems.append(problem)


# -- reading ----------------------------------------------------------------------------


@dataclass
class Preview:
    kind: str  # "csv" or "xlsx"
    charset: str | None  # CSV only
    delimiter: str | None  # CSV only
    header: bool  # whether the first row names the columns
    rows: list[list[str]]  # the first rows, the header's included
    mapping: list[str]  # per column: a target or IGNORED


def _is_xlsx(file: IO[bytes]) -> bool:
    file.seek(0)
    start = file.read(4)
    file.seek(0)
    return start == b"PK\x03\x04"


def detect_charset(sample: bytes) -> str:
    """The charset of a CSV's start: UTF-8 (with or without its BOM), else whichever of
    the two Polish 8-bit charsets spells more Polish letters (Excel's windows-1250 when
    equal)."""
    if sample.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        # A sample may end inside a character: valid up to its last 3 bytes is UTF-8.
        if exc.start >= len(sample) - 3 and exc.reason == "unexpected end of data":
            return "utf-8"
    # 0x80-0x9F are C1 controls in ISO-8859-2, and windows-1250 spells ś, ź, Ś, Ź, Š… there.
    if any(0x80 <= byte <= 0x9F for byte in sample):
        return "windows-1250"
    polish = set("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ")

    def score(charset: str) -> int:
        return sum(ch in polish for ch in sample.decode(charset, errors="replace"))

    return "iso-8859-2" if score("iso-8859-2") > score("windows-1250") else "windows-1250"


def detect_delimiter(text: str) -> str:
    """The one of ``;`` ``,`` tab that splits the sample's lines into the same number of
    columns most often (more columns breaking a tie; ``;`` first, as Polish Excel writes)."""
    lines = text.splitlines()[:50]
    if len(lines) > 1 and not text.endswith(("\n", "\r")):
        lines = lines[:-1]  # the sample may end mid-line
    best, best_key = ";", (0, 0)
    for delimiter in DELIMITERS:
        try:
            widths = [len(row) for row in csv.reader(lines, delimiter=delimiter) if row]
        except csv.Error:  # a field longer than the csv module reads: not this delimiter
            continue
        if not widths:
            continue
        common = max(set(widths), key=lambda w: (widths.count(w), w))
        key = (widths.count(common), common) if common > 1 else (0, 0)
        if key > best_key:
            best, best_key = delimiter, key
    return best


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a number typed into a cell: 600100200, not 600100200.0
    elif hasattr(value, "isoformat"):
        value = value.isoformat()
    return _trimmed(str(value))


def _trimmed(value: str) -> str:
    return value[: MAX_CELL_CHARS * 2].replace("\x00", "").strip()[:MAX_CELL_CHARS]


def _row(values) -> list[str]:
    """A row's first MAX_COLUMNS cells (``preview`` refuses a wider file)."""
    return list(itertools.islice(values, MAX_COLUMNS + 1))


def _sheet_row(values: tuple) -> list[str]:
    """A sheet's row as ``_row`` cuts it: empty cells past MAX_COLUMNS (a sheet's rows
    are as wide as its widest) do not make the file too wide."""
    cells = [_cell(value) for value in values]
    while len(cells) > MAX_COLUMNS and not cells[-1]:
        cells.pop()
    return cells[: MAX_COLUMNS + 1]


def _check_unpacked_size(file: IO[bytes]) -> None:
    """Refuse an Excel file that unpacks to more than MAX_XLSX_UNPACKED_BYTES."""
    try:
        with zipfile.ZipFile(file) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImportFileError(gettext("The Excel file cannot be read.")) from exc
    finally:
        file.seek(0)
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise ImportFileError(
            gettext(
                "The Excel file holds more than %(mb)d MB of data: save it as CSV, or split it."
            )
            % {"mb": MAX_XLSX_UNPACKED_BYTES // (1024 * 1024)}
        )


@dataclass
class _Source:
    kind: str
    charset: str | None
    delimiter: str | None
    rows: Iterator[list[str]]
    close: object


def _open(file: IO[bytes]) -> _Source:
    """The rows of ``file`` as lists of trimmed strings, read as they are iterated."""
    file = getattr(file, "file", file)  # an UploadedFile: its underlying file
    if _is_xlsx(file):
        import openpyxl  # a second of import time, for Excel files only

        _check_unpacked_size(file)
        try:
            book = openpyxl.load_workbook(file, read_only=True, data_only=True)
        except Exception as exc:  # a corrupt zip or workbook, whichever layer finds it
            raise ImportFileError(gettext("The Excel file cannot be read.")) from exc
        sheet = book.active
        rows = (_sheet_row(row) for row in sheet.iter_rows(values_only=True))
        return _Source("xlsx", None, None, rows, book.close)
    file.seek(0)
    sample = file.read(SAMPLE_BYTES)
    file.seek(0)
    charset = detect_charset(sample)
    delimiter = detect_delimiter(sample.decode(charset, errors="replace"))
    # The 8-bit charsets leave no byte unreadable (windows-1250's five unused ones become
    # U+FFFD); a UTF-8 file invalid past the sample is refused as a whole.
    errors = "strict" if charset.startswith("utf-8") else "replace"
    text = io.TextIOWrapper(file, encoding=charset, errors=errors, newline="")

    def rows():
        try:
            for row in csv.reader(text, delimiter=delimiter):
                yield [_trimmed(value) for value in _row(row)]
        except UnicodeDecodeError as exc:
            raise ImportFileError(
                gettext("The file is not in one character set (UTF-8 in part only).")
            ) from exc
        except csv.Error as exc:
            raise ImportFileError(gettext("The file is not a CSV file.")) from exc

    return _Source("csv", charset, delimiter, rows(), text.detach)


def _simplified(header: str) -> str:
    decomposed = unicodedata.normalize("NFKD", header.lower().replace("ł", "l"))
    return "".join(ch for ch in decomposed if ch.isascii() and ch.isalnum())


def guess_mapping(
    rows: Sequence[Sequence[str]], header: bool, field_names: dict[str, str] | None = None
) -> list[str]:
    """A target per column: by the header's names (Polish or English, or the customer's
    custom field names), else the column whose values are most often numbers is the
    number."""
    width = max((len(row) for row in rows), default=0)
    mapping = [IGNORED] * width
    known = dict(HEADERS)
    for target, name in (field_names or {}).items():
        known[_simplified(name)] = target
    if header and rows:
        for index, name in enumerate(rows[0]):
            target = known.get(_simplified(name))
            if target and target not in mapping:
                mapping[index] = target
    if NUMBER not in mapping and width:
        data = rows[1:] if header else rows
        hits = [
            sum(1 for row in data if i < len(row) and numbers.normalise_msisdn(row[i]))
            for i in range(width)
        ]
        best = max(range(width), key=lambda i: hits[i])
        if hits[best] and mapping[best] == IGNORED:
            mapping[best] = NUMBER
    return mapping


def _has_header(rows: Sequence[Sequence[str]]) -> bool:
    """Whether the first row names columns: one of its cells is a known column name, or
    none of them looks like a number (five digits or more: a mistyped number is a data
    row) while the next row has a number."""
    if not rows:
        return False
    if any(_simplified(value) in HEADERS for value in rows[0]):
        return True
    if any(sum(ch.isdigit() for ch in value) >= 5 for value in rows[0]):
        return False
    return len(rows) > 1 and any(numbers.normalise_msisdn(value) for value in rows[1])


def preview(file: IO[bytes], rows: int = 5, *, field_names: dict[str, str] | None = None):
    """What the file looks like to the import: its kind, charset, delimiter, whether its
    first row is a header, its first ``rows`` data rows (after the header) and a guessed
    mapping. ``field_names`` are the customer's custom field names (ContactFields.names)."""
    source = _open(file)
    try:
        first = []
        for row in source.rows:
            first.append(row)
            if len(first) > rows:
                break
    finally:
        source.close()
    if any(len(row) > MAX_COLUMNS for row in first):
        raise ImportFileError(
            gettext("The file has more than %(n)d columns: keep only the ones to import.")
            % {"n": MAX_COLUMNS}
        )
    header = _has_header(first)
    first = first[: rows + 1] if header else first[:rows]
    mapping = guess_mapping(first, header, field_names)
    return Preview(source.kind, source.charset, source.delimiter, header, first, mapping)


# -- importing --------------------------------------------------------------------------


def check_mapping(mapping: Sequence[str]) -> None:
    targets = [target for target in mapping if target != IGNORED]
    if unknown := set(targets) - set(TARGETS):
        raise ValueError(f"unknown targets {sorted(unknown)}")
    if NUMBER not in targets:
        raise ImportFileError(gettext("Choose the column with the phone number."))
    if len(set(targets)) < len(targets):
        raise ImportFileError(gettext("Each kind of data may come from one column only."))


_LIMITS = {name: Contact._meta.get_field(name).max_length for name in VALUE_FIELDS}


def _check_row(values: dict[str, str], row: int) -> Problem | None:
    raw = values[NUMBER]
    if not raw:
        return Problem(row, "empty-number")
    number = numbers.normalise_msisdn(raw)
    if number is None:
        return Problem(row, "not-mobile", (("value", raw[:40]),))
    values[NUMBER] = number
    for name, value in values.items():
        if name != NUMBER and len(value) > _LIMITS[name]:
            label = str(Contact._meta.get_field(name).verbose_name)
            return Problem(row, "too-long", (("field", label), ("limit", _LIMITS[name])))
    if values.get("email"):
        try:
            _email(values["email"])
        except ValidationError:
            return Problem(row, "email", (("value", values["email"][:60]),))
    return None


def import_contacts(
    customer,
    file: IO[bytes],
    mapping: Sequence[str],
    *,
    group: ContactGroup | None = None,
    update_existing: bool = True,
    header: bool | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import ``file`` into ``customer``'s address book, every column as ``mapping`` says
    (a target per column, IGNORED to leave it out), and every contact of the file into
    ``group`` when given. A number already in the book updates that contact's mapped
    fields (when ``update_existing``; else it is left as it was, counted unchanged, and
    still joins ``group``). ``header`` None: guessed as the preview guesses it.
    ``progress`` is called with the rows read so far after each chunk is written. All or
    nothing: one transaction."""
    check_mapping(mapping)
    if group is not None and group.customer_id != customer.pk:
        raise ValueError("the group belongs to another customer")
    columns = [(index, target) for index, target in enumerate(mapping) if target != IGNORED]
    mapped = [target for _, target in columns if target != NUMBER]
    report = ImportReport()
    seen: dict[str, int] = {}  # number → the row it first came in
    source = _open(file)
    try:
        rows = enumerate(source.rows, 1)
        if header is None:
            ahead = [next(rows, None), next(rows, None)]
            header = _has_header([row for _, row in filter(None, ahead)])
            rows = _chain(ahead, rows)
        if header:
            next(rows, None)
        with transaction.atomic():
            chunk: list[dict[str, str]] = []
            for line, row in rows:
                report.rows += 1
                if not any(row):
                    report.empty += 1
                    continue
                values = {t: (row[i] if i < len(row) else "") for i, t in columns}
                problem = _check_row(values, line)
                if problem is None and values[NUMBER] in seen:
                    problem = Problem(line, "duplicate", (("row", seen[values[NUMBER]]),))
                if problem is not None:
                    report._leave_out(problem)
                    continue
                seen[values[NUMBER]] = line
                chunk.append(values)
                if len(chunk) == CHUNK:
                    _write_chunk(customer, chunk, mapped, group, update_existing, report)
                    chunk = []
                    if progress is not None:
                        progress(report.rows)
            if chunk:
                _write_chunk(customer, chunk, mapped, group, update_existing, report)
    finally:
        source.close()
    return report


def _chain(ahead, rest):
    yield from filter(None, ahead)
    yield from rest


def _write_chunk(customer, chunk, mapped, group, update_existing, report) -> None:
    if pg.in_use():
        ids, inserted = _write_pg(customer.pk, chunk, mapped, update_existing)
    else:
        ids, inserted = _write_orm(customer, chunk, mapped, update_existing)
    report.imported += inserted
    if update_existing and mapped:
        report.updated += len(chunk) - inserted
    else:
        report.unchanged += len(chunk) - inserted
    if group is not None:
        _join_group(group, ids)


def _write_pg(customer_id: int, chunk, mapped, update_existing) -> tuple[list[int], int]:
    """One upsert of the chunk; ``xmax = 0`` tells a row inserted from one updated.
    Twin: _write_orm."""
    now = timezone.now()
    selected = ", ".join(f"t.{name}" if name in mapped else "''" for name in VALUE_FIELDS)
    arrays = ", ".join(f"%({name})s::text[]" for name in [NUMBER, *mapped])
    if update_existing and mapped:
        changes = ", ".join(f"{name} = EXCLUDED.{name}" for name in mapped)
        changes += ", updated_at = EXCLUDED.updated_at"
    else:
        # A no-op update, so that RETURNING names the existing row too (its group).
        changes = "number = EXCLUDED.number"
    sql = f"""
        INSERT INTO contacts_contact
               (customer_id, number, {", ".join(VALUE_FIELDS)}, created_at, updated_at)
        SELECT %(customer)s, t.number, {selected}, %(now)s, %(now)s
          FROM unnest({arrays}) AS t(number{"".join(", " + name for name in mapped)})
        ON CONFLICT (customer_id, number) DO UPDATE SET {changes}
        RETURNING id, (xmax = 0)
    """  # noqa: S608 - only the model's own column names are written in
    params = {"customer": customer_id, "now": now}
    for name in [NUMBER, *mapped]:
        params[name] = pg.texts([values[name] for values in chunk])
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        returned = cursor.fetchall()
    return [id_ for id_, _ in returned], sum(1 for _, inserted in returned if inserted)


def _write_orm(customer, chunk, mapped, update_existing) -> tuple[list[int], int]:
    """The ORM twin of _write_pg, for SQLite."""
    now = timezone.now()
    existing = {
        contact.number: contact
        for contact in Contact.objects.filter(
            customer=customer, number__in=[values[NUMBER] for values in chunk]
        )
    }
    new, changed = [], []
    for values in chunk:
        contact = existing.get(values[NUMBER])
        if contact is None:
            new.append(Contact(customer=customer, created_at=now, updated_at=now, **values))
        elif update_existing and mapped:
            for name in mapped:
                setattr(contact, name, values[name])
            contact.updated_at = now
            changed.append(contact)
    Contact.objects.bulk_create(new)
    if changed:
        Contact.objects.bulk_update(changed, [*mapped, "updated_at"])
    return [c.pk for c in existing.values()] + [c.pk for c in new], len(new)


def _join_group(group: ContactGroup, ids: list[int]) -> None:
    """The chunk's contacts into ``group``; those already in it stay once."""
    through = Contact.groups.through
    if pg.in_use():
        table = through._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (contact_id, contactgroup_id)"
                " SELECT unnest(%(ids)s::bigint[]), %(group)s"
                " ON CONFLICT (contact_id, contactgroup_id) DO NOTHING",
                {"ids": pg.ints(ids), "group": group.pk},
            )
    else:  # the twin
        through.objects.bulk_create(
            [through(contact_id=id_, contactgroup_id=group.pk) for id_ in ids],
            ignore_conflicts=True,
        )
