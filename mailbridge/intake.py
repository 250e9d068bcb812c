"""Mail in: the one function both doors call (``manage.py smtpd`` and ``receive_mail``).

A mail is parsed and authenticated here, then handed to
``messaging.services.submit`` as a ``SendRequest``, as the HTTP API does: the
bridge never charges, segments or creates recipients itself.

The checks, in order (seed 000 §3.3, §3.5–3.8):

1. Automatic mail (RFC 3834). An auto-reply (``Auto-Submitted: auto-replied``
   or ``auto-notified`` in any such header, comments and parameters aside;
   ``X-Autoreply``, ``X-Autorespond``, ``Precedence: junk`` or ``auto_reply``) or
   a bounce (a null or MAILER-DAEMON envelope sender) is never a send request:
   logged, dropped. Other automatic mail (``auto-generated``, ``Precedence:
   bulk`` or ``list``, ``X-Auto-Response-Suppress``: a server's notifications,
   which md5 mode is for) is handled, but never answered, so that two systems
   cannot loop.
2. The sender. ``From:`` must hold exactly one address, read strictly
   (mailbridge.mime.mailbox: ``demo@example.com <attacker@evil.com>`` is no
   one's); a mail without one is dropped. Both the ``From:`` address and the
   envelope sender must be authorised for the same service (the stricter of
   the two: a forged ``From:`` with another envelope fails, and so does the
   reverse). A mail from a sender no service authorises is dropped and logged
   for staff, and never answered (no backscatter).
3. Duplicates. (sender, Message-ID, recipient) is handled once; a copy changes
   nothing and gets no reply. A mail without a Message-ID is known by the
   digest of its bytes.
4. The service: Sms2Email switched on, and the service allowed to send
   (101–106, Załącznik 1).
5. PGP (seed 000 §3.4.1): an encrypted mail, inline armour or PGP/MIME, is
   decrypted with the platform key (mailbridge.pgp) and read on as a plain
   mail, whatever "Wymagaj e-maili zaszyfrowanych (PGP)" says; with it, an
   unencrypted mail is refused. A mail our key cannot decrypt (encrypted to
   another key, or damaged) is refused as PGP_NOT_OURS, without a Załącznik 1
   code: it is the sender's mistake, not an internal error (3000).
6. The body (mailbridge.parse), then the password or md5 line unless "bez
   zabezpieczeń" is on; an md5 line is accepted once.
7. "Maks. ilość numerów w mailu", over the whole mail: the numbers every
   address of ours it went to sent to, in this delivery or an earlier one of
   the same Message-ID; then submit.

Every refusal of an authorised sender is answered once (mailbridge.replies),
and a mail once however many of its addresses were refused.
What is read of a mail costs a bounded time, whatever it holds
(mailbridge.mime): this all runs before any password is checked. Header values
are cut at ``MAX_HEADER_CHARS``, and a decoded Subject is kept on one line.

UPS notifications (``NUMBER@SUBDOMAIN.DOMAIN``, seed 000 §5.1) take their own path:
the service is the one owning SUBDOMAIN (none, an old one after "regeneruj"
included: dropped), and both the ``From:`` and the envelope sender must be one of
UPS_SENDERS or an authorised sender of that service. UPS mail is automatic by
nature, so RFC 3834 headers decide nothing and no refusal is ever answered. The
dedupe and step 4 are as above, then "Obsługa e-maili z UPS"; then the body
must be a notification (mailbridge.ups) and becomes the SMS of §5.1.1.1. No
password, md5 or PGP: UPS can send none of them.
"""

import functools
import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from email.message import EmailMessage

from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from accounts.models import ServiceState
from lib import classtable, xactlock
from messaging import services
from messaging.models import Message, Source

from . import mime, outbound, parse, pgp, replies, ups
from .models import InboundMail, Outcome, ReplyState, Sms2EmailSettings, UsedMd5
from .senders import listed, normalise_address, settings_for

logger = logging.getLogger(__name__)

MAX_HEADER_CHARS = 8000
# Line breaks and other control characters, folded to a space in a decoded header.
_ONE_LINE = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")


