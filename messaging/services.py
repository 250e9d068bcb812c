"""The send pipeline: the one place that accepts messages, charges for them and refunds them.

The HTTP API, the panel's send form and the mail bridge parse and authenticate
in their own way, then hand a ``SendRequest`` to ``submit``. Errors are
exceptions carrying the request field at fault; each edge turns them into its
own words (the API's wire names live in ``messaging.api.errors``).

Charging takes the price from ``accounts.pricing``, asks the service
``may_send_after`` that price, and moves the money through ``accounts.ledger``
(``lock`` + ``apply_locked``) in the transaction that stores the message and
its recipients, so a refusal writes nothing and concurrent sends queue on the
service row and never overdraw. On PostgreSQL a send of up to
``COPY_THRESHOLD`` recipients is instead one statement (``pg.charge_and_store``,
the SQL mirror of that path, writing the same ledger entry); a larger one takes
the locked path and streams its recipients in with ``COPY``
(``pg.copy_recipients``).
"""

import calendar
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Case, Exists, OuterRef, Value, When
from django.utils import timezone

from accounts import ledger, ledger_reasons, pricing, quiet_hours, senders
from accounts.models import (
    LedgerKind,
    LedgerReason,
    Route,
    SenderId,
    SenderStatus,
    Service,
)
from gateways.models import GatewayPort
from lib import taskqueue

from . import callbacks, content, gsm7, numbers, pg, stoplist, transitions, windowed
from .models import (
    FAILURE_STATUSES,
    FINAL_STATUSES,
    IncomingMessage,
    Message,
    Recipient,
    SendKey,
    Source,
)
from .progress import Progress, keep_accepted
from .progress import of as progress_of

logger = logging.getLogger(__name__)

SCHEDULE_MONTHS = 3  # seed 001 §4d: up to three months ahead
# On PostgreSQL a send of up to this many recipients (the API's hot path is one)
# is one statement; a larger list takes the locked path and is streamed in with COPY.
COPY_THRESHOLD = 500
# The dispatcher lives a layer above (gateways), so it is named, not imported;
# the system check messaging.E001 (manage.py check, migrate, runserver,
# qcluster) fails if the name stops resolving.
DISPATCH_TASK = "gateways.tasks.dispatch"


class SendError(Exception):
    """A request the pipeline refuses; ``field`` names the request field at fault."""

    field: str | None = None

    def __init__(self, detail: str = "", *, field: str | None = None):
        super().__init__(detail or self.__class__.__name__)
        self.detail = detail
        if field is not None:
            self.field = field


class RecipientListEmpty(SendError):
    field = "to_list"


class AllStopped(RecipientListEmpty):
    """Every valid number is on the customer's or the platform's stoplist."""


class TooManyRecipients(SendError):
    field = "to_list"


class EmptyText(SendError):
    field = "message"


class MessageTooLong(SendError):
    """The text takes ``parts`` parts; the sender's route sends at most ``max_parts``.
    In a personalised send ``number`` names the first recipient whose own text is too long."""

    field = "message"

    def __init__(self, parts: int, max_parts: int, number: str = ""):
        whose = f"the text to {number}: " if number else ""
        super().__init__(f"{whose}{parts} parts; this route takes {max_parts}")
        self.parts = parts
        self.max_parts = max_parts
        self.number = number

    def __reduce__(self):
        # Rebuilt from its figures, not its text, when pickled or copied.
        return type(self), (self.parts, self.max_parts, self.number)


class ContentWarning(SendError):
    field = "message"


class SenderNotRegistered(SendError):
    field = "from"


class SenderNotVerified(SendError):
    field = "from"


class ScheduleTooFar(SendError):
    field = "send_datetime"


class InvalidNotifyUrl(SendError):
    field = "notify_url"


class InvalidUserFlag(SendError):
    field = "user_flag"


class InsufficientFunds(ledger.InsufficientFunds, SendError):
    """The ledger's refusal, as a refusal of the send (``needed``, ``available``)."""


class ServiceRefused(SendError):
    """The service may not send now; ``state`` is its code 101–106."""

    def __init__(self, state: int):
        super().__init__(f"service state {state}")
        self.state = state


class MessageNotFound(SendError):
    field = "message_id"


class MessageInFlight(SendError):
    """A message with recipients not yet final cannot be deleted (cancel it first)."""

    field = "message_id"


@dataclass
class SendRequest:
    """One send as an edge read it.

    ``texts``, when given, makes it a personalised send: one text per recipient,
    parallel to ``recipients`` (the i-th text goes to the i-th number; the two must
    be of one length, else ValueError). ``text`` is then not sent (an edge may keep
    the template there). Each text goes through the rules a message's text does
    (``remove_special_characters``, GSM-7/UCS-2 segmentation, the route's part
    limit, content rules, not empty): one text refused refuses the whole send, and
    the refusal names its number. Each recipient is priced by its own parts and
    the charge is their sum. A number given twice keeps its first text. The message
    keeps the most common text; only recipients whose text differs store their own
    (``Recipient.text``, ``parts``, ``price``).
    """

    recipients: Iterable[str]
    text: str
    sender: str = ""
    send_at: datetime | None = None
    flash: bool = False
    express: bool = False
    remove_special_characters: bool = False
    force: bool = False
    notify_url: str = ""
    user_flag: str = ""
    source: str = Source.API
    # to_file lines: every non-digit is dropped before a number is read.
    recipients_digits_only: bool = False
    texts: Sequence[str] | None = None


