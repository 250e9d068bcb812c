"""The SMSC-compatible endpoints: ``/sys/status.php``, ``senders.php``, ``send.php``,
``balance.php`` (SPEC §6).

Each reads its fields (``messaging.smsc.wire``), admits the caller exactly as
the Telecube API does (``accounts.apiauth``: the same allowlist, failed-login
block and cached credentials; ``psw`` may be the password's MD5), does its work
through the same service functions (``messaging.services``,
``accounts.senders``), and answers HTTP 200 in the asked format, errors
included: SMSC clients take any other status for a network failure.
"""

import functools
import logging
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.db import DatabaseError
from django.http import HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from accounts import apiauth, ledger, senders
from lib import dbstate
from lib.clientaddress import request_address
from messaging import numbers, services
from messaging.choices import Source

from . import codes, limits, wire

logger = logging.getLogger(__name__)

# Pairs in one mass status request (our own driver asks for up to 5,000).
MAX_STATUS_PAIRS = 5000
# Pairs in one del=1 request; more is error 1 (seed 003 sets no number). A
# delete writes every pair's row and locks its messages until it commits, where
# a status request only reads: 1,000 pairs take about 0.2 s of a web worker,
# 5,000 about 0.5 s. With error 9 (one mass delete a minute) this bounds what
# one login makes the database write; what one mass status request read is
# deleted in five requests.
MAX_DELETE_PAIRS = 1000
MAX_KEY_LENGTH = 64


def _error(code_and_description: tuple[int, str], id: str = "") -> wire.WireError:
    code, description = code_and_description
    return wire.WireError(code, description, id=id)


def endpoint(handler):
    """Read the fields, admit the caller, run ``handler``, answer in fmt and charset."""

    @csrf_exempt
    @require_http_methods(["GET", "POST"])
    @functools.wraps(handler)
    def view(request):
        fmt, charset, fields = 0, wire.DEFAULT_CHARSET, None
        try:
            fields, charset = _fields(request)
            fmt = wire.fmt_of(fields)
            wire.charset_name(fields.get("charset"))
            identity = _admit(request, fields)
            text = handler(fields, identity, fmt)
        except DatabaseError as exc:
            if not dbstate.unavailable(exc):
                raise
            # The database cannot serve: SMSC's "wait and send again".
            logger.warning("SMSC call without a database: %s", exc)
            text = wire.error(_error(codes.UNAVAILABLE), fmt)
        except wire.WireError as exc:
            if fields is None:
                # The body could not be read: answer in the fmt the query string asks.
                fmt, charset = _query_format(request)
            text = wire.error(exc, fmt)
        body, content_type = wire.encode(text, fmt, charset)
        return HttpResponse(body, content_type=content_type, status=200)

    return view


def _query_format(request) -> tuple[int, str]:
    query = request.META.get("QUERY_STRING", "").encode("latin-1", "replace")
    try:
        fields, charset = wire.read_fields(query, b"")
    except wire.WireError:  # a query string of too many fields
        return 0, wire.DEFAULT_CHARSET
    try:
        return wire.fmt_of(fields), charset
    except wire.WireError:
        return 0, charset


def _fields(request) -> tuple[dict[str, str], str]:
    query = request.META.get("QUERY_STRING", "").encode("latin-1", "replace")
    body = b""
    try:
        if request.method == "POST":
            # Django checks the declared length of a form body, not of a multipart one,
            # whose files it spools to disk: no SMSC request is larger than this.
            if int(request.META.get("CONTENT_LENGTH") or 0) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
                raise _error(codes.PARAMETERS)
            if request.content_type == "multipart/form-data":
                # Parsed by Django (UTF-8); SMSC clients post url-encoded forms.
                fields, charset = wire.read_fields(query, b"")
                fields.update(wire.without_nul(dict(request.POST.items())))
                return fields, charset
            body = request.body
    except (RequestDataTooBig, TooManyFieldsSent, MultiPartParserError, ValueError):
        raise _error(codes.PARAMETERS) from None
    return wire.read_fields(query, body)