class TryLater(Exception):
    """The mail could not be handled now (the database is down): the MTA should retry."""


@dataclass(frozen=True)
class Refusal:
    reason: str
    detail: str  # Polish: what the sender reads
    code: int | None = None


# Reasons of the bridge's own (the parser's are in mailbridge.parse and .mime).
AUTOMATIC = "automatic"
BAD_FROM = "bad_from"
UNKNOWN_SENDER = "unknown_sender"
SMS2EMAIL_OFF = "sms2email_off"
SERVICE_REFUSED = "service_refused"
PGP_REQUIRED = "pgp_required"
PGP_NOT_OURS = "pgp_not_ours"
PGP_NESTED = "pgp_nested"
PGP_TOO_LARGE = "pgp_too_large"
PGP_TOO_MANY_KEYS = "pgp_too_many_keys"
NO_SECURITY = "no_security"
PASSWORD_MISSING = "password_missing"  # noqa: S105 - a reason name, not a password
MD5_INVALID = "md5_invalid"
MD5_OUTSIDE_WINDOW = "md5_outside_window"
MD5_REUSED = "md5_reused"
MD5_OFF = "md5_off"
TOO_MANY_NUMBERS = "too_many_numbers"
UNKNOWN_SUBDOMAIN = "unknown_subdomain"
UPS_SENDER = "ups_sender"
UPS_OFF = "ups_off"
NOT_A_NOTIFICATION = "not_a_ups_notification"

# Załącznik 1 texts for the service states.
STATE_TEXT = {
    ServiceState.NOT_ACTIVATED: "usługa nie została jeszcze aktywowana",
    ServiceState.IN_DEBT: (
        "konto usługi jest w stanie debetu: brak środków na koncie lub usługa jest zadłużona"
    ),
    ServiceState.SUSPENDED: "usługa jest zawieszona lub oczekuje na deaktywację",
    ServiceState.DEACTIVATED: "usługa jest zdeaktywowana",
    ServiceState.BLOCKED_BY_CUSTOMER: "usługa jest zablokowana przez użytkownika",
    ServiceState.BLOCKED_BY_STAFF: (
        "usługa jest zablokowana przez administratora; skontaktuj się z twórcami serwisu"
    ),
}


def handle(
    raw: bytes, *, envelope_sender: str | None, recipients: Sequence[str]
) -> list[InboundMail]:
    """Handle one mail for each of ``recipients`` that is an address of ours.

    ``envelope_sender`` is the SMTP MAIL FROM ("" for a bounce, None when the
    door does not know it: then ``Return-Path``, or ``From:`` alone, is used).
    Returns the log rows written (none for a copy of a mail already handled).
    Raises TryLater when the database cannot be reached, having changed nothing.
    """
    try:
        mail = _Mail(raw)
        if envelope_sender is None:
            envelope_sender = mail.headers.return_path()
        else:  # aiosmtpd gives a bounce's null reverse path as "<>"
            envelope_sender = normalise_address(envelope_sender)
        logged = []
        for recipient in recipients:
            target = parse.parse_address(recipient, settings.SMS2EMAIL_DOMAIN)
            if target is None:
                continue
            row = _handle_one(mail, envelope_sender, normalise_address(recipient), target)
            if row is not None:
                logged.append(row)
        return logged
    except (OperationalError, InterfaceError) as exc:
        raise TryLater(str(exc)) from exc


class _Mail:
    """One delivery of a mail, read once for all its addresses of ours: a mail to ten
    addresses is parsed and decrypted once, not ten times."""

    def __init__(self, raw: bytes):
        self.raw = raw
        self.message = mime.read_message(raw)
        self.headers = _Headers(self.message)
        # The md5 lines this delivery recorded: they serve its other addresses, while a
        # later delivery with one is a replay (_check_md5).
        self.md5_recorded: set[str] = set()
        self._plain = self._body = None

    def plain(self):
        """The body as it came: MailText, Encrypted or BodyError (mime.body_of)."""
        if self._plain is None:
            self._plain = mime.body_of(self.message)
        return self._plain

    def body(self) -> tuple["mime.MailText | Refusal", bool]:
        """(the text to parse, or why there is none; whether it came encrypted)."""
        if self._body is None:
            body = self.plain()
            if isinstance(body, parse.BodyError):
                self._body = (Refusal(body.reason, body.detail, body.code), False)
            elif isinstance(body, mime.Encrypted):
                self._body = (_decrypted_body(body), True)
            else:
                self._body = (body, False)
        return self._body


