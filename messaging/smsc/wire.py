"""The SMSC wire format: read a request's fields, write answers in fmt 0–3. Pure.

Seeds 003 (status.php) and 004 (senders.php) give the shapes; send.php and
balance.php follow SMSC's own documentation as its client libraries read it.
Every answer is one text, encoded in the request's ``charset`` (windows-1251
unless ``utf-8`` or ``koi8-r`` is asked for). A character the charset lacks
(Polish letters in windows-1251 or koi8-r) is written as ``\\uXXXX`` in JSON
and as a character reference in XML, so fmt 2 and 3 carry any text; fmt 0 and
1 have no escape, and such a character becomes ``?`` there.
"""

import codecs
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape, quoteattr

from django.conf import settings

from lib.unixtime import LATEST_UNIX_TIME

# -- requests ---------------------------------------------------------------------------

CHARSETS = {"windows-1251": "cp1251", "utf-8": "utf-8", "koi8-r": "koi8_r"}
DEFAULT_CHARSET = "windows-1251"
FORMATS = (0, 1, 2, 3)
CONTENT_TYPES = {0: "text/plain", 1: "text/plain", 2: "text/xml", 3: "application/json"}
TRUE = {"1"}


class WireError(Exception):
    """An SMSC error answer: ``code`` and the short description the server prints."""

    def __init__(self, code: int, description: str, *, id: str = ""):
        super().__init__(f"{code} ({description})")
        self.code = code
        self.description = description
        self.id = id  # send.php: the client's id, repeated in the answer


# Error 1: SMSC's answer to a field it cannot read, here and in the endpoints
# (messaging.smsc.codes lists it with the other answers).
PARAMETERS = (1, "parameters error")


def charset_name(value: str | None) -> str:
    """The answer's charset as the client names it; unknown names are an error 1."""
    name = (value or "").strip().lower() or DEFAULT_CHARSET
    aliases = {"utf8": "utf-8", "cp1251": "windows-1251", "koi8r": "koi8-r", "koi8_r": "koi8-r"}
    name = aliases.get(name, name)
    if name not in CHARSETS:
        raise WireError(*PARAMETERS)
    return name


def read_fields(query: bytes, body: bytes) -> tuple[dict[str, str], str]:
    """The request's fields (the body's win) decoded in its ``charset``, and that charset.

    SMSC clients send ``mes`` in the charset they name (windows-1251 unless
    told otherwise), percent-encoded; ``charset`` itself is ASCII, so it is
    read first and the fields are then decoded with it.
    """

    def parse(raw: bytes, encoding: str) -> dict[str, str]:
        # Bytes a client left unescaped (curl -d 'mes=…') are in the charset too, as
        # Django's QueryDict reads them; the ASCII of the syntax is the same in all three.
        text = raw.decode(encoding, errors="replace")
        try:
            # Bounded as Django bounds a form: a body of "a=&" repeated to the size
            # limit is millions of pairs, 40 times its size in memory.
            pairs = parse_qsl(
                text,
                keep_blank_values=True,
                encoding=encoding,
                errors="replace",
                max_num_fields=settings.DATA_UPLOAD_MAX_NUMBER_FIELDS,
            )
        except ValueError:
            raise WireError(*PARAMETERS) from None
        return dict(pairs)

    plain = {**parse(query, "latin-1"), **parse(body, "latin-1")}
    try:
        charset = charset_name(plain.get("charset"))
        codec = CHARSETS[charset]
    except WireError:
        charset, codec = DEFAULT_CHARSET, "utf-8"
    fields = {**parse(query, codec), **parse(body, codec)}
    if codec != CHARSETS[charset]:
        # Unknown: keep the name as sent, so that charset_name refuses it again.
        fields["charset"] = plain.get("charset", "")
    return without_nul(fields), charset


def without_nul(fields: dict[str, str]) -> dict[str, str]:
    """NUL cannot be stored nor sent; credentials keep it so they simply do not match."""
    return {k: v if k in ("login", "psw") else v.replace("\x00", "") for k, v in fields.items()}


def fmt_of(fields: Mapping[str, str]) -> int:
    """``fmt``: 0 when absent; anything but 0–3 is answered in fmt 0 as error 1."""
    value = (fields.get("fmt") or "0").strip()
    if value in ("0", "1", "2", "3"):
        return int(value)
    raise WireError(*PARAMETERS)


