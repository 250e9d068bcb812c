"""Opt-out: the numbers a customer (or the whole platform) must not send to.

A stoplist entry is a number as ``messaging.numbers`` stores it. The send pipeline
(``messaging.services._read``) asks ``split`` which of a send's numbers are on the
customer's list or the platform's, in one statement however many numbers; those are
left out of the send before it is priced, so they are never sent to and never
charged. On PostgreSQL a send of up to ``services.COPY_THRESHOLD`` numbers leaves that
to its one statement instead (``pg.charge_and_store``, the same rule in SQL). Each door
reports them as it reports a number it cannot send to (README, "Opt-out").

An incoming SMS whose whole text is a stop word (``STOP_WORDS``) adds its sender to
the customer's list; a start word (``START_WORDS``) takes it off. If the customer
asked for it, the sender gets a confirmation SMS through ``submit`` (charged as any
SMS; one that cannot be paid for is not sent, and the opt-out counts all the same).
Every change is logged (``StopChange``): when, which way, how, by whom, which SMS.

What a STOP racing a send guarantees: a send honours the list as it stood when it
charged. One statement reads the list and charges on PostgreSQL for a send of up to
``COPY_THRESHOLD`` numbers: a STOP committed before it began takes the number out. A
larger send (and SQLite) reads the list just before the charge: a STOP committed after
that read leaves the number in that send, sent and charged; one committed before takes
it out, neither sent nor charged. The numbers charged for are always exactly the
recipients stored.
The dispatcher reads the list again when it claims recipients (``transitions.claim_due``):
a STOP committed before that claim cancels the recipient and refunds it.
"""

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Service
from lib import xactlock

from . import numbers
from .models import IncomingMessage, StopAction, StopChange, StopEntry, StopSettings, StopVia

# SQLite's bound parameters per statement are limited: its twin asks in chunks.
_SQLITE_CHUNK = 5000


def _owner(service_id: int):
    """The customer of ``service_id``, as a subquery (the look-up stays one statement)."""
    return Service.objects.filter(pk=service_id).values("customer_id")


def stopped(
    customer_id, found: Sequence[str], *, platform: bool = True, service_id: int | None = None
) -> set[str]:
    """Which of ``found`` (stored numbers) are on the customer's list (the customer of
    ``service_id`` when it is given) or, with ``platform``, the platform's.

    One statement: on PostgreSQL the numbers travel as one array; SQLite (its ORM twin)
    asks in chunks of bound parameters."""
    if not found:
        return set()
    if connection.vendor == "postgresql":
        from .pg import texts

        if service_id is not None:
            whose = "customer_id = (SELECT customer_id FROM accounts_service WHERE id = %s)"
            params = [service_id]
        elif customer_id is not None:
            whose, params = "customer_id = %s", [customer_id]
        else:
            whose, params = "FALSE", []
        if platform:
            whose += " OR customer_id IS NULL"
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT DISTINCT number FROM messaging_stopentry"  # noqa: S608 - constants
                f" WHERE ({whose}) AND number = ANY(%s::varchar[])",
                [*params, texts(found)],
            )
            return {row[0] for row in cursor.fetchall()}
    if service_id is not None:
        whose = Q(customer_id__in=_owner(service_id))
    elif customer_id is not None:
        whose = Q(customer_id=customer_id)
    else:
        whose = Q(pk__in=[])
    if platform:
        whose |= Q(customer__isnull=True)
    hits: set[str] = set()
    for start in range(0, len(found), _SQLITE_CHUNK):
        chunk = found[start : start + _SQLITE_CHUNK]
        hits.update(
            StopEntry.objects.filter(whose, number__in=chunk).values_list("number", flat=True)
        )
    return hits


def split(service_id: int | None, found: list[str]) -> tuple[list[str], int]:
    """``found`` without the numbers on the service's customer's or the platform's
    list (``service_id`` None: the platform's alone, for the answer to a STOP, README
    "Opt-out"), in its order, and how many were left out."""
    if not found:
        return found, 0
    hits = stopped(None, found, service_id=service_id)
    if not hits:
        return found, 0
    return [n for n in found if n not in hits], len(hits)


# -- changes ---------------------------------------------------------------------------------