class _Headers:
    """The headers intake reads, taken raw once. The email package's default policy
    parses a header anew on each access, which cost more than the rest of a mail.
    Each value is cut at ``MAX_HEADER_CHARS``: what is kept of one is far shorter
    (a Subject: 300 characters), and decoding a longer one costs for nothing."""

    def __init__(self, message: EmailMessage):
        self.message = message
        self.raw: dict[str, list[str]] = {}
        for name, value in message.raw_items():
            self.raw.setdefault(name.lower(), []).append(_text(str(value)[:MAX_HEADER_CHARS]))

    def all(self, name: str) -> list[str]:
        """Every such header, each unfolded and trimmed."""
        return [" ".join(value.split()) for value in self.raw.get(name.lower(), ())]

    def get(self, name: str) -> str:
        """The first such header, unfolded and trimmed ("" when there is none)."""
        values = self.raw.get(name.lower())
        return " ".join(values[0].split()) if values else ""

    def sender(self) -> str | None:
        """The From: address; None when it is missing, repeated, lists several
        addresses or is malformed (mime.mailbox)."""
        address = mime.mailbox(self.all("From"))
        return normalise_address(address) if address else None

    def return_path(self) -> str | None:
        """The envelope sender an MTA recorded: "" for a bounce (``<>``), None when
        there is none or it cannot be read."""
        value = self.get("Return-Path")
        if value.replace(" ", "") == "<>":
            return ""
        address = mime.mailbox([value]) if value else None
        return normalise_address(address) if address else None

    def subject(self) -> str:
        """The Subject, decoded, on one line: a CR or LF from an encoded word would
        make every reply and report to it fail as a header injection."""
        return _ONE_LINE.sub(" ", _decoded_words(self.get("Subject"))).strip()


def _decoded_words(raw: str) -> str:
    """``raw`` with its RFC 2047 encoded words decoded, when each is in a text charset
    (mime.TEXT_CHARSETS: decoding ``punycode`` is quadratic); else ``raw`` as it is."""
    try:
        words = decode_header(raw)
        if any(charset and mime.text_codec(charset) is None for _, charset in words):
            return raw
        return str(make_header(words))
    except Exception:  # a broken encoded word: the header as it came
        return raw


def _text(value: str) -> str:
    """A raw header as text. 8-bit bytes (common: Polish in a Subject not MIME-encoded)
    arrive as lone surrogates, which no database takes: read them as UTF-8, else as
    Windows-1250, the charsets Polish mail clients write."""
    try:
        value.encode("utf-8")  # the common case, checked at C speed: nothing to mend
        return value
    except UnicodeEncodeError:
        try:
            data = value.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:  # a surrogate no bytes became: nothing to recover
            return value.encode("utf-8", "replace").decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("windows-1250", "replace")


# RFC 3834 §5 and the headers auto-responders write without it (X-Autoreply,
# X-Autorespond: common practice). The keyword is what precedes a comment or
# parameter: "auto-replied (vacation)" is auto-replied.
_REPLY_KEYWORDS = frozenset({"auto-replied", "auto-notified"})
_DROPPED_PRECEDENCE = frozenset({"junk", "auto_reply"})
_SILENT_PRECEDENCE = frozenset({"bulk", "list"})
_AUTORESPONDER_HEADERS = ("X-Autoreply", "X-Autorespond")
_KEYWORD = re.compile(r"[^\s;(]*")


def _keywords(headers: _Headers, name: str) -> set[str]:
    return {_KEYWORD.match(value)[0].lower() for value in headers.all(name)}