def flag(fields: Mapping[str, str], name: str) -> bool:
    return (fields.get(name) or "").strip() in TRUE


def choice(fields: Mapping[str, str], name: str, allowed: Sequence[int], default: int = 0) -> int:
    value = (fields.get(name) or "").strip()
    if not value:
        return default
    if value.isascii() and value.isdigit() and int(value) in allowed:
        return int(value)
    raise WireError(*PARAMETERS)


def split_list(value: str) -> list[str]:
    """A comma-separated list; a trailing comma keeps the list form for one item."""
    items = value.split(",")
    if len(items) > 1 and items[-1].strip() == "":
        items = items[:-1]
    return [item.strip() for item in items]


def is_list(value: str) -> bool:
    return "," in value


def send_list(value: str) -> tuple[list[str], list[str]]:
    """send.php ``list``: one ``phones:text`` a line, as SMSC's clients send it. SMSC
    separates the phones from the text by a colon or a semicolon, whichever comes first
    (the text may hold either after it); the phones are one number or several,
    comma-separated, and each gets the line's text. A line break inside a text is
    written ``\\n``. Blank lines are skipped; a line without a separator is error 1.
    Returns the numbers and, parallel, their texts."""
    phones, texts = [], []
    for line in value.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not line.strip():
            continue
        found = _LIST_SEPARATOR.search(line)
        if found is None or not line[: found.start()].strip():
            raise WireError(*PARAMETERS)
        numbers, text = line[: found.start()], line[found.end() :].replace("\\n", "\n")
        for number in numbers.split(","):
            if number.strip():
                phones.append(number)
                texts.append(text)
    if not phones:
        raise WireError(*PARAMETERS)
    return phones, texts


_LIST_SEPARATOR = re.compile("[:;]")


# -- encoding an answer ---------------------------------------------------------------------


def _json_escape(error: UnicodeEncodeError):
    text = error.object[error.start : error.end]
    escaped = "".join(
        f"\\u{unit:04x}"
        for ch in text
        for unit in (
            [ord(ch)]
            if ord(ch) < 0x10000
            else [0xD800 + ((ord(ch) - 0x10000) >> 10), 0xDC00 + ((ord(ch) - 0x10000) & 0x3FF)]
        )
    )
    return escaped, error.end


codecs.register_error("smsc-json", _json_escape)
_ERRORS = {0: "replace", 1: "replace", 2: "xmlcharrefreplace", 3: "smsc-json"}


def encode(text: str, fmt: int, charset: str) -> tuple[bytes, str]:
    """The answer's bytes and its Content-Type, naming the charset."""
    body = text.encode(CHARSETS[charset], _ERRORS[fmt])
    return body, f"{CONTENT_TYPES[fmt]}; charset={charset}"


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False)


# Characters XML 1.0 cannot carry at all, even escaped (C0 controls but tab and newlines,
# lone surrogates, U+FFFE, U+FFFF): left out, or the answer is not XML. A client's id or
# a message's text may hold them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(value) -> str:
    return escape(_NOT_XML.sub("", str(value)))


def _xml(tag: str, value) -> str:
    return f"<{tag}>{_xml_text(value)}</{tag}>"


# -- errors and plain results ----------------------------------------------------------------


def error(exc: WireError, fmt: int) -> str:
    """``ERROR = N (description)`` / ``0,-N`` / XML / JSON (seeds 003 and 004)."""
    if fmt == 1:
        return f"{exc.id or 0},-{exc.code}"
    if fmt == 2:
        return (
            "<result>\n"
            + _xml("error", exc.description)
            + "\n"
            + _xml("error_code", exc.code)
            + ("\n" + _xml("id", exc.id) if exc.id else "")
            + "\n</result>"
        )
    if fmt == 3:
        answer = {"error": exc.description, "error_code": exc.code}
        if exc.id:
            answer["id"] = _int_or_text(exc.id)
        return _json(answer)
    return f"ERROR = {exc.code} ({exc.description})" + (f", ID - {exc.id}" if exc.id else "")


def ok(fmt: int) -> str:
    """Done: a deletion, a change, a code sent or confirmed (seeds 003, 004)."""
    if fmt == 2:
        return "<result>OK</result>"
    if fmt == 3:
        return _json({"result": "OK"})
    return "OK"


