"""The dashboard's answer to "how am I doing": for each of the customer's services its
balance, this month's SMS, spending and delivery rate, the last sends with their
results, and what needs the customer's attention, each with the page that fixes it.

What needs attention, per service:

- the balance below the customer's alert threshold (accounts.alerts), or run out;
- the service blocked by the customer, or waiting for activation;
- sender names awaiting moderation by staff, or a number awaiting its code;
- an interface (HTTP API, SMSC API) switched off: its calls are refused;
- the callback URL failing: callbacks waiting for another attempt after a failed one,
  or given up in the last ``GIVEN_UP_WINDOW``.

The month's figures come from ``messaging.usage`` (the same counts as the service's
charts); the rest is a handful of queries for all the services together.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts import alerts
from accounts.models import SenderId, SenderStatus, Service, ServiceState
from lib import l10n
from messaging import usage
from messaging.models import Callback, CallbackState, Message

from . import history

GIVEN_UP_WINDOW = timedelta(days=7)
LAST_SENDS = 5
NAMES_SHOWN = 3


@dataclass(frozen=True)
class Attention:
    """One thing to look at: what is wrong, and a link to the page that fixes it."""

    service: Service
    text: str
    url: str
    action: str
    # "bad": sending suffers until it is fixed; "info": worth knowing, nothing is lost.
    level: str = "bad"


@dataclass
class Month:
    """A service's SMS (recipients) and spending from the 1st of the month to today."""

    sent: int = 0
    delivered: int = 0
    failed: int = 0
    spent: Decimal = Decimal(0)

    @property
    def finished(self) -> int:
        return self.delivered + self.failed

    @property
    def delivery_rate(self) -> int | None:
        """Per cent of the finished recipients that were delivered (rounded down, so that
        one failure in a thousand never reads as 100%); None before any finished."""
        return self.delivered * 100 // self.finished if self.finished else None


@dataclass
class ServiceSummary:
    service: Service
    month: Month
    attention: list[Attention] = field(default_factory=list)


@dataclass
class Overview:
    services: list[ServiceSummary]
    last_sends: list  # (Message, history.Outcome), newest first

    @property
    def low(self) -> set[int]:
        """The services whose balance is below the customer's alert threshold."""
        return {s.service.pk for s in self.services if alerts.is_low(s.service)}

    @property
    def attention(self) -> list[Attention]:
        """Everything to look at, what stops sending first."""
        found = [item for summary in self.services for item in summary.attention]
        return sorted(found, key=lambda item: item.level != "bad")


def month_of(service_id: int) -> Month:
    today = timezone.localdate()
    month = Month()
    for day in usage.daily(service_id, days=today.day, today=today):
        month.sent += day.sent
        month.delivered += day.delivered
        month.failed += day.failed
        month.spent += day.spent
    return month


def overview(services: list[Service]) -> Overview:
    summaries = [ServiceSummary(s, month_of(s.pk)) for s in services]
    by_id = {summary.service.pk: summary for summary in summaries}
    for summary in summaries:
        summary.attention += _state_and_balance(summary.service)
        summary.attention += _interfaces(summary.service)
    for service_id, items in _senders(by_id).items():
        by_id[service_id].attention += items
    for service_id, items in _callbacks(by_id).items():
        by_id[service_id].attention += items
    last = (
        Message.objects.visible_to_any(list(by_id))
        .select_related("service")
        .order_by("-created_at", "-id")[:LAST_SENDS]
    )
    return Overview(summaries, history.with_outcomes(last))


def _state_and_balance(service: Service) -> list[Attention]:
    items = []
    balance = reverse("balance_history", args=[service.pk])
    if service.state == ServiceState.IN_DEBT:
        items.append(
            Attention(
                service,
                _("The balance has run out: new messages are refused until it is topped up."),
                balance,
                _("Balance history"),
            )
        )
    elif alerts.is_low(service):
        items.append(
            Attention(
                service,
                _("The balance of %(balance)s is below your alert threshold of %(threshold)s.")
                % {
                    "balance": l10n.money(service.balance),
                    "threshold": l10n.money(service.low_balance_threshold),
                },
                balance,
                _("Balance history"),
            )
        )
    if service.state == ServiceState.BLOCKED_BY_CUSTOMER:
        items.append(
            Attention(
                service,
                _("You have blocked the service: new messages are refused."),
                reverse("service", args=[service.pk]),
                _("Unblock it"),
            )
        )
    elif service.state == ServiceState.NOT_ACTIVATED:
        items.append(
            Attention(
                service,
                _("Waiting for activation by our staff; we will e-mail you."),
                reverse("service", args=[service.pk]),
                _("Service page"),
                level="info",
            )
        )
    return items