def _automatic(headers: _Headers, envelope_sender: str | None) -> tuple[bool, bool]:
    """(drop it, never answer it) by RFC 3834 and the envelope.

    Dropped: a bounce (null reverse path or MAILER-DAEMON), an auto-reply or
    auto-notification in any ``Auto-Submitted`` header, ``X-Autoreply`` or
    ``X-Autorespond`` (other than "no"), ``Precedence: junk`` or ``auto_reply``.
    Handled but never answered: other automatic mail (``auto-generated``,
    ``Precedence: bulk`` or ``list``, ``X-Auto-Response-Suppress``): a server's
    notifications, which md5 mode is for, may carry these.
    """
    bounce = envelope_sender is not None and (
        envelope_sender == "" or envelope_sender.lower().startswith("mailer-daemon@")
    )
    auto = _keywords(headers, "Auto-Submitted") - {"", "no"}
    precedence = _keywords(headers, "Precedence")
    autoresponder = any(_keywords(headers, name) - {"", "no"} for name in _AUTORESPONDER_HEADERS)
    drop = bool(
        bounce or auto & _REPLY_KEYWORDS or precedence & _DROPPED_PRECEDENCE or autoresponder
    )
    silent = bool(
        drop or auto or precedence & _SILENT_PRECEDENCE or headers.all("X-Auto-Response-Suppress")
    )
    return drop, silent


def _log_row(mail: _Mail, sender, envelope, recipient, chosen) -> InboundMail:
    """The mail's log row, not saved yet (``_logged_once`` saves it last)."""
    return InboundMail(
        service=chosen.service if chosen else None,
        sender=sender[:254],
        envelope_sender=envelope[:254],
        recipient=recipient[:254],
        subject=mail.headers.subject()[:300],
        mail_id=_message_id(mail.headers, mail.raw),
    )


def _message_id(headers: _Headers, raw: bytes) -> str:
    value = headers.get("Message-ID")[:300]
    return value or "sha256:" + hashlib.sha256(raw).hexdigest()


def _handle_one(mail: _Mail, envelope_sender, recipient, target) -> InboundMail | None:
    headers = mail.headers
    sender = headers.sender()
    envelope = envelope_sender or ""
    if sender is None:
        # No From: to trust or to answer: logged with the header as it came, dropped.
        return _logged_once(
            _log_row(mail, headers.get("From"), envelope, recipient, None),
            lambda row, _sent_before: _close(
                row, Outcome.DROPPED, Refusal(BAD_FROM, "nieczytelny nagłówek From")
            ),
        )
    if isinstance(target, parse.Ups):
        return _handle_ups(mail, sender, envelope, recipient, target)
    from_settings = settings_for(sender)
    different = envelope and envelope != sender
    envelope_settings = settings_for(envelope) if different else from_settings
    same = (
        from_settings is not None
        and envelope_settings is not None
        and from_settings.pk == envelope_settings.pk
    )
    chosen = from_settings if same else None
    row = _log_row(mail, sender, envelope, recipient, chosen)
    drop, silent = _automatic(headers, envelope_sender)

    def decide(row, sent_before):
        if drop:
            _close(row, Outcome.DROPPED, Refusal(AUTOMATIC, "automatyczna wiadomość"))
        elif chosen is None:
            _close(row, Outcome.DROPPED, Refusal(UNKNOWN_SENDER, "nieznany nadawca"))
            logger.info("sms2email: mail from unknown sender %r dropped", sender)
        else:
            _decide(row, mail, chosen, target, answer=not silent, sent_before=sent_before)

    return _logged_once(row, decide)


