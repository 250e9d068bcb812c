"""Money: every balance change goes through here, as one ledger entry.

Each operation locks the service row (``SELECT … FOR UPDATE``; on SQLite the
IMMEDIATE transaction takes the database write lock), computes the new balance
in Python's Decimal, writes it and appends the ledger entry in the same
transaction. Concurrent charges therefore queue on the row and none can take
the balance below ``-credit_limit``; a refund's ``reference`` is checked under
the same lock (and is unique in the table), so it is applied once.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from .models import ZERO, LedgerEntry, LedgerKind, Service


class InsufficientFunds(Exception):
    def __init__(self, needed: Decimal, available: Decimal):
        super().__init__(f"needs {needed} PLN, {available} PLN available")
        self.needed = needed
        self.available = available


class InvalidAmount(ValueError):
    pass


@dataclass(frozen=True)
class Applied:
    entry: LedgerEntry | None  # None when the reference had already been applied
    balance: Decimal

    @property
    def duplicate(self) -> bool:
        return self.entry is None


def _positive(amount) -> Decimal:
    amount = Decimal(amount).quantize(ZERO)
    if amount <= 0:
        raise InvalidAmount(f"amount must be positive, got {amount}")
    return amount


def lock(service_id: int) -> Service:
    """Lock the service row for a balance change; call inside ``transaction.atomic``.

    Loads what a send decides on (state, balance, credit limit, tariff) in the
    same query, so the hot path takes one round trip to lock and read.
    """
    # NO KEY UPDATE: the balance is not a key, so rows that only reference the
    # service (a callback, a message, taking KEY SHARE) do not wait for it, and
    # a transaction holding such a reference cannot deadlock with a charge.
    return (
        Service.objects.select_for_update(of=("self",), no_key=True)
        .select_related("tariff")
        .only("state", "balance", "credit_limit", "tariff")
        .get(pk=service_id)
    )


def apply_locked(
    service: Service,
    delta: Decimal,
    kind: str,
    *,
    enforce_limit: bool,
    reference: str | None = None,
    note: str = "",
    user=None,
) -> LedgerEntry:
    """Change the balance of a service locked by ``lock()`` and append the entry.

    The caller's transaction holds the row lock, so the check and the write
    cannot interleave with another change of the same balance.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("apply_locked() needs the transaction that holds the lock")
    new_balance = service.balance + delta
    if enforce_limit and new_balance < -service.credit_limit:
        raise InsufficientFunds(needed=-delta, available=service.balance + service.credit_limit)
    Service.objects.filter(pk=service.pk).update(balance=new_balance)
    service.balance = new_balance
    return LedgerEntry.objects.create(
        service_id=service.pk,
        kind=kind,
        amount=delta,
        balance_after=new_balance,
        reference=reference,
        note=note[:300],
        created_by=user,
    )


def _apply(
    service_id: int,
    delta: Decimal,
    kind: str,
    *,
    enforce_limit: bool,
    reference: str | None = None,
    note: str = "",
    user=None,
) -> Applied:
    with transaction.atomic():
        row = lock(service_id)
        if reference is not None and LedgerEntry.objects.filter(reference=reference).exists():
            return Applied(entry=None, balance=row.balance)
        entry = apply_locked(
            row,
            delta,
            kind,
            enforce_limit=enforce_limit,
            reference=reference,
            note=note,
            user=user,
        )
        return Applied(entry=entry, balance=row.balance)


def charge(service_id: int, amount, *, reference=None, note="", user=None) -> Applied:
    """Take ``amount`` from the balance, or raise InsufficientFunds and take nothing."""
    return _apply(
        service_id,
        -_positive(amount),
        LedgerKind.CHARGE,
        enforce_limit=True,
        reference=reference,
        note=note,
        user=user,
    )


def refund(service_id: int, amount, *, reference: str, note="", user=None) -> Applied:
    """Give ``amount`` back, once per ``reference`` (e.g. ``refund:recipient:<id>``)."""
    if not reference:
        raise ValueError("a refund needs a reference so that it is applied once")
    return _apply(
        service_id,
        _positive(amount),
        LedgerKind.REFUND,
        enforce_limit=False,
        reference=reference,
        note=note,
        user=user,
    )


def top_up(service_id: int, amount, *, user=None, note="", reference=None) -> Applied:
    return _apply(
        service_id,
        _positive(amount),
        LedgerKind.TOP_UP,
        enforce_limit=False,
        reference=reference,
        note=note,
        user=user,
    )


def adjust(service_id: int, amount, *, user=None, note="") -> Applied:
    """A staff correction, either sign; it may take the balance below the credit limit."""
    delta = Decimal(amount).quantize(ZERO)
    if delta == 0:
        raise InvalidAmount("an adjustment of zero changes nothing")
    return _apply(
        service_id, delta, LedgerKind.ADJUSTMENT, enforce_limit=False, note=note, user=user
    )


def ledger_balance(service_id: int) -> Decimal:
    """The balance re-derived from the ledger alone."""
    total = LedgerEntry.objects.filter(service_id=service_id).aggregate(total=Sum("amount"))
    return (total["total"] or ZERO).quantize(ZERO)
