"""Why the platform wrote a ledger entry, kept as data and worded when shown.

An entry the platform writes itself (a message's charge, the refund of recipients
that failed) stores a ``reason`` and its ``params``, never a sentence: the balance
history, its CSV and admin word it with ``describe`` in the reader's language, with
the plural the count takes. ``note`` stays for what staff type by hand (a transfer's
reference); it is shown as typed.

The one-statement send on PostgreSQL (messaging.pg) builds ``message_charge``'s
params in SQL; tests/messaging/test_services.py compares the two.
"""

from collections.abc import Sequence
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from lib import l10n

# A refund names at most this many of the messages it is for.
MESSAGES_NAMED = 10


class LedgerReason(models.TextChoices):
    """What the platform wrote an entry for; empty for staff's own entries."""

    MESSAGE = "message", _("message charged")
    UNDELIVERED = "undelivered", _("recipients not delivered or cancelled")


def message_charge(
    message_id: int, count: int, recipient_price: Decimal, total: Decimal | None = None
) -> dict:
    """The params of a message's charge: ``count`` recipients at ``recipient_price``;
    a personalised send, whose recipients are priced each by their own text, gives
    its ``total`` instead (the price is then that of the message's own text).

    Prices are kept as decimal strings ("0.0700"), exact, as the ledger keeps them.
    """
    params = {"message": message_id, "count": count, "price": str(recipient_price)}
    if total is not None:
        params["total"] = str(total)
    return params


def undelivered_refund(count: int, message_ids: Sequence[int]) -> dict:
    """The params of a refund of ``count`` recipients of the messages ``message_ids``."""
    ids = sorted(set(message_ids))
    return {"count": count, "messages": ids[:MESSAGES_NAMED], "more": len(ids) > MESSAGES_NAMED}


def describe(reason: str, params: dict, note: str = "") -> str:
    """The entry in the reader's language: its reason worded, then staff's note."""
    worded = _WORDING[reason](params) if reason in _WORDING else ""
    return " — ".join(part for part in (worded, note) if part)


def _message(params: dict) -> str:
    count = int(params["count"])
    if "total" in params:
        return ngettext(
            "Message %(message)s: %(count)s personalised recipient, %(total)s in total",
            "Message %(message)s: %(count)s personalised recipients, %(total)s in total",
            count,
        ) % {
            "message": params["message"],
            "count": count,
            "total": l10n.money(Decimal(params["total"]), 4),
        }
    return ngettext(
        "Message %(message)s: %(count)s recipient × %(price)s",
        "Message %(message)s: %(count)s recipients × %(price)s",
        count,
    ) % {
        "message": params["message"],
        "count": count,
        "price": l10n.money(Decimal(params["price"]), 4),
    }


def _undelivered(params: dict) -> str:
    count = int(params["count"])
    ids = [str(m) for m in params.get("messages", [])]
    recipients = ngettext(
        "Refund: %(count)s recipient not delivered or cancelled",
        "Refund: %(count)s recipients not delivered or cancelled",
        count,
    ) % {"count": count}
    if not ids:
        return recipients
    listed = ", ".join(ids) + ("…" if params.get("more") else "")
    messages = ngettext("message %(ids)s", "messages %(ids)s", len(ids)) % {"ids": listed}
    return f"{recipients} ({messages})"


_WORDING = {LedgerReason.MESSAGE: _message, LedgerReason.UNDELIVERED: _undelivered}
