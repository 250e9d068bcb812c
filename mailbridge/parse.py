"""Sms2Email addresses and mail bodies (seed 000 §4.1, SPEC §5): pure, no database.

Body format (seed 000 §4.1.2): an optional parameter section, a line ``---``, the SMS
text, and a line ``END`` or ``KONIEC`` (any case). Whatever follows the end word
(signatures, footers, quoted replies) is ignored. Without ``---`` the whole body up to
the end word is the text. Without an end word the text runs to the first quoted line
(``>``) or signature line (``-- ``), an attribution line ending in ``:`` just before a
quote dropped too; or else to the end of the body.
Lines split on ``\\r\\n``, ``\\n`` and ``\\r``; the text keeps its inner line breaks.

Parameter lines (seed 000 §4.1.3), each stripped, blank ones skipped, are read in this
order: the password alone; ``md5 <timestamp> <hash>``; an options line (``flash``,
``HH:MM``, ``YYYY-MM-DD HH:MM`` in any order); comma-separated numbers. Anything else
is refused, named by its position in the section (blank lines count, as the sender
sees them) and never echoed: it may be a mistyped password.

Decisions:

- A send time already past means "now" (``send_at`` None), as the HTTP API treats a
  past ``send_datetime``: a mail delayed by a minute still goes out. ``HH:MM`` alone
  is today in Europe/Warsaw, never tomorrow. The 3-month limit is the send pipeline's.
- In easy mode (``48XXXXXXXXX@DOMAIN``) the parameters may repeat the address's own
  number; any other number is refused (seed 000 §4.1.1: "nie mogą już wystąpić inne
  numery").
- An md5 timestamp is decimal digits without a leading zero, so that
  ``md5_digest(password, line.timestamp)`` hashes exactly what the sender hashed.
- A text line that is the password alone is refused: the sender forgot ``---`` (or
  put the password below it), and sending would show the password to the recipient.
- The first fault found wins: one reply names one thing to fix.

Reasons (``BodyError.reason``):

- ``UNKNOWN_LINE``: a parameter line that is none of the above, or a malformed md5 line.
- ``WRONG_PASSWORD``: such a line, when the service expects a password
  (``password_expected``) and the section holds neither the password nor an md5
  line: it is most likely the password, mistyped or an old one (seed 000 §3.7).
- ``INVALID_NUMBER`` (code 401): an item of a numbers line is not a Polish mobile.
- ``NO_NUMBERS``: a mail to ``box@`` without any number.
- ``NUMBERS_IN_EASY_MODE``: a mail to a number's address lists another number.
- ``EMPTY_TEXT``: nothing between ``---`` and the end word.
- ``BAD_SEND_TIME``: an impossible time or date, a date without a time, two send times.
- ``TWO_MD5_LINES``: more than one md5 line (which one should be checked?).
- ``PASSWORD_IN_TEXT``: a line of the SMS text is the password alone.
"""

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import date, datetime, time

from django.utils import timezone

from messaging.numbers import normalise_msisdn

UNKNOWN_LINE = "unknown_line"
INVALID_NUMBER = "invalid_number"
NO_NUMBERS = "no_numbers"
NUMBERS_IN_EASY_MODE = "numbers_in_easy_mode"
EMPTY_TEXT = "empty_text"
BAD_SEND_TIME = "bad_send_time"
TWO_MD5_LINES = "two_md5_lines"
PASSWORD_IN_TEXT = "password_in_text"  # noqa: S105 (a reason name, not a secret)
WRONG_PASSWORD = "wrong_password"  # noqa: S105 (a reason name, not a secret)
REASONS = frozenset(
    {
        UNKNOWN_LINE,
        WRONG_PASSWORD,
        INVALID_NUMBER,
        NO_NUMBERS,
        NUMBERS_IN_EASY_MODE,
        EMPTY_TEXT,
        BAD_SEND_TIME,
        TWO_MD5_LINES,
        PASSWORD_IN_TEXT,
    }
)

# Załącznik 1: "niepoprawny numer odbiorcy SMS".
INVALID_NUMBER_CODE = 401