def _handle_ups(mail: _Mail, sender, envelope, recipient, target) -> InboundMail | None:
    chosen = (
        Sms2EmailSettings.objects.select_related("service")
        .filter(ups_subdomain=target.subdomain)
        .first()
    )
    row = _log_row(mail, sender, envelope, recipient, chosen)

    def decide(row, sent_before):
        if chosen is None:
            # seed 000 §5.1.2: after "regeneruj" the old subdomain is no one's.
            _close(row, Outcome.DROPPED, Refusal(UNKNOWN_SUBDOMAIN, "nieznana subdomena UPS"))
            logger.info("sms2email: UPS mail to unknown subdomain %r dropped", target.subdomain)
        elif not all(_ups_sender(chosen, a) for a in {sender, envelope or sender}):
            refusal = Refusal(UPS_SENDER, "Nadawca nie jest systemem powiadomień UPS.")
            _close(row, Outcome.REFUSED, refusal)
        else:
            _decide(row, mail, chosen, target, answer=False, sent_before=sent_before)

    return _logged_once(row, decide)


def _ups_sender(settings_row: Sms2EmailSettings, address: str) -> bool:
    if not address:
        return False
    if listed(address, settings.UPS_SENDERS):
        return True
    owner = settings_for(address)
    return owner is not None and owner.pk == settings_row.pk


def _logged_once(row: InboundMail, decide) -> InboundMail | None:
    # Everything a mail does, its log row included, is one transaction, which begins
    # by holding the mail's lock (its sender and Message-ID: its other deliveries
    # wait, other mail does not) and reading, in one query, whether this address of
    # it was handled before (a copy: nothing is done) and how many numbers its other
    # addresses sent to ("Maks. ilość numerów w mailu"). ``decide(row, sent_before)``
    # then does what the mail asks, and the row goes in last, in one INSERT: while
    # the service's balance row is locked by the charge until the commit, this
    # transaction holds it for that INSERT and the commit alone (mails for one
    # service are charged one after another on that lock). The row's unique key
    # stays the last word: a copy that got past the lock (none should) fails there
    # and undoes everything, and the door answers "try later".
    with transaction.atomic():
        _lock_mail(row)
        handled, sent_before = _earlier_deliveries(row)
        if handled:
            logger.info("sms2email: %s from %s handled before; ignored", row.mail_id, row.sender)
            return None
        decide(row, sent_before)
        row.save(force_insert=True)
    return row


def _earlier_deliveries(row: InboundMail) -> tuple[bool, int]:
    """(whether the mail was handled for this address before, the numbers the
    messages it became for its other addresses went to)."""
    with connection.cursor() as cursor:
        cursor.execute(_earlier_sql(), [row.recipient, Outcome.SENT, row.sender, row.mail_id])
        handled, sent = cursor.fetchone()
    return bool(handled), sent or 0


@functools.cache
def _earlier_sql() -> str:
    # Written out once: every mail asks, and the ORM's aggregates over the join cost
    # more to build than to run.
    quote = connection.ops.quote_name
    mail, message = InboundMail._meta, Message._meta

    def column(meta, name):
        return quote(meta.get_field(name).column)

    return f"""
        SELECT COUNT(CASE WHEN i.{column(mail, "recipient")} = %s THEN 1 END),
               SUM(CASE WHEN i.{column(mail, "outcome")} = %s
                        THEN m.{column(message, "recipient_count")} END)
        FROM {quote(mail.db_table)} i
        LEFT JOIN {quote(message.db_table)} m
               ON m.{quote(message.pk.column)} = i.{column(mail, "message")}
        WHERE i.{column(mail, "sender")} = %s AND i.{column(mail, "mail_id")} = %s
    """  # noqa: S608 - only the models' own table and column names are written in


def _close(row: InboundMail, outcome: str, refusal: Refusal | None = None, *, answer=False):
    row.outcome = outcome
    if refusal is not None:
        row.reason, row.detail, row.code = refusal.reason, refusal.detail[:500], refusal.code
    if answer and outcome == Outcome.REFUSED:
        _answer(row)