def _admit(request, fields) -> apiauth.ApiIdentity:
    login, password = fields.get("login") or "", fields.get("psw") or ""
    if not login.strip() or not password:
        raise _error(codes.AUTHORISE)
    try:
        identity = apiauth.by_credentials(
            request_address(request), login, password, md5_allowed=True
        )
    except apiauth.Refused as refused:
        blocked = refused.reason == refused.BLOCKED
        raise _error(codes.IP_BLOCKED if blocked else codes.AUTHORISE) from None
    if not identity.smsc_api:
        # Switched off in the panel (Interfejsy): the protocol's login error.
        raise _error(codes.AUTHORISE)
    return identity


# -- status.php ---------------------------------------------------------------------------


def _message_id(id_text: str) -> int | None:
    """A message id as the client wrote it, if it can be one (a bigint: < 19 digits)."""
    if id_text.isascii() and id_text.isdigit() and len(id_text) < 19:
        return int(id_text)
    return None


def _status_rows(service_id: int, pairs: list[tuple[str, str]], detail: int):
    keys = [(_message_id(id_text), numbers.normalise_msisdn(phone)) for id_text, phone in pairs]
    named = [key for key in keys if None not in key]
    found = services.find_recipients(service_id, named, with_text=detail > 0)
    rows = []
    for (id_text, phone), key in zip(pairs, keys, strict=True):
        recipient = found.get(key)
        if recipient is None:
            rows.append(
                wire.StatusRow(id=id_text, phone=phone, found=False, status=codes.NOT_FOUND)
            )
            continue
        rows.append(_row(id_text, recipient, detail, key[1]))
    return rows


def _row(id_text: str, recipient, detail: int, number: str) -> wire.StatusRow:
    """``number``: the client's, normalised; the stored one is masked once archived
    (messaging.retention), and the client's own number tells it nothing new."""
    message = recipient.message
    code, err = codes.STATUS_CODES[recipient.status]
    kind = 1 if message.flash else 0
    extra = {}
    if detail >= 1:
        own = services.as_sent(recipient)
        extra = {
            "sent": timezone.localtime(message.send_at),
            "cost": wire.money(Decimal(0) if recipient.refunded else own.price),
            "sender": message.sender,
            "status_name": codes.STATUS_NAMES[code],
            "message": own.text,
            "comment": message.user_flag,
            "sms_cnt": own.parts,
        }
    if detail == 2:
        mccmnc, country, operator, region = numbers.network_of(number)
        extra.update(
            mccmnc=mccmnc, country=country, operator=operator, operator_orig=operator, region=region
        )
    return wire.StatusRow(
        id=id_text,
        phone=number,
        status=code,
        err=err,
        last_changed=timezone.localtime(recipient.status_at),
        flag=kind,
        type=kind,
        **extra,
    )


@endpoint
def status(fields, identity, fmt) -> str:
    """Statuses of one or many (phone, id) pairs, or ``del=1`` (seed 003)."""
    ids_text, phones_text = fields.get("id") or "", fields.get("phone") or ""
    if not ids_text.strip() or not phones_text.strip():
        raise _error(codes.PARAMETERS)
    many = wire.is_list(ids_text) or wire.is_list(phones_text)
    ids, phones = wire.split_list(ids_text), wire.split_list(phones_text)
    if len(ids) != len(phones) or len(ids) > MAX_STATUS_PAIRS or not all(ids) or not all(phones):
        raise _error(codes.PARAMETERS)
    detail = wire.choice(fields, "all", (0, 1, 2))
    pairs = list(zip(ids, phones, strict=True))
    deleting = wire.flag(fields, "del")
    if deleting and len(pairs) > MAX_DELETE_PAIRS:
        raise _error(codes.PARAMETERS)
    if not _within_limits("del" if deleting else "status", identity.service_id, many, pairs[0]):
        raise _error(codes.TOO_MANY)
    if deleting:
        return _delete(identity.service_id, pairs, fmt)
    return wire.status(_status_rows(identity.service_id, pairs, detail), fmt, detail, many)