BOX = "box"
SECTION_BREAK = "---"
END_WORDS = frozenset({"end", "koniec"})

_NEWLINE = re.compile(r"\r\n|\r|\n")
# Dotted hosts are ASCII labels; a mobile in a local part is 9 digits or 48 and 9 digits.
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", re.ASCII)
_LOCAL_NUMBER = re.compile(r"(?:48)?[0-9]{9}", re.ASCII)
_MD5 = re.compile(r"md5[ \t]+(0|[1-9][0-9]{0,17})[ \t]+([0-9a-f]{32})", re.ASCII | re.IGNORECASE)
_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})", re.ASCII)
_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})", re.ASCII)
# A numbers line: digits and the usual separators, items split by commas.
# (Two patterns, not one with a digit in the middle: that one backtracks quadratically.)
_NUMBERS_LINE = re.compile(r"[0-9 \t\xa0+\-().,/]+")
_DIGIT = re.compile(r"[0-9]")
_NUMBER_NOISE = str.maketrans("", "", "/\xa0")
_ECHO_LIMIT = 40


@dataclass(frozen=True)
class Box:
    """``box@DOMAIN``: the numbers come from the parameter section."""


@dataclass(frozen=True)
class Easy:
    """``48XXXXXXXXX@DOMAIN`` or ``XXXXXXXXX@DOMAIN``: exactly that recipient."""

    number: str


@dataclass(frozen=True)
class Ups:
    """``NUMBER@SUBDOMAIN.DOMAIN``: a UPS shipment notification (seed 000 §5.1)."""

    number: str
    subdomain: str


@dataclass(frozen=True)
class Md5Line:
    timestamp: int
    digest: str


@dataclass(frozen=True)
class ParsedBody:
    text: str
    numbers: tuple[str, ...]
    password_given: bool
    md5: Md5Line | None
    flash: bool
    send_at: datetime | None


@dataclass(frozen=True)
class BodyError:
    reason: str
    detail: str
    code: int | None = None


def parse_address(address: str, domain: str) -> Box | Easy | Ups | None:
    """What a recipient address under ``domain`` asks for, or None when it is not ours."""
    local, at, host = address.strip().lower().rpartition("@")
    domain = domain.strip().lower().rstrip(".")
    host = host.rstrip(".")
    if not at or not local or not domain:
        return None
    if host == domain:
        if local == BOX:
            return Box()
        number = _local_number(local)
        return Easy(number) if number else None
    subdomain, dot, rest = host.partition(".")
    if dot and rest == domain and _LABEL.fullmatch(subdomain):
        number = _local_number(local)
        return Ups(number, subdomain) if number else None
    return None


def _local_number(local: str) -> str | None:
    return normalise_msisdn(local) if _LOCAL_NUMBER.fullmatch(local) else None


def md5_digest(password: str, timestamp: int | str) -> str:
    """``md5(password + timestamp)`` in lowercase hex (seed 000 §3.8)."""
    data = f"{password}{timestamp}".encode()
    # The seed fixes md5 as the protocol's digest; it is not our choice of hash.
    return hashlib.md5(data).hexdigest()  # noqa: S324


def parse_body(
    body: str,
    *,
    target: Box | Easy,
    password: str,
    now: datetime,
    password_expected: bool = False,
) -> ParsedBody | BodyError:
    """The request a mail body makes, or the first fault to tell the sender about.

    ``password_expected``: the service takes mail with the password and none without
    security, so a line that is nothing else is reported as a wrong password."""
    parameters, text_lines = _sections(_NEWLINE.split(body))
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.get_default_timezone())
    request = _Parameters(target, password.strip(), now)
    lines = [line.strip() for line in parameters]
    if password_expected and not any(
        request.is_password(line) or line[:3].lower() == "md5" for line in lines
    ):
        request.unknown_line = _wrong_password
    for position, line in enumerate(lines, start=1):
        error = request.read(position, line)
        if error is not None:
            return error
    if any(request.is_password(line.strip()) for line in text_lines):
        return BodyError(
            PASSWORD_IN_TEXT,
            "Hasło stoi w treści SMS-a, więc trafiłoby do odbiorcy: przenieś je nad linię --- "
            "(do sekcji parametrów).",
        )
    text = "\n".join(text_lines).strip()
    if not text:
        return BodyError(
            EMPTY_TEXT,
            "Treść SMS-a jest pusta: wpisz ją pod linią --- "
            "(i nad linią END albo KONIEC, jeśli jej używasz).",
        )
    if isinstance(target, Easy):
        numbers = (target.number,)
    elif request.numbers:
        numbers = tuple(request.numbers)
    else:
        return BodyError(
            NO_NUMBERS,
            "Na adres box podaj w sekcji parametrów co najmniej jeden numer telefonu "
            "i zakończ tę sekcję linią ---.",
        )
    return ParsedBody(
        text=text,
        numbers=numbers,
        password_given=request.password_given,
        md5=request.md5,
        flash=request.flash,
        send_at=request.send_at,
    )


