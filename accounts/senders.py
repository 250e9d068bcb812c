"""Sender IDs (Nazwy nadawcy): register, change, delete, confirm a number by code.

One set of operations for every door: the SMSC ``senders.php`` API and the
panel's tab call these, staff moderate in admin. A new name waits for
moderation (PENDING) until staff allow it. A phone number also needs its
confirmation: a code sent to it by SMS (sent by ``messaging.services
.send_sender_code``, through the send pipeline) and typed back here. One code
per number each ``CODE_INTERVAL``; ``CODE_TRIES`` wrong tries void it.
"""

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import SenderId, SenderStatus, sender_name_validator

CODE_INTERVAL = timedelta(hours=8)  # seed 004 error 10: "retry after 8 hours"
CODE_TRIES = 5
CODE_DIGITS = 6


class SenderError(Exception):
    """A sender-ID operation refused; each subclass is one of seed 004's errors."""


class InvalidName(SenderError):
    """Not a sender name by the GSM rules (seed 004 error 1)."""


class NotFound(SenderError):
    """No such sender ID of this service (error 3)."""


class NotSaved(SenderError):
    """The name exists already, or may not be changed now (error 5)."""


class NotANumber(SenderError):
    """A code can be sent to a phone-number sender only (error 7)."""


class CodeAlreadySent(SenderError):
    """A code went to this number less than ``CODE_INTERVAL`` ago (error 10)."""

    def __init__(self, retry_at):
        super().__init__(f"retry after {retry_at:%Y-%m-%d %H:%M}")
        self.retry_at = retry_at


class WrongCode(SenderError):
    """Not the code sent, or no code is waiting (error 11). ``tries_left``: the wrong
    tries the code still takes, None when no code is waiting."""

    def __init__(self, message: str, tries_left: int | None = None):
        super().__init__(message)
        self.tries_left = tries_left


class NoTriesLeft(WrongCode):
    """``CODE_TRIES`` wrong codes: a new one can be asked for after ``CODE_INTERVAL``."""


def listed(service_id: int, *, allowed_only: bool = False):
    """The service's sender IDs by name; ``allowed_only``: those staff allowed for use."""
    found = SenderId.objects.filter(service_id=service_id)
    if allowed_only:
        found = found.filter(status=SenderStatus.ALLOWED)
    return found.order_by("name", "pk")


def find(service_id: int, *, name: str = "", pk=None) -> SenderId:
    """The service's own sender ID by name or id; another customer's is NotFound."""
    found = None
    if pk not in (None, ""):
        try:
            found = SenderId.objects.filter(service_id=service_id, pk=int(pk)).first()
        except (TypeError, ValueError):
            found = None
    elif name.strip():
        found = SenderId.objects.filter(service_id=service_id, name__iexact=name.strip()).first()
    if found is None:
        raise NotFound("no such sender ID")
    return found


_NUMBER_SEPARATORS = re.compile(r"[\s().-]")


def clean_name(name: str) -> str:
    """A name as registered; a phone number spelt with separators ("600 111 222") is
    a number, kept as its digits, so it must be confirmed by a code like any other."""
    name = (name or "").strip()
    compact = _NUMBER_SEPARATORS.sub("", name)
    if re.fullmatch(r"\+?[0-9]+", compact):
        name = compact
    try:
        sender_name_validator(name)
    except ValidationError as exc:
        raise InvalidName(" ".join(exc.messages)) from None
    return name


def add(service_id: int, name: str, comment: str = "") -> SenderId:
    """Register a name or number; it waits for staff moderation."""
    name = clean_name(name)
    if SenderId.objects.filter(service_id=service_id, name__iexact=name).exists():
        raise NotSaved(f"{name} is registered already")
    try:
        with transaction.atomic():
            return SenderId.objects.create(
                service_id=service_id,
                name=name,
                comment=(comment or "")[:300],
                status=SenderStatus.PENDING,
            )
    except IntegrityError:
        raise NotSaved(f"{name} is registered already") from None


def change(sender: SenderId, comment: str) -> SenderId:
    """Change the comment staff moderate by (the name itself is not changed)."""
    sender.comment = (comment or "")[:300]
    sender.save(update_fields=["comment", "updated_at"])
    return sender


def delete(sender: SenderId) -> None:
    sender.delete()


def _code_digest(sender: SenderId, code: str) -> str:
    return hashlib.sha256(f"{sender.pk}:{sender.name}:{code}".encode()).hexdigest()


def issue_code(sender: SenderId) -> str:
    """A new code for a phone-number sender, kept as a digest; returns it to be sent.

    Call inside the transaction that sends it, so a code that could not be
    sent is not kept and does not count against ``CODE_INTERVAL``.
    """
    if not sender.is_phone:
        raise NotANumber(f"{sender.name} is a name, not a phone number")
    locked = SenderId.objects.select_for_update().get(pk=sender.pk)
    now = timezone.now()
    if locked.code_sent_at is not None and now < locked.code_sent_at + CODE_INTERVAL:
        raise CodeAlreadySent(locked.code_sent_at + CODE_INTERVAL)
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    SenderId.objects.filter(pk=sender.pk).update(
        code_digest=_code_digest(locked, code), code_sent_at=now, code_tries=0
    )
    return code


def forget_code(service_id: int, names: set[str]) -> None:
    """The code sent to the number (any of its spellings, ``names``) did not arrive:
    void it, and let a new one be asked for."""
    SenderId.objects.filter(service_id=service_id, name__in=names, confirmed_at=None).update(
        code_digest="", code_sent_at=None, code_tries=0
    )


def check_code(sender: SenderId, code: str) -> SenderId:
    """Confirm the number with the code sent to it; raises WrongCode or NoTriesLeft.

    A wrong try is counted in its own transaction before the refusal is raised.
    """
    code = (code or "").strip()
    with transaction.atomic():
        locked = SenderId.objects.select_for_update().get(pk=sender.pk)
        if not locked.code_digest:
            raise WrongCode("no code is waiting for this number: ask for one")
        if locked.code_tries >= CODE_TRIES:
            raise NoTriesLeft(f"{CODE_TRIES} wrong codes; ask for a new one later")
        right = hmac.compare_digest(_code_digest(locked, code), locked.code_digest)
        if right:
            locked.confirmed_at = timezone.now()
            locked.code_digest = ""
            locked.save(update_fields=["confirmed_at", "code_digest", "updated_at"])
        else:
            locked.code_tries += 1
            locked.save(update_fields=["code_tries", "updated_at"])
    if right:
        return locked
    if locked.code_tries >= CODE_TRIES:
        raise NoTriesLeft(f"{CODE_TRIES} wrong codes; ask for a new one later")
    tries_left = CODE_TRIES - locked.code_tries
    raise WrongCode(f"wrong code; {tries_left} tries left", tries_left=tries_left)