def _within_limits(kind: str, service_id: int, many: bool, first: tuple[str, str]) -> bool:
    """seed 003's error 9: a second mass request, or a sixth for one message, in a minute.

    A delete is a status.php request (seed 003: its parameters and errors are
    the status request's), so the same limits apply; it is counted apart
    (``kind``) so that a client that reads its statuses and then deletes the
    final ones, in the same minute, is not refused.
    """
    if many:
        return limits.within(f"{kind}-mass", service_id, limits.STATUS_MASS)
    # The same message however its id and phone are spelt ("007", "+48 600…").
    id_text, phone = first
    message_id, number = _message_id(id_text), numbers.normalise_msisdn(phone)
    return limits.within(
        kind,
        service_id,
        limits.STATUS_SAME_MESSAGE,
        id_text if message_id is None else str(message_id),
        number or phone,
    )


def _delete(service_id: int, pairs, fmt) -> str:
    """Delete the SMS each (id, phone) names (seed 003: a status is per id and phone), all
    or none: any pair that cannot be deleted is error 5 and leaves everything as it was
    (messaging.services.delete_recipients, which says what a deleted SMS is)."""
    wanted = []
    for id_text, phone in pairs:
        message_id, number = _message_id(id_text), numbers.normalise_msisdn(phone)
        if message_id is None or number is None:
            raise _error(codes.DELETE_ERROR)
        wanted.append((message_id, number))
    try:
        services.delete_recipients(service_id, wanted)
    except services.SendError:
        # Not found, another customer's, already deleted, not final yet: seed 003
        # has one code for them all.
        raise _error(codes.DELETE_ERROR) from None
    return wire.ok(fmt)


# -- senders.php --------------------------------------------------------------------------

SENDER_OPERATIONS = ("get", "add", "chg", "send_code", "check_code", "del")


def _sender_error(name: str) -> wire.WireError:
    return _error(codes.SENDER_ERRORS[name])


@endpoint
def senders_api(fields, identity, fmt) -> str:
    """List, add, change, confirm by code and delete sender names (seed 004)."""
    asked = [name for name in SENDER_OPERATIONS if wire.flag(fields, name)]
    if len(asked) != 1:
        raise _error(codes.PARAMETERS)
    operation = asked[0]
    service_id = identity.service_id
    if operation == "get":
        return _list_senders(service_id, fields, fmt)
    if operation == "add":
        if not limits.within("senders-add", service_id, limits.SENDERS_CREATE):
            raise _sender_error("too_many")
        try:
            sender = senders.add(service_id, fields.get("sender") or "", fields.get("cmt") or "")
        except senders.InvalidName:
            raise _error(codes.PARAMETERS) from None
        except senders.NotSaved:
            raise _sender_error("not_saved") from None
        return wire.sender_added(sender.pk, fmt)
    sender = _find_sender(service_id, fields)
    if operation == "chg":
        senders.change(sender, fields.get("cmt") or "")
    elif operation == "del":
        try:
            senders.delete(sender)
        except Exception:
            logger.exception("sender %s could not be deleted", sender.pk)
            raise _sender_error("not_saved") from None
    elif operation == "send_code":
        _send_code(service_id, sender)
    else:
        try:
            senders.check_code(sender, fields.get("code") or "")
        except senders.WrongCode:
            raise _sender_error("wrong_code") from None
    return wire.ok(fmt)


def _find_sender(service_id: int, fields):
    name, pk = fields.get("sender") or "", fields.get("id") or ""
    if not name.strip() and not pk.strip():
        raise _error(codes.PARAMETERS)
    try:
        if name.strip():
            return senders.find(service_id, name=name)
        return senders.find(service_id, pk=pk)
    except senders.NotFound:
        raise _sender_error("not_found") from None