def _is_number(value: str) -> bool:
    # ASCII only: "²".isdigit() is True, but int("²") fails.
    return value.isascii() and value.isdigit()


def _int_or_text(value: str):
    return int(value) if _is_number(str(value)) else value


def money(value: Decimal) -> str:
    """A price or balance as SMSC prints it: at least two decimals, no trailing zeros past them."""
    text = f"{Decimal(value).quantize(Decimal('0.0001')):f}"
    whole, _, fraction = text.partition(".")
    fraction = fraction.rstrip("0").ljust(2, "0")
    return f"{whole}.{fraction}"


# -- status.php (seed 003) ------------------------------------------------------------------


@dataclass(frozen=True)
class StatusRow:
    """One (phone, id) pair's answer; ``found`` False answers status -3 alone."""

    id: str
    phone: str
    found: bool = True
    status: int = -3
    last_changed: datetime | None = None  # local time
    err: int = 0
    flag: int = 0
    sent: datetime | None = None
    cost: str = "0.00"
    sender: str = ""
    status_name: str = ""
    message: str = ""
    comment: str = ""
    type: int = 0
    sms_cnt: int = 0
    mccmnc: str = ""
    country: str = ""
    operator: str = ""
    operator_orig: str = ""
    region: str = ""


def _date(moment: datetime | None) -> str:
    return moment.strftime("%d.%m.%Y %H:%M:%S") if moment else ""


def _stamp(moment: datetime | None) -> int:
    return int(moment.timestamp()) if moment else 0


def _status_pairs(row: StatusRow, detail: int) -> list[tuple[str, object, bool]]:
    """(name, value, is_text) in seed 003's order for fmt 2 and 3 at ``all`` = detail."""
    pairs = [
        ("status", row.status, False),
        ("last_date", _date(row.last_changed), True),
        ("last_timestamp", _stamp(row.last_changed), False),
        ("flag", row.flag, False),
        ("err", row.err, False),
    ]
    if detail == 0:
        return pairs
    pairs += [
        ("send_date", _date(row.sent), True),
        ("send_timestamp", _stamp(row.sent), False),
        ("phone", row.phone, True),
        ("cost", row.cost, True),
        ("sender_id", row.sender, True),
        ("status_name", row.status_name, True),
        ("message", row.message, True),
        ("comment", row.comment, True),
    ]
    if detail == 2:
        pairs += [
            ("mccmnc", row.mccmnc, True),
            ("country", row.country, True),
            ("operator", row.operator, True),
            ("operator_orig", row.operator_orig, True),
            ("region", row.region, True),
        ]
    return pairs + [("type", row.type, False), ("sms_cnt", row.sms_cnt, False)]


def _status_line(row: StatusRow, detail: int) -> str:
    """fmt 0: ``Status = <status>, check_time = <last_date>, err = <err>``, and more."""
    if not row.found:
        return f"Status = {row.status}"
    line = f"Status = {row.status}, check_time = {_date(row.last_changed)}, err = {row.err}"
    if detail == 0:
        return line
    where = (
        f", mccmnc = {row.mccmnc}, country = {row.country}, operator = {row.operator}, "
        f"operator_orig= {row.operator_orig}, region = {row.region}"
        if detail == 2
        else ""
    )
    return (
        f"{line}, send_date = {_date(row.sent)}, phone = {row.phone}{where}, cost = {row.cost}, "
        f"sender_id = {row.sender}, status_name = {row.status_name}, message = {row.message}, "
        f"comment = {row.comment}, type = {row.type}"
    )


def _status_numbers(row: StatusRow, detail: int) -> list[str]:
    """fmt 1. With ``all`` the message text goes last, as the official clients read it:
    they take everything after the eighth comma as the text, so the comment and
    type that seed 003 prints after it are left out here."""
    if not row.found or detail == 0:
        return [str(row.status), str(_stamp(row.last_changed)), str(row.err)]
    values = [
        str(row.status),
        str(_stamp(row.last_changed)),
        str(row.err),
        str(_stamp(row.sent)),
        row.phone,
    ]
    if detail == 2:
        values += [row.country, row.operator, row.region]
    return values + [row.cost, row.sender, row.status_name, row.message]


