"""Money: every balance change goes through here, as one ledger entry.

There is one way to move money: ``lock`` the service row, then
``apply_locked`` the change in the same transaction. The send pipeline
charges and the recipient transitions refund that way; ``top_up`` and
``adjust`` are thin wrappers for staff and the demo data.

``lock`` takes the row with ``SELECT … FOR UPDATE`` (on SQLite the IMMEDIATE
transaction takes the database write lock), so concurrent changes of one
balance queue on it: the limit check and the write cannot interleave, and no
sequence of charges takes the balance below ``-credit_limit``
(``Service.covers``). The new balance is computed in Python's Decimal and
written with its ledger entry; a ``reference`` is unique in the table, so an
operation that carries one is applied once, and the ledger sum re-derives the
balance (``ledger_balance``).

On PostgreSQL a send of up to ``messaging.services.COPY_THRESHOLD`` recipients
does not call this module: it charges in one statement (messaging.pg), the SQL
mirror of ``lock`` + ``apply_locked``, which writes the same ledger entry;
tests/messaging/test_services.py compares the entries the two write.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.db import transaction
from django.db.models import Sum

from . import alerts, audit
from .models import ZERO, AuditAction, LedgerEntry, LedgerKind, Service


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
        .only(
            "state",
            "balance",
            "credit_limit",
            "tariff",
            "low_balance_threshold",
            "low_balance_alerted",
        )
        .get(pk=service_id)
    )


def apply_locked(
    service: Service,
    delta: Decimal,
    kind: str,
    *,
    enforce_limit: bool,
    reference: str | None = None,
    reason: str = "",
    params: dict | None = None,
    note: str = "",
    user=None,
) -> LedgerEntry:
    """Change the balance of a service locked by ``lock()`` and append the entry.

    The caller's transaction holds the row lock, so the check and the write
    cannot interleave with another change of the same balance. An entry the
    platform writes says why with ``reason`` and ``params``
    (accounts.ledger_reasons), worded when shown; ``note`` is staff's free text.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("apply_locked() needs the transaction that holds the lock")
    if kind == LedgerKind.REFUND and not reference:
        raise ValueError("a refund needs a reference so that it is applied once")
    if enforce_limit and not service.covers(-delta):
        raise InsufficientFunds(needed=-delta, available=service.available_funds)
    new_balance = service.balance + delta
    # The low-balance alert's flag changes in the same UPDATE (accounts.alerts); the
    # row lock makes this transaction the only one that can raise it now.
    alerted = alerts.flag_after(
        new_balance, service.low_balance_threshold, service.low_balance_alerted, delta
    )
    Service.objects.filter(pk=service.pk).update(balance=new_balance, low_balance_alerted=alerted)
    if alerted and not service.low_balance_alerted:
        alerts.announce(service.pk)
    service.balance = new_balance
    service.low_balance_alerted = alerted
    return LedgerEntry.objects.create(
        service_id=service.pk,
        kind=kind,
        amount=delta,
        balance_after=new_balance,
        reference=reference,
        reason=reason,
        params=params or {},
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
    """``lock`` + ``apply_locked`` in a transaction of their own; a change whose
    ``reference`` is already in the ledger is reported as a duplicate, not applied."""
    with transaction.atomic():
        row = lock(service_id)
        if reference is not None and LedgerEntry.objects.filter(reference=reference).exists():
            return Applied(entry=None, balance=row.balance)
        before = row.balance
        entry = apply_locked(
            row,
            delta,
            kind,
            enforce_limit=enforce_limit,
            reference=reference,
            note=note,
            user=user,
        )
        # Staff's money (and the demo's): in the audit log beside the ledger entry.
        audit.record(
            AuditAction.TOP_UP if kind == LedgerKind.TOP_UP else AuditAction.ADJUSTMENT,
            service=Service.objects.select_related("customer").get(pk=service_id),
            changes={
                "balance": [before, row.balance],
                "amount": [None, delta],
                **({"note": [None, entry.note]} if entry.note else {}),
            },
        )
        return Applied(entry=entry, balance=row.balance)


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


class Funds(NamedTuple):
    balance: Decimal
    credit_limit: Decimal


def funds(service_id: int) -> Funds:
    """The service's balance and credit limit as they stand, in one query: for showing
    them (SMSC's balance.php, send.php's answer), not for deciding a charge (``lock``)."""
    balance, credit_limit = Service.objects.values_list("balance", "credit_limit").get(
        pk=service_id
    )
    return Funds(balance, credit_limit)