@dataclass
class Accepted:
    message: Message
    numbers: list[str]
    dropped: int
    segmentation: gsm7.Segmentation = field(repr=False)
    # Valid numbers left out as on the stoplist (messaging.stoplist).
    stopped: int = 0
    part_total: int = 0  # SMS parts of every recipient together (SMSC send.php's count)


@dataclass(frozen=True)
class SenderRoute:
    route: str
    sender: str
    max_parts: int = gsm7.MAX_PARTS


# -- the steps, each usable alone --------------------------------------------------------


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` plus calendar months, the day clamped to the month's end."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def schedule(send_at: datetime | None, now: datetime) -> datetime:
    """When to send: a past or missing time means now (seed 001 §4d)."""
    if send_at is None or send_at <= now:
        return now
    local_now = timezone.localtime(now)
    if send_at > add_months(local_now, SCHEDULE_MONTHS):
        raise ScheduleTooFar(f"at most {SCHEDULE_MONTHS} months ahead")
    return send_at


def resolve_sender(service_id: int, sender: str) -> SenderRoute:
    """Route for ``from`` (SPEC §7): empty → standard, own GSM alias → that port,
    an allowed sender ID → premium."""
    sender = (sender or "").strip()
    if not sender:
        return SenderRoute(Route.STANDARD, "")
    candidates = {sender}
    as_number = numbers.normalise_msisdn(sender)
    if as_number:
        candidates |= numbers.spellings(as_number)
    port = _own_ports(service_id).filter(alias=sender).first()
    if port is not None:
        return _port_route(port)
    found = SenderId.objects.filter(service_id=service_id, name__in=candidates).first()
    if found is None:
        # Another customer's alias is reported exactly like an unknown name.
        raise SenderNotRegistered(f"{sender!r} is not a sender ID of this service")
    why_not = _why_not_usable(found)
    if why_not:
        raise SenderNotVerified(f"{sender!r} is {why_not}")
    return SenderRoute(Route.PREMIUM, found.name)


def usable_senders(service_id: int) -> list[SenderRoute]:
    """Every non-empty ``from`` that ``resolve_sender`` accepts, routed as it routes it:
    the allowed sender IDs (a number also confirmed) by name, then the GSM aliases.
    The panel's sender list, so that it offers exactly what ``submit`` takes."""
    routes = [
        SenderRoute(Route.PREMIUM, found.name)
        for found in SenderId.objects.filter(service_id=service_id).order_by("name")
        if not _why_not_usable(found)
    ]
    return routes + [_port_route(port) for port in _own_ports(service_id).order_by("alias")]


def _own_ports(service_id: int):
    """The service's GSM ports a message may leave by: the enabled ones."""
    return GatewayPort.objects.filter(service_id=service_id, enabled=True).select_related("gateway")


def _port_route(port: GatewayPort) -> SenderRoute:
    # seed 001 §8d: the customer's own GSM port, with its vendor's part limit.
    return SenderRoute(Route.OWN_GATEWAY, port.alias, port.max_parts)


def _why_not_usable(found: SenderId) -> str:
    """Why a sender ID of the service may not be ``from`` yet ("" when it may)."""
    if found.status != SenderStatus.ALLOWED:
        return found.get_status_display()
    if found.is_phone and found.confirmed_at is None:
        return "not confirmed by the code sent to it"
    return ""


_url_validator = URLValidator(schemes=["http", "https"])


def check_notify_url(url: str) -> str:
    url = (url or "").strip()
    if not url:
        return ""
    if len(url) > 500:
        raise InvalidNotifyUrl("longer than 500 characters")
    try:
        _url_validator(url)
    except ValidationError:
        raise InvalidNotifyUrl("not an http:// or https:// URL") from None
    return url


def prepare_text(text: str, remove_special: bool) -> tuple[str, gsm7.Segmentation]:
    """The text as it is sent and its segmentation (``_prepare`` refuses an empty one)."""
    if remove_special:
        text = gsm7.remove_special_characters(text)
    return text, gsm7.count_parts(text)


# -- submit --------------------------------------------------------------------------


@dataclass
class Estimate:
    """What the send form shows as the customer types: counted by the rules ``submit``
    applies, and never refused (``problem`` says what ``submit`` would refuse first)."""

    characters: int
    encoding: str
    units: int
    parts: int
    max_parts: int
    ucs2_because: str
    numbers: int
    dropped: int
    express: bool
    recipient_price: Decimal
    price: Decimal
    balance_after: Decimal
    problem: SendError | None = None
    stopped: int = 0
    # A personalised send's range (for another, each equals characters / parts).
    shortest: int = 0
    longest: int = 0
    parts_min: int = 0
    parts_max: int = 0
    part_total: int = 0  # SMS parts of every recipient together
    send_at: datetime | None = None  # when it would leave (None when refused)


def estimate(service_id: int, request: SendRequest) -> Estimate:
    """What ``request`` would cost now, with nothing written: the panel's counter and
    SMSC ``cost=1``. Counted by ``submit``'s own steps (``_read``, ``_prepare``, the
    price, the funds check); ``problem`` holds the first refusal, and the figures are
    what ``_read`` read whether or not a check refused."""
    service = Service.objects.select_related("tariff").get(pk=service_id)
    draft = _read(service_id, request)
    problem, send_at = None, None
    try:
        send_at = _prepare(service_id, request, draft).send_at
    except SendError as exc:
        problem = exc
    segmentation = draft.segmentation
    each = pricing.recipient_price(
        service.tariff, draft.route.route, segmentation.parts, draft.express
    )
    price = each * len(draft.found)
    lengths, part_counts = [len(draft.text)], [segmentation.parts]
    if draft.own is not None:
        prices = draft.own.prices(service.tariff, draft.route.route, draft.express)
        price = draft.own.total(prices, each)
        lengths = [len(text) for text in draft.own.segmentations]
        part_counts = [seg.parts for seg in draft.own.segmentations.values()]
    if problem is None:
        try:
            _check_may_pay(service, price)
        except SendError as exc:
            problem = exc
    return Estimate(
        characters=len(draft.text),
        encoding=segmentation.encoding,
        units=segmentation.units,
        parts=segmentation.parts,
        max_parts=draft.route.max_parts,
        ucs2_because=gsm7.first_outside(draft.text),
        numbers=len(draft.found),
        dropped=draft.dropped,
        express=draft.express,
        recipient_price=each,
        price=price,
        balance_after=service.balance - price,
        problem=problem,
        stopped=draft.stopped,
        shortest=min(lengths),
        longest=max(lengths),
        parts_min=min(part_counts),
        parts_max=max(part_counts),
        part_total=_part_total(draft),
        send_at=send_at,
    )


def submit(service_id: int, request: SendRequest) -> Accepted:
    """Validate, price, charge and store one message; raises a ``SendError`` subclass.

    All checks run before the transaction; inside it the service row is locked,
    its state and funds checked, the message, its charge and its recipients
    written. A refusal writes nothing and charges nothing.
    """
    draft = _read(service_id, request, may_defer_stops=True)
    try:
        message = _prepare(service_id, request, draft)
    except SendError:
        if not draft.stops_deferred:
            raise
        # Refused before the STOP lists were read: read them first, as always, so that
        # a send to stopped numbers only is refused as such whatever else is amiss.
        draft = _read(service_id, request)
        message = _prepare(service_id, request, draft)
    if pg.in_use() and len(draft.found) <= COPY_THRESHOLD:
        draft, message = _send_in_one_statement(service_id, request, draft, message)
    else:
        _charge_and_store(message, draft.found, draft.own)
    found = draft.found
    if message.send_at <= message.created_at:
        # Sent now, not left for the dispatcher's next tick.
        taskqueue.kick_after_commit(DISPATCH_TASK)
    return Accepted(
        message=message,
        numbers=found,
        dropped=draft.dropped,
        segmentation=draft.segmentation,
        stopped=draft.stopped,
        part_total=_part_total(draft),
    )


def _part_total(draft: "_Draft") -> int:
    """SMS parts of every recipient together."""
    if draft.own is None:
        return len(draft.found) * draft.segmentation.parts
    return sum(
        draft.segmentation.parts if t is None else draft.own.segmentations[t].parts
        for t in draft.own.texts
    )


@dataclass
class _Draft:
    """A request as read, before any check: what ``estimate`` counts even when
    ``_prepare`` refuses it. A refused sender reads as the standard route."""

    found: list[str]
    dropped: int
    text: str
    segmentation: gsm7.Segmentation
    route: SenderRoute
    sender_refused: SendError | None
    express: bool
    stopped: int = 0
    own: "OwnTexts | None" = None
    # The STOP lists not read yet: the send's one statement reads them (_stops_deferred).
    stops_deferred: bool = False


@dataclass
class OwnTexts:
    """The recipients' own texts of a personalised send, parallel to the numbers found:
    ``texts[i]`` is the i-th number's text as it goes out, or None for the message's."""

    texts: list[str | None]
    segmentations: dict[str, gsm7.Segmentation]  # every distinct text, the message's too
    numbers: list[str]

    def prices(self, tariff, route: str, express: bool) -> dict[int, Decimal]:
        """The price of one recipient by its part count (the rule: accounts.pricing)."""
        return {
            parts: pricing.recipient_price(tariff, route, parts, express)
            for parts in {seg.parts for seg in self.segmentations.values()}
        }

    def parts(self) -> list[int | None]:
        return [None if t is None else self.segmentations[t].parts for t in self.texts]

    def total(self, prices: dict[int, Decimal], each: Decimal) -> Decimal:
        """The charge: the sum of every recipient's price (``each`` for the message's text)."""
        counts = defaultdict(int)
        for text in self.texts:
            counts[text] += 1
        return sum(
            (
                n * (each if text is None else prices[self.segmentations[text].parts])
                for text, n in counts.items()
            ),
            Decimal(0),
        )

    def first_number_of(self) -> dict[str | None, str]:
        """Each distinct text's first number (the one a refusal names); None: the message's."""
        first: dict[str | None, str] = {}
        for number, text in zip(self.numbers, self.texts, strict=True):
            first.setdefault(text, number)  # None: the message's text
        return first


def _leave_out_stopped(
    service_id: int,
    request: SendRequest,
    found: list[str],
    may_defer: bool = False,
    known: frozenset[str] | None = None,
) -> tuple[list[str], int, bool]:
    """``found`` without the numbers on a stoplist, how many those were, and whether
    the look-up is left to the send's one statement (then nothing is left out yet).
    ``known``: the numbers that statement found on a list (it looks again)."""
    if request.source == Source.STOP_REPLY:
        # The confirmation of a STOP reaches its sender, who is on the customer's list by
        # now; the platform's list still holds.
        return (*stoplist.split(None, found), False)
    if known is not None:
        kept = [n for n in found if n not in known]
        return kept, len(found) - len(kept), False
    if may_defer and _stops_deferred(request, found):
        return found, 0, True
    return (*stoplist.split(service_id, found), False)


def _stops_deferred(request: SendRequest, found: list[str]) -> bool:
    """Whether the STOP lists may be left to the send's one statement (pg.charge_and_store):
    on PostgreSQL, for a send it takes, when leaving numbers out cannot change what is
    decided before it. Express applies to one number only, so an express send to more
    reads the lists first (its express may depend on how many are kept)."""
    if not pg.in_use() or len(found) > COPY_THRESHOLD:
        return False
    return not (request.express and len(found) > 1)


def _read_personal(
    service_id: int, request: SendRequest, may_defer: bool, known: frozenset[str] | None
) -> tuple[list[str], int, str, OwnTexts, int, bool]:
    """The numbers of a personalised send not on a stoplist, each with its text as it
    goes out; the most common text becomes the message's and the others are kept per
    recipient. The last figures: how many were left out as on a stoplist, and whether
    the look-up is left to the send's one statement (``_leave_out_stopped``)."""
    recipients, texts = list(request.recipients), list(request.texts or ())
    if len(recipients) != len(texts):
        raise ValueError("texts must be parallel to recipients")
    chosen: dict[str, str] = {}
    dropped = 0
    digits_only = request.recipients_digits_only
    for raw, text in zip(recipients, texts, strict=True):
        if not raw.strip():
            continue
        number = numbers.normalise_msisdn(raw, digits_only=digits_only)
        if number is None:
            dropped += 1
        elif number not in chosen:
            chosen[number] = text
    kept, stopped, deferred = _leave_out_stopped(
        service_id, request, list(chosen), may_defer, known
    )
    if stopped:
        chosen = {number: chosen[number] for number in kept}
    prepared: dict[str, str] = {}
    segmentations: dict[str, gsm7.Segmentation] = {}
    counts: dict[str, int] = defaultdict(int)
    out = []
    for raw_text in chosen.values():
        text = prepared.get(raw_text)
        if text is None:
            text, segmentation = prepare_text(raw_text or "", request.remove_special_characters)
            prepared[raw_text] = text
            segmentations.setdefault(text, segmentation)
        counts[text] += 1
        out.append(text)
    # The most common text is the message's (first seen wins a tie): its recipients
    # store nothing of their own.
    common = max(counts, key=counts.__getitem__) if counts else ""
    segmentations.setdefault(common, gsm7.count_parts(common))
    own = OwnTexts([None if t == common else t for t in out], segmentations, list(chosen))
    return list(chosen), dropped, common, own, stopped, deferred


def _read(
    service_id: int,
    request: SendRequest,
    *,
    may_defer_stops: bool = False,
    known_stops: frozenset[str] | None = None,
) -> _Draft:
    """The numbers, the text and the sender's route of ``request``; refuses nothing.

    The numbers on a STOP list are left out (``_leave_out_stopped``): looked up here,
    or with ``may_defer_stops`` left to the send's one statement where it takes the
    send, or ``known_stops`` (that statement found them)."""
    own = None
    if request.texts is not None:
        found, dropped, text, own, stopped, deferred = _read_personal(
            service_id, request, may_defer_stops, known_stops
        )
        segmentation = own.segmentations[text]
    else:
        found, dropped = numbers.normalise_many(
            request.recipients, digits_only=request.recipients_digits_only
        )
        found, stopped, deferred = _leave_out_stopped(
            service_id, request, found, may_defer_stops, known_stops
        )
        text, segmentation = prepare_text(request.text or "", request.remove_special_characters)
    try:
        route, sender_refused = resolve_sender(service_id, request.sender), None
    except SendError as exc:
        route, sender_refused = SenderRoute(Route.STANDARD, ""), exc
    # seed 001 §4: express as accounts.pricing allows it.
    express = request.express and pricing.express_applies(len(found), route.route)
    return _Draft(
        found, dropped, text, segmentation, route, sender_refused, express, stopped, own, deferred
    )


def _prepare(service_id: int, request: SendRequest, draft: _Draft) -> Message:
    """Every check that needs no lock, in order, and the unsaved message they describe."""
    found, text, segmentation, route = draft.found, draft.text, draft.segmentation, draft.route
    if not found and draft.stopped:
        raise AllStopped("every number is on the STOP list")
    if not found:
        raise RecipientListEmpty("no valid Polish mobile number")
    if len(found) > settings.MAX_RECIPIENTS_PER_MESSAGE:
        raise TooManyRecipients(f"at most {settings.MAX_RECIPIENTS_PER_MESSAGE} numbers")
    own = draft.own
    first_number = own.first_number_of() if own is not None else {}
    # A personalised send: each distinct text checked as the message's is, the
    # message's own first; a refusal names the first recipient of the text at fault.
    checked = [(text, segmentation, first_number.get(None, ""))]
    if own is not None:
        checked += [(t, seg, first_number[t]) for t, seg in own.segmentations.items() if t != text]
    for each_text, _seg, number in checked:
        if not each_text.strip():
            whose = f"the message to {number}" if number else "the message"
            raise EmptyText(f"{whose} is empty")
    now = timezone.now()
    send_at = held_from = schedule(request.send_at, now)
    if not windowed.exempt(draft.express, request.source):
        # Quiet hours (README): a send due outside the service's window waits for its
        # next opening. Express is paid for to leave at once, a sender's code is awaited
        # by the person who asked for it, and the answer to a STOP replies to the SMS
        # its recipient just sent: those leave when accepted.
        send_at = quiet_hours.send_time(service_id, send_at)
    if draft.sender_refused is not None:
        raise draft.sender_refused
    for _text, each_seg, number in checked:
        if each_seg.parts > route.max_parts:
            raise MessageTooLong(each_seg.parts, route.max_parts, number=number)
    if own is None:
        flagged = content.may_be_invalid(text)
        first = 0 if flagged else None
    else:
        first = content.first_flagged([each_text for each_text, _seg, _number in checked])
        flagged = first is not None
    if flagged and not request.force:
        number = checked[first][2]
        whose = f"the text to {number}" if number else "the text"
        raise ContentWarning(f"{whose} may be blocked by operators; send with force=1")
    notify_url = check_notify_url(request.notify_url)
    if len(request.user_flag) > 255:
        raise InvalidUserFlag("at most 255 characters")
    # seed 001 §4e: flash needs GSM-7 (every recipient's text, in a personalised send).
    flash = request.flash and all(seg.encoding == gsm7.GSM7 for _t, seg, _n in checked)

    return Message(
        service_id=service_id,
        source=request.source,
        text=text,
        encoding=segmentation.encoding,
        parts=segmentation.parts,
        sender=route.sender,
        route=route.route,
        flash=flash,
        express=draft.express,
        forced=flagged,
        send_at=send_at,
        held_from=held_from if send_at != held_from else None,  # messaging.windowed
        notify_url=notify_url,
        user_flag=request.user_flag,
        recipient_count=len(found),
        created_at=now,
        personalised=own is not None and any(t is not None for t in own.texts),
    )


def _check_may_pay(service: Service, price: Decimal) -> None:
    """Refuse a service that may not send (101–106), then one that cannot pay ``price``."""
    refusal = service.sending_refusal()
    if refusal is not None:
        raise ServiceRefused(refusal)
    if not service.may_send_after(price):
        raise InsufficientFunds(needed=price, available=service.available_funds)


def _charge_and_store(message: Message, found: Sequence[str], own: OwnTexts | None = None) -> None:
    """Lock the service row, check state and funds, write message, charge and recipients.

    PostgreSQL twin for small sends: ``pg.charge_and_store``.
    """
    with transaction.atomic():
        service = ledger.lock(message.service_id)
        message.recipient_price = pricing.recipient_price(
            service.tariff, message.route, message.parts, message.express
        )
        message.price = message.recipient_price * len(found)
        prices = None
        if message.personalised:
            prices = own.prices(service.tariff, message.route, message.express)
            message.price = own.total(prices, message.recipient_price)
        _check_may_pay(service, message.price)
        message.save(force_insert=True)
        if message.price:
            ledger.apply_locked(
                service,
                -message.price,
                LedgerKind.CHARGE,
                enforce_limit=True,
                reference=f"charge:message:{message.pk}",
                reason=LedgerReason.MESSAGE,
                params=charge_params(message),
            )
        _insert_recipients(message, found, _own_rows(message, own, prices))


def charge_params(message: Message) -> dict:
    """What a message's charge entry records (pg.charge_and_store writes the same)."""
    return ledger_reasons.message_charge(
        message.pk,
        message.recipient_count,
        message.recipient_price,
        total=message.price if message.personalised else None,
    )


def _own_rows(message: Message, own: OwnTexts | None, prices) -> list[tuple] | None:
    """(text, parts, price) of each recipient, None for one that has the message's."""
    if not message.personalised:
        return None
    segs = own.segmentations
    return [None if t is None else (t, segs[t].parts, prices[segs[t].parts]) for t in own.texts]


def _send_in_one_statement(
    service_id: int, request: SendRequest, draft: _Draft, message: Message
) -> tuple[_Draft, Message]:
    """``pg.charge_and_store``, which reads the STOP lists too; the draft and message
    as stored. A personalised send with numbers on a list is read again without them
    (the statement wrote nothing): its message's text and its checks are of the
    numbers kept. Another send's statement left them out itself."""
    known: frozenset[str] = frozenset()
    check_stops = request.source != Source.STOP_REPLY
    while True:
        stored, stopped = _charge_and_store_in_one_statement(
            message, draft.found, draft.own, check_stops
        )
        if stored:
            return (_without(draft, stopped) if stopped else draft), message
        known |= frozenset(stopped)  # each round leaves out one number more at least
        draft = _read(service_id, request, known_stops=known)
        message = _prepare(service_id, request, draft)


def _without(draft: _Draft, stopped: Sequence[str]) -> _Draft:
    """``draft`` as the one statement stored it: without the numbers it left out."""
    gone = set(stopped)
    kept = [n for n in draft.found if n not in gone]
    own = draft.own
    if own is not None:  # every recipient has the message's text: only such are left out
        own = OwnTexts([None] * len(kept), own.segmentations, kept)
    return replace(draft, found=kept, stopped=draft.stopped + len(gone), own=own)


def _charge_and_store_in_one_statement(
    message: Message, found: Sequence[str], own: OwnTexts | None = None, check_stops=True
) -> tuple[bool, list[str]]:
    """``pg.charge_and_store``: whether it stored the message, and the numbers it found
    on a STOP list; when it wrote nothing for want of money or leave, the refusal
    that says why."""
    own_texts = own_parts = None
    if message.personalised:
        own_texts, own_parts = own.texts, own.parts()
    for _attempt in range(2):
        stored, stopped = pg.charge_and_store(
            message, found, own_texts, own_parts, check_stops=check_stops
        )
        if stored or (stopped and own_texts is not None):
            return stored, stopped
        if len(stopped) == len(found):
            raise AllStopped("every number is on the STOP list")
        # If the service may pay by now (a top-up or an unblock landed in
        # between), the statement is tried once more.
        service = Service.objects.select_related("tariff").get(pk=message.service_id)
        each = pricing.recipient_price(
            service.tariff, message.route, message.parts, message.express
        )
        price = each * (len(found) - len(stopped))
        if message.personalised:
            price = own.total(own.prices(service.tariff, message.route, message.express), each)
        _check_may_pay(service, price)
    raise InsufficientFunds(needed=price, available=service.available_funds)


def _insert_recipients(
    message: Message, found: Sequence[str], own: Sequence[tuple | None] | None = None
) -> None:
    if pg.in_use() and len(found) > COPY_THRESHOLD:
        pg.copy_recipients(message, found, own)
        keep_accepted(message.pk, found)
        return
    own = own or [None] * len(found)
    Recipient.objects.bulk_create(
        [
            Recipient(
                message_id=message.pk,
                number=n,
                status_at=message.created_at,
                send_at=message.send_at,
                express=message.express,
                text=mine[0] if mine else None,
                parts=mine[1] if mine else None,
                price=mine[2] if mine else None,
            )
            for n, mine in zip(found, own, strict=True)
        ],
        batch_size=1000,
    )


# -- after acceptance -------------------------------------------------------------------


def find_message(service_id: int, message_id) -> Message:
    """The service's own message, or MessageNotFound (also for another customer's)."""
    try:
        pk = int(str(message_id).strip())
    except (TypeError, ValueError):
        raise MessageNotFound("not a message id") from None
    message = Message.objects.visible_to(service_id).filter(pk=pk).first()
    if message is None:
        raise MessageNotFound("no such message")
    return message


def find_recipients(
    service_id: int, pairs: Iterable[tuple[int, str]], *, with_text: bool = True
) -> dict[tuple[int, str], Recipient]:
    """The service's visible recipients each (message id, number as stored) pair names,
    by pair, each with its message; a pair found nowhere (unknown, another customer's,
    a confirmation code's, deleted) is left out. One query however many pairs (SMSC's
    status.php asks for up to 5,000); ``with_text=False`` leaves the texts unread.

    In a message whose numbers are archived (messaging.retention) a number is found
    by its masked form, when no other number of that message masks the same: two
    that do can no longer be told apart, and are found for neither."""
    wanted = set(pairs)
    if not wanted:
        return {}
    recipients = (
        Recipient.objects.visible_to(service_id)
        .filter(message_id__in={m for m, _ in wanted}, number__in=_spellings_stored(wanted))
        .select_related("message")
        .order_by("id")
    )
    if not with_text:
        recipients = recipients.defer("message__text")
    archived = {r.message_id for r in recipients if r.message.numbers_archived_at is not None}
    return _match_pairs(wanted, ((r.message_id, r.number, r) for r in recipients), archived)


def _spellings_stored(wanted: set[tuple[int, str]]) -> set[str]:
    """The numbers of these pairs as a recipient row may hold them: as given, or masked."""
    spelt = {number for _message_id, number in wanted}
    return spelt | {numbers.mask(number) for number in spelt}


def _match_pairs(wanted: set[tuple[int, str]], rows: Iterable[tuple], archived: set[int]) -> dict:
    """Each wanted (message id, number) pair's row, of ``rows`` ((message id, stored number,
    row), in instance order). In a message of ``archived`` (its numbers masked by
    messaging.retention) a number matches by its masked form, when no other row of that
    message masks the same: two that do can no longer be told apart, and match neither."""
    found, masked = {}, defaultdict(list)
    for message_id, number, row in rows:
        if message_id in archived:
            masked[(message_id, number)].append(row)
        elif (message_id, number) in wanted:
            found.setdefault((message_id, number), row)
    for message_id, number in wanted - found.keys():
        same = masked.get((message_id, numbers.mask(number)), [])
        if len(same) == 1:
            found[(message_id, number)] = same[0]
    return found


@dataclass(frozen=True)
class AsSent:
    text: str
    parts: int
    price: Decimal


def as_sent(recipient: Recipient) -> AsSent:
    """What one recipient was sent and charged: its own text, parts and price in a
    personalised send, else its message's (``recipient.message`` loaded)."""
    message = recipient.message
    if recipient.text is None:
        return AsSent(message.text, message.parts, message.recipient_price)
    return AsSent(recipient.text, recipient.parts, recipient.price)


def own_texts(message: Message) -> list[tuple[str, str, int]]:
    """(number, text, parts) of each shown recipient of ``message`` whose text is its own
    (a personalised send), in instance order; none for any other message."""
    if not message.personalised:
        return []
    return list(
        Recipient.objects.shown()
        .filter(message_id=message.pk, text__isnull=False)
        .order_by("id")
        .values_list("number", "text", "parts")
    )


def progress(service_id: int, message_id) -> Progress:
    """The service's own message with its recipients' statuses (getProgress)."""
    message = find_message(service_id, message_id)
    return progress_of(message)


def cancel(service_id: int, message_id) -> int:
    """Cancel every recipient not yet handed to a gateway; refund them once. Returns how many.

    messaging.transitions.cancel_pending moves only recipients still PENDING or
    ON_HOLD (and not being handed over right now), under the service lock, so
    a second cancel finds none and a recipient is never refunded twice.
    """
    message = find_message(service_id, message_id)
    return len(transitions.cancel_pending(message))


def cancel_refunding(service_id: int, message_id) -> tuple[int, Decimal]:
    """``cancel``, with what came back to the balance: each recipient's own price."""
    message = find_message(service_id, message_id)
    changes = transitions.cancel_pending(message)
    refunded = message.recipient_price * len(changes)
    if message.personalised and changes:
        own = Recipient.objects.filter(
            pk__in=[c.recipient_id for c in changes], price__isnull=False
        ).values_list("price", flat=True)
        refunded = message.recipient_price * (len(changes) - len(own)) + sum(own, Decimal(0))
    return len(changes), refunded


def delete_recipients(service_id: int, pairs: Iterable[tuple[int, str]]) -> None:
    """Delete recipients for their customer: each pair is (message id, number as stored),
    as SMSC's status.php ``del=1`` names one SMS (seed 003, "Deleting a message").

    All or none, in one transaction: a pair that is not one of the service's
    visible recipients (unknown, another customer's, a confirmation code, or
    already deleted) raises MessageNotFound, one whose status is not final yet
    MessageInFlight (cancel it first), and nothing is deleted. The messages are
    locked first, in id order, so that two deletes of one message's recipients
    at once agree on which of them deleted the last one. However many pairs,
    the work is a fixed handful of statements.

    What a deleted recipient is, everywhere the customer looks:

    - status.php answers -3 (not found) for it, as for an unknown pair;
    - getProgress leaves it out of ``recipient_list``, the success and failure
      counts and ``recipient_count`` (messaging.progress);
    - the panel's message page leaves it out of its list, its status counts
      and the CSV export, says how many were deleted, and the sent-messages
      filters (status, number) do not find the message through it.

    When the last recipient of a message is deleted, the message is deleted
    too: its text is erased and it is no longer found (getProgress, cancel,
    status.php, the panel's lists).

    What stays is the money trail, because every charge and refund must stay
    explainable: the message row with its recipient count, price per recipient
    and price (what was charged), each recipient row with its status and
    ``refunded`` flag, the ledger entries, and the usage counts of the day it
    was sent (an SMS that went out was sent, whatever was deleted since).
    Staff see all of it in admin.
    """
    wanted = set(pairs)
    if not wanted:
        return
    message_ids = sorted({message_id for message_id, _number in wanted})
    with transaction.atomic():
        locked = list(
            Message.objects.select_for_update(no_key=True)
            .visible_to(service_id)
            .filter(pk__in=message_ids)
            .order_by("pk")
            .values_list("pk", "numbers_archived_at")
        )
        if len(locked) != len(message_ids):
            raise MessageNotFound("no such message")
        archived = {pk for pk, archived_at in locked if archived_at is not None}
        rows = (
            Recipient.objects.shown()
            .filter(message_id__in=message_ids, number__in=_spellings_stored(wanted))
            .order_by("id")
            .values_list("pk", "message_id", "number", "status")
        )
        found = _match_pairs(
            wanted,
            ((message_id, number, (pk, status)) for pk, message_id, number, status in rows),
            archived,
        )
        if len(found) != len(wanted):
            raise MessageNotFound("no such recipient")
        if any(status not in FINAL_STATUSES for _pk, status in found.values()):
            raise MessageInFlight("some recipients are not final yet; cancel them first")
        now = timezone.now()
        # A personalised recipient's own text goes with it, as the message's text goes
        # with its last recipient.
        Recipient.objects.filter(pk__in=[pk for pk, _status in found.values()]).update(
            deleted_at=now,
            text=Case(When(text__isnull=False, then=Value("")), default=None),
        )
        Message.objects.filter(pk__in=message_ids).update(recipients_deleted=True)
        shown = Recipient.objects.shown().filter(message_id=OuterRef("pk"))
        Message.objects.filter(~Exists(shown), pk__in=message_ids).update(deleted_at=now, text="")
        # A personalised message's text is one recipient's own (the most common): once no
        # recipient left shown sends it, it is erased as theirs would be.
        sent_as_message = shown.filter(text__isnull=True)
        Message.objects.filter(
            ~Exists(sent_as_message), pk__in=message_ids, personalised=True
        ).update(text="")


# -- a client's own send ids ------------------------------------------------------------

# A client's id for a send is remembered this long (SMSC send.php ``id``).
SEND_KEY_HOURS = 24


def submit_once(
    service_id: int, key: str, request: SendRequest, answer_of: Callable[[Accepted], dict]
) -> tuple[dict, bool]:
    """``submit``, unless the service sent with this ``key`` within ``SEND_KEY_HOURS``:
    then the first send's answer and nothing sent. Returns (answer, repeated).

    The key is taken first (``pg.lock_send_key``: a transaction lock on the
    service and key), so a second send with it waits until the first has
    committed or failed and then reads its answer; its own refusal (no funds
    left after the first) never hides that the first was sent. The key row is
    written in the send's transaction, so a send and its key land together or
    not at all. ``answer_of`` makes the answer from the accepted send inside
    that transaction (the balance it reads includes the charge).
    """
    with transaction.atomic():
        pg.lock_send_key(service_id, key)
        existing = SendKey.objects.filter(service_id=service_id, key=key).first()
        now = timezone.now()
        if existing and existing.created_at > now - timedelta(hours=SEND_KEY_HOURS):
            return existing.answer, True
        accepted = submit(service_id, request)
        answer = answer_of(accepted)
        if existing is not None:
            SendKey.objects.filter(pk=existing.pk).update(
                message=accepted.message, answer=answer, created_at=now
            )
        else:
            SendKey.objects.create(
                service_id=service_id,
                key=key,
                message=accepted.message,
                answer=answer,
                created_at=now,
            )
        return answer, False


# -- sender IDs confirmed by SMS ------------------------------------------------------------

SENDER_CODE_TEXT = "Kod potwierdzenia numeru nadawcy {name}: {code}"


def send_sender_code(service_id: int, sender_id: int) -> Accepted:
    """Send a phone-number sender its confirmation code, as an SMS through ``submit``.

    Charged like any SMS on the standard route: the code is a real SMS and
    the service pays for it (a free one would be a way to send free SMS). A
    send that is refused (no funds, service not active) keeps no code, so the
    number can be asked for again at once. Raises accounts.senders errors or
    a SendError.
    """
    with transaction.atomic():
        sender = senders.find(service_id, pk=sender_id)
        if not numbers.normalise_msisdn(sender.name):
            raise senders.NotANumber(f"{sender.name} is not a Polish mobile number")
        code = senders.issue_code(sender)
        return submit(
            service_id,
            SendRequest(
                recipients=[sender.name],
                text=SENDER_CODE_TEXT.format(name=sender.name, code=code),
                # Hidden from the customer's lists and APIs (Message.objects.visible_to): whoever
                # registered the number must not read the code back from them.
                source=Source.CODE,
            ),
        )


def code_not_delivered(sender, changes, messages, **kwargs) -> None:
    """A code SMS that failed after it was accepted (rejected, expired) cannot be typed in:
    the number may ask for a new one at once (seed 004 error 8 rather than 10).
    A receiver of ``signals.recipients_changed``; cheap when no code is among them."""
    codes = {mid: m for mid, m in messages.items() if m.source == Source.CODE}
    if not codes:
        return
    for change in changes:
        if change.message_id in codes and change.status in FAILURE_STATUSES:
            senders.forget_code(
                codes[change.message_id].service_id, numbers.spellings(change.number)
            )


# -- incoming ---------------------------------------------------------------------------


class IncomingTooLong(SendError):
    """A received SMS's text or number is longer than is kept; ``field`` names it."""


def store_incoming(
    service_id: int, from_number: str, to_number: str, text: str, received_at: datetime | None
) -> IncomingMessage:
    """Keep an SMS received for a two-way service and queue its callback, in one transaction.

    An over-long value is refused, never cut: a cut number would reach the
    customer as someone else's.
    """
    limits = {
        "from_number": (from_number, IncomingMessage._meta.get_field("from_number").max_length),
        "to_number": (to_number, IncomingMessage._meta.get_field("to_number").max_length),
        "sms_message": (text, settings.INCOMING_MAX_TEXT_LENGTH),
    }
    for name, (value, limit) in limits.items():
        if len(value) > limit:
            raise IncomingTooLong(f"At most {limit} characters.", field=name)
    with transaction.atomic():
        incoming = IncomingMessage.objects.create(
            service_id=service_id,
            from_number=from_number,
            to_number=to_number,
            text=text,
            received_at=received_at or timezone.now(),
        )
        callbacks.queue_incoming(incoming, Service.objects.get(pk=service_id))
        reply = stoplist.apply_incoming(incoming)
    if reply is not None:
        _confirm_stop(reply)
    return incoming


def _confirm_stop(reply: stoplist.Reply) -> None:
    """Answer a STOP or START by SMS, charged as any SMS. A refusal (no funds, a blocked
    service) only means no answer: the change stands."""
    try:
        accepted = submit(
            reply.service_id,
            SendRequest(recipients=[reply.number], text=reply.text, source=Source.STOP_REPLY),
        )
    except SendError as exc:
        logger.info("stoplist: no confirmation to %s: %r", reply.number, exc)
        return
    stoplist.confirmed(reply, accepted.message)