def _interfaces(service: Service) -> list[Attention]:
    off = [
        name
        for name, on in (
            (_("HTTP API"), service.http_api_enabled),
            (_("SMSC API"), service.smsc_api_enabled),
        )
        if not on
    ]
    return [
        Attention(
            service,
            _("The %(interface)s is switched off: its calls are refused.") % {"interface": name},
            reverse("service", args=[service.pk]),
            _("Interfaces"),
        )
        for name in off
    ]


def _names(senders: list[SenderId]) -> str:
    shown = ", ".join(s.name for s in senders[:NAMES_SHOWN])
    more = len(senders) - NAMES_SHOWN
    if more > 0:
        shown += " " + ngettext("and %(n)s more", "and %(n)s more", more) % {"n": more}
    return shown


def _senders(by_id) -> dict[int, list[Attention]]:
    waiting = SenderId.objects.filter(service_id__in=by_id).filter(
        Q(status=SenderStatus.PENDING) | Q(confirmed_at=None)
    )
    need_code, in_moderation = {}, {}
    for sender in waiting.order_by("name"):
        if sender.is_phone and sender.confirmed_at is None:
            need_code.setdefault(sender.service_id, []).append(sender)
        elif sender.status == SenderStatus.PENDING:
            in_moderation.setdefault(sender.service_id, []).append(sender)
    found = {}
    for groups in (need_code, in_moderation):
        for service_id, senders in groups.items():
            text, level = _sender_words(senders, groups is need_code)
            found.setdefault(service_id, []).append(
                Attention(
                    by_id[service_id].service,
                    text,
                    reverse("sender_ids", args=[service_id]),
                    _("Sender names"),
                    level,
                )
            )
    return found


def _sender_words(senders: list[SenderId], need_code: bool) -> tuple[str, str]:
    names = {"names": _names(senders)}
    if need_code:
        return ngettext(
            "Confirm the number %(names)s with the code we sent to it by SMS.",
            "Confirm the numbers %(names)s with the codes we sent to them by SMS.",
            len(senders),
        ) % names, "bad"
    return ngettext(
        "The sender name %(names)s is waiting for moderation by our staff.",
        "The sender names %(names)s are waiting for moderation by our staff.",
        len(senders),
    ) % names, "info"


def _callbacks(by_id) -> dict[int, list[Attention]]:
    since = timezone.now() - GIVEN_UP_WINDOW
    rows = (
        Callback.objects.filter(service_id__in=by_id)
        .filter(
            Q(state=CallbackState.PENDING, attempts__gt=0)
            | Q(state=CallbackState.GIVEN_UP, finished_at__gte=since)
        )
        .values("service_id")
        .annotate(
            retrying=Count("id", filter=Q(state=CallbackState.PENDING)),
            given_up=Count("id", filter=Q(state=CallbackState.GIVEN_UP)),
        )
    )
    found = {}
    for row in rows:
        parts = []
        if row["retrying"]:
            parts.append(
                ngettext(
                    "%(n)s callback is waiting for another attempt",
                    "%(n)s callbacks are waiting for another attempt",
                    row["retrying"],
                )
                % {"n": row["retrying"]}
            )
        if row["given_up"]:
            parts.append(
                ngettext(
                    "%(n)s was given up in the last 7 days",
                    "%(n)s were given up in the last 7 days",
                    row["given_up"],
                )
                % {"n": row["given_up"]}
            )
        service_id = row["service_id"]
        found[service_id] = [
            Attention(
                by_id[service_id].service,
                _("Your callback URL is not answering: %(what)s.") % {"what": "; ".join(parts)},
                reverse("callback_url", args=[service_id]),
                _("Callback URL"),
            )
        ]
    return found