def _sections(lines: list[str]) -> tuple[list[str], list[str]]:
    """The parameter lines and the text lines.

    Whichever comes first decides: ``---`` opens the text after the parameters; an
    end word first means there was no parameter section (what follows it, even a
    ``---`` in a footer, is ignored).
    """
    for index, line in enumerate(lines):
        word = line.strip()
        if word == SECTION_BREAK:
            return lines[:index], _until_end_word(lines, index + 1)
        if word.lower() in END_WORDS:
            return [], lines[:index]
    return [], _before_quote(lines)


def _until_end_word(lines: list[str], start: int) -> list[str]:
    for index in range(start, len(lines)):
        if lines[index].strip().lower() in END_WORDS:
            return lines[start:index]
    return _before_quote(lines[start:])


def _before_quote(lines: list[str]) -> list[str]:
    """Without an end word, the text stops where a reply's baggage starts: the first
    quoted line (``>``) or signature line (``-- ``), and the attribution line ending
    in ``:`` ("W dniu … napisał(a):") just before a quote. So answering the mail of an
    incoming SMS sends only what the person wrote (seed 000 §4.3)."""
    for index, line in enumerate(lines):
        if line.rstrip() == "--":  # "-- ", the signature delimiter, or its trimmed form
            return lines[:index]
        if line.lstrip().startswith(">"):
            end = index
            while end > 0 and not lines[end - 1].strip():
                end -= 1
            if end > 0 and lines[end - 1].rstrip().endswith(":"):
                end -= 1
            return lines[:end]
    return lines