def status(rows: Sequence[StatusRow], fmt: int, detail: int, many: bool) -> str:
    """status.php's answer for one pair or, when ``many``, a list of them (seed 003).

    In a list each status also names its message id, and at ``all`` = 0 its
    phone: fmt 0 and 1 add them at the end of the line (fmt 1 with ``all``:
    the id before the text, which stays last), fmt 2 and 3 as fields.
    """
    if fmt == 0:
        lines = []
        for row in rows:
            line = _status_line(row, detail)
            if many:
                # A not-found row has no phone of its own at any ``all``: name it, as fmt 1–3 do.
                named = detail == 0 or not row.found
                line += f", id = {row.id}" + (f", phone = {row.phone}" if named else "")
            lines.append(line)
        return "\n".join(lines)
    if fmt == 1:
        lines = []
        for row in rows:
            values = _status_numbers(row, detail)
            if many and (detail == 0 or not row.found):
                values += [row.id, row.phone]
            elif many:
                values.insert(len(values) - 1, row.id)
            lines.append(",".join(values))
        return "\n".join(lines)
    items = []
    for row in rows:
        pairs = _status_pairs(row, detail) if row.found else [("status", row.status, False)]
        if many:
            pairs = pairs + [("id", _int_or_text(row.id), not _is_number(row.id))]
            if detail == 0 or not row.found:
                pairs.append(("phone", row.phone, True))
        items.append(pairs)
    if fmt == 2:
        blocks = [
            "<sms>\n" + "\n".join(_xml(name, value) for name, value, _ in pairs) + "\n</sms>"
            for pairs in items
        ]
        return "<list>\n" + "\n".join(blocks) + "\n</list>" if many else blocks[0]
    objects = [{name: value for name, value, _ in pairs} for pairs in items]
    return _json(objects if many else objects[0])


# -- senders.php (seed 004) -----------------------------------------------------------------


@dataclass(frozen=True)
class SenderRow:
    name: str
    status: int
    operators: tuple[tuple[str, int], ...] = field(default=())


def senders(rows: Iterable[SenderRow], fmt: int, *, with_status: bool, operators: bool) -> str:
    """``get=1``: the names, with ``all=1`` their status, with ``operators=1`` the
    status at each operator in seed 004's column order."""
    rows = list(rows)
    if operators:
        if fmt == 0:
            return "\n".join(
                f"name = {r.name}, " + ", ".join(f"{op} = {s}" for op, s in r.operators)
                for r in rows
            )
        if fmt == 1:
            return "\n".join(",".join([r.name, *(str(s) for _, s in r.operators)]) for r in rows)
        if fmt == 2:
            lines = [
                "<sender "
                + " ".join(f"{op}={quoteattr(str(s))}" for op, s in r.operators)
                + f">{_xml_text(r.name)}</sender>"
                for r in rows
            ]
            return "\n".join(["<list>", *lines, "</list>"])
        return _json([{"sender": r.name, **{op: str(s) for op, s in r.operators}} for r in rows])
    if fmt == 0:
        return "\n".join(
            f"name = {r.name}" + (f", status = {r.status}" if with_status else "") for r in rows
        )
    if fmt == 1:
        return "\n".join(r.name + (f",{r.status}" if with_status else "") for r in rows)
    if fmt == 2:
        lines = [
            (f"<sender status={quoteattr(str(r.status))}>" if with_status else "<sender>")
            + f"{_xml_text(r.name)}</sender>"
            for r in rows
        ]
        return "\n".join(["<list>", *lines, "</list>"])
    return _json(
        [{"sender": r.name, **({"status": r.status} if with_status else {})} for r in rows]
    )


def sender_added(sender_id: int, fmt: int) -> str:
    """``add=1``: the new name's id (seed 004)."""
    if fmt == 1:
        return str(sender_id)
    if fmt == 2:
        return f"<sender>\n{_xml('id', sender_id)}\n</sender>"
    if fmt == 3:
        return _json({"sender": sender_id})
    return f"ID = {sender_id}"