def _send_code(service_id: int, sender) -> None:
    try:
        services.send_sender_code(service_id, sender.pk)
    except senders.NotANumber:
        raise _sender_error("number") from None
    except senders.CodeAlreadySent:
        raise _sender_error("code_sent") from None
    except services.SendError:
        # No funds, the service may not send, the number takes no SMS.
        raise _sender_error("undeliverable") from None


def _list_senders(service_id: int, fields, fmt) -> str:
    with_status = wire.choice(fields, "all", (0, 1)) == 1
    operators = wire.choice(fields, "operators", (0, 1)) == 1
    asked = "\x1f".join(f"{k}={fields.get(k, '')}" for k in ("all", "operators", "fmt"))
    if not limits.within("senders-list", service_id, limits.SENDERS_SAME_LIST, asked):
        raise _sender_error("too_many")
    # seed 004: all=0 lists the names registered and allowed for use.
    found = senders.listed(service_id, allowed_only=not (with_status or operators))
    rows = [
        wire.SenderRow(name=s.name, status=s.status, operators=s.operator_statuses()) for s in found
    ]
    return wire.senders(rows, fmt, with_status=with_status, operators=operators)


# -- send.php -----------------------------------------------------------------------------


@endpoint
def send(fields, identity, fmt) -> str:
    """Send one text to a list of numbers, or (``list``) a text per number; ``cost=1``
    prices it only (SPEC §6)."""
    client_id = (fields.get("id") or "").strip()
    if client_id == "0":
        # The official clients send id=0 when the caller gave none: not a key, or
        # every such send would answer as the first one and send nothing.
        client_id = ""
    if len(client_id) > MAX_KEY_LENGTH:
        raise _error(codes.PARAMETERS)
    phones, text = fields.get("phones") or "", fields.get("mes") or ""
    try:
        cost_mode = wire.choice(fields, "cost", (0, 1, 2, 3))
        texts = None
        if (fields.get("list") or "").strip():
            # A text per number (SMSC's list=): the personalised path of the pipeline.
            recipients, texts = wire.send_list(fields["list"])
        elif not phones.strip() or not text.strip():
            raise _error(codes.PARAMETERS)
        else:
            recipients = phones.replace(";", ",").split(",")
        request = services.SendRequest(
            recipients=recipients,
            texts=texts,
            text=text,
            sender=fields.get("sender") or "",
            send_at=wire.send_time(fields.get("time"), timezone.localtime()),
            flash=wire.flag(fields, "flash"),
            remove_special_characters=(fields.get("translit") or "0").strip() not in ("", "0"),
            source=Source.SMSC,
        )
    except wire.WireError as exc:
        exc.id = client_id
        raise
    try:
        if cost_mode == 1:
            priced = services.estimate(identity.service_id, request)
            if priced.problem is not None:
                raise priced.problem
            count = priced.part_total
            return wire.sent(wire.Sent(id=0, count=count, cost=wire.money(priced.price)), fmt, 1)
        if client_id:
            answer, _repeated = services.submit_once(
                identity.service_id, client_id, request, _answer
            )
        else:
            # The balance costs a query: read only when the answer shows it.
            answer = _answer(services.submit(identity.service_id, request), cost_mode == 3)
    except services.SendError as exc:
        raise _error(codes.send_error(exc), id=client_id) from None
    return wire.sent(wire.Sent(**answer), fmt, cost_mode)


def _answer(accepted: services.Accepted, with_balance: bool = True) -> dict:
    """The answer's figures; a kept answer (a client id) always has the balance, as a
    repeat may ask for it."""
    message = accepted.message
    answer = {
        "id": message.pk,
        "count": accepted.part_total,
        "cost": wire.money(message.price),
        "balance": "",
    }
    if with_balance:
        answer["balance"] = wire.money(ledger.funds(message.service_id).balance)
    return answer


# -- balance.php ----------------------------------------------------------------------------


@endpoint
def balance(fields, identity, fmt) -> str:
    funds = ledger.funds(identity.service_id)
    return wire.balance(wire.money(funds.balance), wire.money(funds.credit_limit), fmt)