class _Parameters:
    """The parameter section, read line by line."""

    def __init__(self, target: Box | Easy, password: str, now: datetime):
        self.target = target
        self.password = password.encode(errors="surrogatepass")
        self.now = now
        self.numbers: dict[str, None] = {}
        self.password_given = False
        self.md5: Md5Line | None = None
        self.flash = False
        self.send_at: datetime | None = None
        self.has_send_time = False

    def is_password(self, line: str) -> bool:
        if not self.password:
            return False
        # Constant-time: the line may be a guess at the password.
        return hmac.compare_digest(line.encode(errors="surrogatepass"), self.password)

    def read(self, position: int, line: str) -> BodyError | None:
        if not line:
            return None
        if self.is_password(line):
            self.password_given = True
            return None
        if line[:3].lower() == "md5":
            return self._md5(position, line)
        tokens = line.split()
        if all(_is_option(token) for token in tokens):
            return self._options(position, tokens)
        if _NUMBERS_LINE.fullmatch(line) and _DIGIT.search(line):
            return self._numbers(position, line)
        return self.unknown_line(position)

    @staticmethod
    def unknown_line(position: int) -> BodyError:
        return BodyError(
            UNKNOWN_LINE,
            f"Linia {position} sekcji parametrów nie jest ani hasłem, ani numerami, "
            "ani linią md5, ani opcjami SMS-a (flash, godzina wysyłki): "
            "popraw ją albo usuń.",
        )

    def _md5(self, position: int, line: str) -> BodyError | None:
        match = _MD5.fullmatch(line)
        if match is None:
            return BodyError(
                UNKNOWN_LINE,
                f"Linia {position} sekcji parametrów zaczyna się od md5, ale nie ma postaci "
                "„md5 timestamp hash” (timestamp: liczba sekund, hash: 32 znaki szesnastkowe).",
            )
        if self.md5 is not None:
            return BodyError(
                TWO_MD5_LINES,
                f"Podaj jedną linię md5; linia {position} sekcji parametrów jest kolejną.",
            )
        self.md5 = Md5Line(int(match[1]), match[2].lower())
        return None

    def _options(self, position: int, tokens: list[str]) -> BodyError | None:
        index = 0
        while index < len(tokens):
            token = tokens[index]
            index += 1
            if token.lower() == "flash":
                self.flash = True
                continue
            day = None
            if _DATE.fullmatch(token):
                following = tokens[index] if index < len(tokens) else ""
                if not _TIME.fullmatch(following):
                    return BodyError(
                        BAD_SEND_TIME,
                        f"Data w linii {position} sekcji parametrów musi mieć po sobie "
                        "godzinę, np. 2030-09-01 15:00.",
                    )
                day, token = token, following
                index += 1
            if self.has_send_time:
                return BodyError(
                    BAD_SEND_TIME,
                    f"Podaj jeden czas wysyłki; linia {position} sekcji parametrów podaje kolejny.",
                )
            at = _send_time(day, token, self.now)
            if at is None:
                return BodyError(
                    BAD_SEND_TIME,
                    f"Czas wysyłki w linii {position} sekcji parametrów nie istnieje: "
                    "podaj godzinę jako GG:MM (00:00–23:59), a datę jako RRRR-MM-DD.",
                )
            self.has_send_time = True
            # Past means now, as for the HTTP API's send_datetime.
            self.send_at = at if at > self.now else None
        return None

    def _numbers(self, position: int, line: str) -> BodyError | None:
        for item in line.split(","):
            item = item.strip()
            if not item:
                continue
            number = normalise_msisdn(item.translate(_NUMBER_NOISE))
            if isinstance(self.target, Easy):
                if number != self.target.number:
                    return BodyError(
                        NUMBERS_IN_EASY_MODE,
                        f"Adres e-mail z numerem {self.target.number} wysyła SMS tylko na "
                        f"ten numer: usuń inne numery z linii {position} sekcji parametrów "
                        "albo wyślij e-mail na adres box.",
                    )
                continue
            if number is None:
                return BodyError(
                    INVALID_NUMBER,
                    f"Numer „{_echo(item)}” w linii {position} sekcji parametrów nie jest "
                    "poprawnym polskim numerem komórkowym: popraw go albo usuń.",
                    INVALID_NUMBER_CODE,
                )
            self.numbers[number] = None
        return None


def _wrong_password(position: int) -> BodyError:
    return BodyError(
        WRONG_PASSWORD,
        f"Hasło jest niepoprawne: linia {position} sekcji parametrów nie jest hasłem usługi "
        "(ani numerami, ani opcjami SMS-a). Wpisz aktualne hasło z konfiguracji Sms2Email "
        "w osobnej linii nad linią ---.",
    )


def _is_option(token: str) -> bool:
    return token.lower() == "flash" or bool(_TIME.fullmatch(token) or _DATE.fullmatch(token))


def _send_time(day: str | None, clock: str, now: datetime) -> datetime | None:
    """The send time in TIME_ZONE (SPEC §5: Warsaw wall-clock time, whatever the
    server's zone), or None when the date or time does not exist."""
    zone = timezone.get_default_timezone()
    hour, minute = (int(part) for part in _TIME.fullmatch(clock).groups())
    try:
        wall = time(hour, minute)
        if day is None:
            on = now.astimezone(zone).date()
        else:
            on = date(*(int(part) for part in _DATE.fullmatch(day).groups()))
    except (ValueError, OverflowError):
        return None
    # A wall time in the spring-forward gap takes the offset before it (fold=0).
    return datetime.combine(on, wall, tzinfo=zone)


def _echo(item: str) -> str:
    return item if len(item) <= _ECHO_LIMIT else item[:_ECHO_LIMIT] + "…"