def _answer(row: InboundMail) -> None:
    """Queue the reply: one per mail, however many addresses of ours it went to, and
    within the service's hourly limit of mail (mailbridge.outbound), which counts
    replies too: a forged From: of an authorised address must not make the platform
    mail whatever Subject it likes to that address without end."""
    # Under the mail's lock (_logged_once): two deliveries of it answer one after the other.
    answered = (
        InboundMail.objects.filter(sender=row.sender, mail_id=row.mail_id)
        .exclude(reply_state=ReplyState.NONE)
        .exists()
    )
    if answered:
        return
    now = timezone.now()
    if outbound.over_hourly_limit(row.service_id, now):
        row.reply_state = ReplyState.LIMITED
        logger.warning("sms2email: service %s is over its hourly mail; reply kept", row.service_id)
        return
    row.reply_state = ReplyState.PENDING
    row.reply_due_at = now
    replies.send_after_commit()


def _lock_mail(row: InboundMail) -> None:
    """Hold a lock on the mail (its sender and Message-ID) until the transaction ends:
    its other deliveries wait, other mail does not."""
    xactlock.hold(f"sms2email-mail:{row.sender}\x1f{row.mail_id}")


def _decide(
    row, mail: _Mail, settings_row: Sms2EmailSettings, target, *, answer: bool, sent_before: int
) -> None:
    refusal = _refusal(row, mail, settings_row, target, sent_before)
    if isinstance(refusal, Refusal):
        _close(row, Outcome.REFUSED, refusal, answer=answer)
        return
    row.message = refusal
    _close(row, Outcome.SENT)


def _refusal(row, mail: _Mail, settings_row, target, sent_before: int):
    """A Refusal, or the Message the mail became."""
    service = settings_row.service
    if not settings_row.enabled:
        return Refusal(SMS2EMAIL_OFF, "Interfejs Sms2Email tej usługi jest wyłączony.")
    state = service.sending_refusal()
    if state is not None:
        return _state_refusal(state)
    if isinstance(target, parse.Ups):
        return _ups_message(mail, settings_row, target)
    body, encrypted = mail.body()
    if isinstance(body, Refusal):
        return body
    if not encrypted and settings_row.require_pgp:
        return Refusal(
            PGP_REQUIRED, "Usługa przyjmuje tylko wiadomości zaszyfrowane kluczem PGP platformy."
        )
    password = settings_row.password
    parsed = parse.parse_body(
        body.text,
        target=target,
        password=password,
        now=timezone.now(),
        password_expected=settings_row.accept_password and not settings_row.accept_unsecured,
    )
    if isinstance(parsed, parse.BodyError):
        if encrypted and parsed.reason == parse.INVALID_NUMBER:
            # The reply goes out in clear: it must not quote what was encrypted.
            detail = "Jeden z numerów w sekcji parametrów nie jest poprawnym numerem komórkowym."
            return Refusal(parsed.reason, detail, parsed.code)
        return Refusal(parsed.reason, parsed.detail, parsed.code)
    security = _security(settings_row, parsed, password, mail)
    if security is not None:
        return security
    too_many = _too_many_numbers(settings_row, len(parsed.numbers), sent_before)
    if too_many is not None:
        return too_many
    request = services.SendRequest(
        recipients=list(parsed.numbers),
        text=parsed.text,
        flash=parsed.flash,
        send_at=parsed.send_at,
        source=Source.EMAIL,
    )
    try:
        return services.submit(service.pk, request).message
    except services.SendError as exc:
        return _send_refusal(exc)


def _too_many_numbers(settings_row: Sms2EmailSettings, wanted: int, taken: int):
    """A refusal when the mail would send to more numbers than "Maks. ilość numerów w
    mailu": the ``taken`` its other recipient addresses already sent to count (five
    easy-mode addresses are five numbers), in this delivery or an earlier one (a
    client sends the recipients a server answered 452 in a later transaction, same
    Message-ID; ``_logged_once`` counts them under the mail's lock)."""
    limit = settings_row.max_numbers
    if wanted > limit:  # too many whatever the mail's other addresses sent
        return Refusal(
            TOO_MANY_NUMBERS,
            f"Mail zawiera {wanted} numerów, a ustawienie „Maks. ilość numerów w mailu” "
            f"pozwala na {limit}.",
        )
    if taken + wanted <= limit:
        return None
    return Refusal(
        TOO_MANY_NUMBERS,
        f"Ten mail wysłał już SMS-y na {taken} numerów (na inne adresy tej samej "
        f"wiadomości), a ustawienie „Maks. ilość numerów w mailu” pozwala na {limit}: "
        f"pozostałych {wanted} numerów nie wysłano.",
    )