def add(
    customer_id: int | None,
    entries: Iterable[str],
    via: str,
    *,
    user=None,
    incoming: IncomingMessage | None = None,
) -> tuple[list[str], int]:
    """Put the numbers among ``entries`` on the customer's list (``None``: the platform's).

    Returns the numbers newly added (each logged once) and how many entries were not
    Polish mobile numbers. A number already on the list is left as it is, unlogged."""
    found, invalid = numbers.normalise_many(entries)
    if not found:
        return [], invalid
    now = timezone.now()
    with transaction.atomic():
        _hold(customer_id)
        present = stopped(customer_id, found, platform=customer_id is None)
        new = [n for n in found if n not in present]
        StopEntry.objects.bulk_create(
            [StopEntry(customer_id=customer_id, number=n, created_at=now) for n in new],
            batch_size=1000,
        )
        _log(customer_id, new, StopAction.ADDED, via, user, incoming, now)
    return new, invalid


def remove(
    customer_id: int | None,
    entries: Iterable[str],
    via: str,
    *,
    user=None,
    incoming: IncomingMessage | None = None,
) -> list[str]:
    """Take the numbers among ``entries`` off the customer's list; returns those removed."""
    found, _invalid = numbers.normalise_many(entries)
    if not found:
        return []
    now = timezone.now()
    with transaction.atomic():
        _hold(customer_id)
        gone = sorted(stopped(customer_id, found, platform=customer_id is None))
        if customer_id is None:
            StopEntry.objects.filter(customer__isnull=True, number__in=gone).delete()
        else:
            StopEntry.objects.filter(customer_id=customer_id, number__in=gone).delete()
        _log(customer_id, gone, StopAction.REMOVED, via, user, incoming, now)
    return gone


def _hold(customer_id: int | None) -> None:
    """One change to a list at a time (PostgreSQL; SQLite writes one at a time anyway):
    what a change reads as already listed is then so, and each change is logged once."""
    xactlock.hold(f"stoplist:{customer_id if customer_id is not None else 'platform'}")


def _log(customer_id, numbers_changed, action, via, user, incoming, now) -> list[StopChange]:
    return StopChange.objects.bulk_create(
        [
            StopChange(
                customer_id=customer_id,
                number=n,
                action=action,
                via=via,
                user=user if user is not None and user.is_authenticated else None,
                incoming=incoming,
                at=now,
            )
            for n in numbers_changed
        ],
        batch_size=1000,
    )


# -- incoming STOP and START ----------------------------------------------------------------


def simplified(text: str) -> str:
    """``text`` as words are compared: no diacritics (ł too), upper case, single spaces,
    no punctuation at either end."""
    text = text.replace("ł", "l").replace("Ł", "L")
    bare = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(bare.upper().split()).strip(" .!,;")


def word_of(text: str) -> str | None:
    """``StopAction.ADDED`` for a stop word, ``REMOVED`` for a start word, else None."""
    said = simplified(text)
    if not said:
        return None
    if said in {simplified(w) for w in settings.STOP_WORDS}:
        return StopAction.ADDED
    if said in {simplified(w) for w in settings.START_WORDS}:
        return StopAction.REMOVED
    return None


@dataclass
class Reply:
    """A STOP or START to confirm by SMS once the change is committed."""

    service_id: int
    number: str
    text: str
    change_id: int


def apply_incoming(incoming: IncomingMessage) -> Reply | None:
    """Act on a received SMS that is a stop or start word (in the transaction that
    stores it); returns the confirmation to send after it commits, if any."""
    action = word_of(incoming.text)
    if action is None:
        return None
    number = numbers.normalise_msisdn(incoming.from_number)
    if number is None:
        return None  # not a number a send could reach
    customer_id = Service.objects.values_list("customer_id", flat=True).get(pk=incoming.service_id)
    if action == StopAction.ADDED:
        changed, _invalid = add(customer_id, [number], StopVia.STOP_WORD, incoming=incoming)
    else:
        changed = remove(customer_id, [number], StopVia.START_WORD, incoming=incoming)
    # A repeated STOP (or START) changes nothing and is not answered: each answer is
    # charged to the customer, and a sender texting STOP over and over must not run
    # up their bill. The first one was answered.
    if not changed:
        return None
    choice = StopSettings.objects.filter(customer_id=customer_id, confirm=True).first()
    if choice is None:
        return None
    text = choice.stop_text if action == StopAction.ADDED else choice.start_text
    if not text.strip():
        return None
    change = StopChange.objects.filter(incoming=incoming).order_by("-id").first()
    return Reply(incoming.service_id, number, text, change.pk if change else 0)


def confirmed(reply: Reply, message) -> None:
    """Record on the change the SMS that confirmed it (``services.store_incoming`` sends
    it through ``submit`` once the change is committed)."""
    if reply.change_id:
        StopChange.objects.filter(pk=reply.change_id).update(confirmation=message)