# -- send.php and balance.php ----------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    """What send.php reports: the message id, its SMS count (recipients × parts), and
    with ``cost`` 2 or 3 the price, with 3 the balance after it."""

    id: int
    count: int
    cost: str = ""
    balance: str = ""


def sent(answer: Sent, fmt: int, cost_mode: int) -> str:
    """``OK - <cnt> SMS, ID - <id>[, COST - <cost>][, BALANCE - <balance>]`` and the
    other formats; with ``cost=1`` (nothing sent) the price and count only."""
    if cost_mode == 1:
        if fmt == 1:
            return f"{answer.cost},{answer.count}"
        if fmt == 2:
            return f"<result>\n{_xml('cost', answer.cost)}\n{_xml('cnt', answer.count)}\n</result>"
        if fmt == 3:
            return _json({"cost": answer.cost, "cnt": answer.count})
        return f"{answer.cost} ({answer.count} SMS)"
    extra = []
    if cost_mode >= 2:
        extra.append(("cost", "COST", answer.cost))
    if cost_mode == 3:
        extra.append(("balance", "BALANCE", answer.balance))
    if fmt == 1:
        return ",".join([str(answer.id), str(answer.count), *(v for _, _, v in extra)])
    if fmt == 2:
        parts = [_xml("id", answer.id), _xml("cnt", answer.count)]
        parts += [_xml(name, value) for name, _, value in extra]
        return "<result>\n" + "\n".join(parts) + "\n</result>"
    if fmt == 3:
        return _json({"id": answer.id, "cnt": answer.count, **{n: v for n, _, v in extra}})
    return f"OK - {answer.count} SMS, ID - {answer.id}" + "".join(
        f", {label} - {value}" for _, label, value in extra
    )


def balance(amount: str, credit: str, fmt: int, currency: str = "PLN") -> str:
    """The balance; fmt 1 gives it alone (the official clients read a second field as
    an error), fmt 2 and 3 add the credit limit and the currency."""
    if fmt == 2:
        return (
            f"<balance>\n{_xml('balance', amount)}\n{_xml('credit', credit)}\n"
            f"{_xml('currency', currency)}\n</balance>"
        )
    if fmt == 3:
        return _json({"balance": amount, "credit": credit, "currency": currency})
    return amount


# -- send.php's time ------------------------------------------------------------------------

_TIME_SHAPE = re.compile(r"\d{10}|\d{2}\.\d{2}\.(?:\d{2}|\d{4}) \d{2}:\d{2}(?::\d{2})?", re.ASCII)
_TIME_FORMATS = ("%d%m%y%H%M", "%d.%m.%y %H:%M", "%d.%m.%Y %H:%M", "%d.%m.%y %H:%M:%S")


def send_time(value: str | None, now: datetime) -> datetime | None:
    """send.php ``time`` as SMSC reads it, in the local time of ``now`` (aware):

    - ``DDMMYYhhmm``, ``DD.MM.YY hh:mm`` (also with a four-digit year or seconds);
    - ``0ts``: 0 then a Unix timestamp;
    - ``+m``: in m minutes;
    - ``h1-h2``: now if the hour is from h1 to before h2, else the next h1 o'clock.

    None when not given; any other form is error 1.
    """
    value = (value or "").strip()
    if not value:
        return None
    if value.startswith("+") and value[1:].isascii() and value[1:].isdigit():
        minutes = int(value[1:])
        if minutes > 60 * 24 * 366:
            raise WireError(*PARAMETERS)
        # Real minutes: an aware datetime's own arithmetic is wall-clock, off by the
        # DST shift when the interval crosses one.
        return (now.astimezone(UTC) + timedelta(minutes=minutes)).astimezone(now.tzinfo)
    if (
        len(value) > 1
        and value[0] == "0"
        and value.isascii()
        and value.isdigit()
        and (len(value) != 10)
    ):
        seconds = int(value[1:])
        if seconds > LATEST_UNIX_TIME:
            raise WireError(*PARAMETERS)
        return datetime.fromtimestamp(seconds, tz=now.tzinfo)
    hours = value.split("-")
    if len(hours) == 2 and all(h.isascii() and h.isdigit() and len(h) <= 2 for h in hours):
        start, end = int(hours[0]), int(hours[1])
        if not (0 <= start < end <= 24):
            raise WireError(*PARAMETERS)
        if start <= now.hour < end:
            return None
        day = now if now.hour < start else now + timedelta(days=1)
        return day.replace(hour=start, minute=0, second=0, microsecond=0)
    if not _TIME_SHAPE.fullmatch(value):
        # strptime alone takes one-digit fields ("31129923" would be a date).
        raise WireError(*PARAMETERS)
    for pattern in _TIME_FORMATS:
        try:
            parsed = datetime.strptime(value, pattern)
        except ValueError:
            continue
        return parsed.replace(tzinfo=now.tzinfo)
    raise WireError(*PARAMETERS)