def _ups_message(mail: _Mail, settings_row: Sms2EmailSettings, target: parse.Ups):
    """The Message a UPS notification became, or the Refusal (never answered)."""
    if not settings_row.ups_enabled:
        return Refusal(UPS_OFF, "Obsługa e-maili z UPS jest w tej usłudze wyłączona.")
    body = mail.plain()  # UPS never encrypts: nothing is decrypted
    if isinstance(body, parse.BodyError):
        return Refusal(body.reason, body.detail, body.code)
    shipment = ups.parse_notification(body.text) if isinstance(body, mime.MailText) else None
    if shipment is None:
        return Refusal(
            NOT_A_NOTIFICATION,
            "E-mail nie jest powiadomieniem UPS o wysyłce: brak numeru przesyłki (1Z…), "
            "liczby paczek lub wagi.",
        )
    request = services.SendRequest(
        recipients=[target.number], text=ups.sms_text(shipment), source=Source.EMAIL
    )
    try:
        return services.submit(settings_row.service.pk, request).message
    except services.SendError as exc:
        return _send_refusal(exc)


def _decrypted_body(encrypted: mime.Encrypted) -> mime.MailText | Refusal:
    try:
        plaintext = pgp.decrypt(encrypted.armoured)
    except pgp.TooLarge as exc:
        return Refusal(
            PGP_TOO_LARGE,
            f"Odszyfrowana treść wiadomości ma ponad {exc.args[0] // 1024} KB: zaszyfruj "
            "samą treść SMS-a (bez załączników) i wyślij ją ponownie.",
        )
    except pgp.TooManyKeys as exc:
        return Refusal(
            PGP_TOO_MANY_KEYS,
            f"Wiadomość zaszyfrowano dla ponad {exc.args[0]} odbiorców naraz: zaszyfruj ją "
            "kluczem Sms2Email (i ewentualnie swoim) i wyślij ponownie.",
        )
    if plaintext is None:
        return Refusal(
            PGP_NOT_OURS,
            "Nie można odszyfrować wiadomości kluczem PGP platformy: zaszyfruj ją kluczem "
            "publicznym Sms2Email (do pobrania pod adresem /sms2email/key.asc). Jeśli był to "
            "ten klucz, wiadomość została uszkodzona po drodze.",
        )
    body = mime.plaintext_of(encrypted, plaintext)
    if isinstance(body, parse.BodyError):
        return Refusal(body.reason, body.detail, body.code)
    if isinstance(body, mime.Encrypted):
        return Refusal(
            PGP_NESTED,
            "Odszyfrowana treść jest znów zaszyfrowana: zaszyfruj treść SMS-a tylko raz.",
        )
    return body


def _security(settings_row: Sms2EmailSettings, parsed, password: str, mail: _Mail):
    """None when the mail passes the service's security modes (seed 000 §3.5–3.8)."""
    if settings_row.accept_unsecured:
        return None
    if settings_row.accept_password and parsed.password_given:
        return None
    if parsed.md5 is not None:
        if not settings_row.accept_md5:
            return Refusal(MD5_OFF, "Zabezpieczenie md5 jest w tej usłudze wyłączone.")
        return _check_md5(settings_row, parsed.md5, password, mail)
    if not (settings_row.accept_password or settings_row.accept_md5):
        return Refusal(
            NO_SECURITY,
            "Usługa nie przyjmuje żadnego rodzaju zabezpieczeń; włącz hasło lub md5 "
            "w konfiguracji Sms2Email.",
        )
    return Refusal(PASSWORD_MISSING, "Brak poprawnego hasła w sekcji parametrów.")


