"""The low-balance alert: the customer's threshold per service, one mail when a charge
takes the balance below it, none again until the balance is back at or above it.

``Service.low_balance_alerted`` says the mail for the current dip was sent. Every
balance change applies the rule in the statement or transaction that changes the
balance, so no send pays an extra query for it:

- ``accounts.ledger.apply_locked`` (the ORM charge, refunds, top-ups, staff
  corrections) holds the row lock and writes ``flag_after``'s flag in its own
  UPDATE; when that raised the flag it calls ``announce``;
- the PostgreSQL one-statement send (messaging.pg) returns the balance, threshold
  and flag it left, and only when ``crossed`` says so calls ``claim``: a conditional
  UPDATE that one of several concurrent sends wins;
- the customer's new threshold re-arms the alert (``set_threshold``).

The mail itself is the panel's (panel.notices, on ``balance_low``), queued after
the commit that kept the charge.
"""

from decimal import Decimal

from django.db import transaction

from .models import Service
from .signals import balance_low


def crossed(balance: Decimal, threshold: Decimal | None, alerted: bool) -> bool:
    """A balance below the threshold that has not been alerted of yet."""
    return threshold is not None and balance < threshold and not alerted


def flag_after(balance: Decimal, threshold: Decimal | None, alerted: bool, delta: Decimal) -> bool:
    """``low_balance_alerted`` after a change of ``delta`` left ``balance``: raised by a
    debit that leaves it below the threshold, lowered (re-armed) once it is back at or
    above it (or there is no threshold), kept otherwise."""
    if threshold is None or balance >= threshold:
        return False
    if delta < 0:
        return True
    return alerted


def claim(service_id: int) -> bool:
    """Raise the flag unless another transaction has: True for the one that did, which
    ``announce``s. The UPDATE waits for a concurrent charge's row lock and then
    re-reads the flag, so of concurrent sends crossing the threshold one wins."""
    won = Service.objects.filter(pk=service_id, low_balance_alerted=False).update(
        low_balance_alerted=True
    )
    if won:
        announce(service_id)
    return bool(won)


def announce(service_id: int) -> None:
    """Tell the layers above (panel.notices) once the transaction that took the balance
    below the threshold is committed; nothing is told of a charge rolled back."""
    transaction.on_commit(lambda: balance_low.send(sender=Service, service_id=service_id))


def set_threshold(service_id: int, threshold: Decimal | None) -> None:
    """The customer's threshold (None: off). A new one starts afresh: the next charge
    that leaves the balance below it alerts, even when the balance is already there.
    Only these two columns are written, never a balance read earlier."""
    Service.objects.filter(pk=service_id).update(
        low_balance_threshold=threshold, low_balance_alerted=False
    )


def is_low(service: Service) -> bool:
    """The dashboard's warning: the balance stands below the service's threshold."""
    threshold = service.low_balance_threshold
    return threshold is not None and service.balance < threshold