def _check_md5(settings_row: Sms2EmailSettings, md5, password: str, mail: _Mail):
    if md5.digest != parse.md5_digest(password, md5.timestamp):
        return Refusal(MD5_INVALID, "Skrót md5 nie zgadza się z hasłem i znacznikiem czasu.")
    now = timezone.now()
    window = settings_row.md5_window
    if abs(now.timestamp() - md5.timestamp) > window:
        return Refusal(
            MD5_OUTSIDE_WINDOW,
            f"Znacznik czasu md5 różni się od czasu przyjęcia o więcej niż {window} s.",
        )
    if md5.digest in mail.md5_recorded:
        return None  # another address of this same delivery recorded it
    expires = datetime.fromtimestamp(md5.timestamp, UTC) + timedelta(seconds=window)
    try:
        with transaction.atomic():
            UsedMd5.objects.create(
                service=settings_row.service, digest=md5.digest, expires_at=expires
            )
    except IntegrityError:
        return Refusal(MD5_REUSED, "Ta linia md5 została już użyta; każdy mail wymaga nowej.")
    mail.md5_recorded.add(md5.digest)
    return None


# The pipeline's refusals in the sender's words and Załącznik 1 codes: (reason,
# detail, code). Read by class, nearest ancestor first (lib.classtable): a
# refusal added later is an internal error (1001, logged for staff), never an
# unanswered mail; tests/mailbridge/test_send_refusals.py fails until it is named.
INTERNAL_ERROR = ("internal", "Błąd wewnętrzny.", 1001)
SEND_REFUSALS: dict[type[services.SendError], tuple[str, str, int | None]] = {
    services.SendError: INTERNAL_ERROR,
    services.InsufficientFunds: (
        "insufficient_funds",
        "Brak środków na koncie usługi na wysłanie tych SMS-ów.",
        201,
    ),
    services.RecipientListEmpty: (
        "invalid_number",
        "Żaden numer nie jest poprawnym numerem komórkowym.",
        401,
    ),
    services.AllStopped: (
        "stoplisted",
        "Wszystkie numery są na liście STOP (ich właściciele zrezygnowali z SMS-ów).",
        401,
    ),
    services.MessageTooLong: ("too_long", "Wiadomość jest zbyt długa.", 402),
    services.TooManyRecipients: ("too_many_numbers", "Zbyt wiele numerów w jednym mailu.", None),
    services.EmptyText: ("empty_text", "Treść SMS-a jest pusta.", None),
    services.ContentWarning: (
        "content_warning",
        "Treść może zostać zablokowana przez operatorów, więc SMS nie został wysłany.",
        None,
    ),
    services.ScheduleTooFar: (
        "schedule_too_far",
        "Czas wysyłki może być najwyżej trzy miesiące naprzód.",
        None,
    ),
    # Worded by the service's state in _send_refusal (Załącznik 1: 101–106).
    services.ServiceRefused: (SERVICE_REFUSED, "Wysłanie SMS nie jest możliwe.", None),
    # A mail names no sender, report URL or user flag, and a send is never a
    # lookup of a message or an incoming SMS: one of these is our fault.
    services.SenderNotRegistered: INTERNAL_ERROR,
    services.SenderNotVerified: INTERNAL_ERROR,
    services.InvalidNotifyUrl: INTERNAL_ERROR,
    services.InvalidUserFlag: INTERNAL_ERROR,
    services.MessageNotFound: INTERNAL_ERROR,
    services.MessageInFlight: INTERNAL_ERROR,
    services.IncomingTooLong: INTERNAL_ERROR,
}


def _send_refusal(exc: services.SendError) -> Refusal:
    """The pipeline's refusal, in the sender's words and Załącznik 1 codes."""
    if isinstance(exc, services.ServiceRefused) and exc.state in STATE_TEXT:
        return _state_refusal(exc.state)
    answer = classtable.lookup(SEND_REFUSALS, exc)
    if answer is INTERNAL_ERROR:
        logger.error("sms2email: the pipeline refused a mail: %r", exc)
    return Refusal(*answer)


def _state_refusal(state: int) -> Refusal:
    """A service that may not send, in its state's Załącznik 1 text and code."""
    return Refusal(SERVICE_REFUSED, f"Wysłanie SMS nie jest możliwe: {STATE_TEXT[state]}.", state)
