"""The panel's histories: balance (the ledger), sent messages and received SMS, each
filtered by a small GET form and exported as CSV with the same filters.

CSV is streamed row by row (``StreamingHttpResponse``), so a message with a
million recipients is exported without holding it in memory, in UTF-8 with a
byte-order mark, which spreadsheet programs read as UTF-8. Each export comes
plain (commas, decimal points) and, with ``?format=excel``, for Excel in Polish
(semicolons, decimal commas), which reads a comma-separated file as one column;
both have the same columns, headed in the reader's language.
"""

import csv
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django import forms
from django.db.models import Count, Q, Sum
from django.http import StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts import audit
from accounts.models import ActorKind, AuditEntry, LedgerEntry, LedgerKind
from messaging import numbers
from messaging.models import (
    FAILURE_STATUSES,
    IncomingMessage,
    Message,
    Recipient,
    Source,
    Status,
)

DATE = forms.DateInput(attrs={"type": "date"})


class _Echo:
    def write(self, value):
        return value


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: str) -> str:
    """Text a spreadsheet would run as a formula (an SMS from a stranger may start with
    "="), kept as text by a leading apostrophe."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


@dataclass(frozen=True)
class CsvDialect:
    """How an export writes its file: the separator, the decimal mark, the name's tail."""

    delimiter: str
    decimal_mark: str
    suffix: str

    def number(self, value: Decimal, places: int) -> str:
        """A figure as the spreadsheet reads it: no grouping, the dialect's decimal mark."""
        return f"{value:.{places}f}".replace(".", self.decimal_mark)


PLAIN = CsvDialect(",", ".", "")
EXCEL_PL = CsvDialect(";", ",", "-excel")


def dialect_of(query) -> CsvDialect:
    """``?format=excel``: the Excel (PL) variant; anything else: the plain CSV."""
    return EXCEL_PL if query.get("format") == "excel" else PLAIN


def csv_response(name: str, header: list, rows, dialect: CsvDialect) -> StreamingHttpResponse:
    """``rows`` streamed as ``name``.csv (``name``-excel.csv for Excel (PL)), under
    ``header``, in the language of the request that asked for it."""
    writer = csv.writer(_Echo(), delimiter=dialect.delimiter)
    language = translation.get_language()
    header = [str(title) for title in header]

    def lines():
        # The rows are read as the response is sent, after the view has returned:
        # the words in them (statuses, ledger entries) keep the request's language.
        with translation.override(language):
            yield "\ufeff" + writer.writerow(header)
            for row in rows:
                yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}{dialect.suffix}.csv"'
    return response


class DateRangeForm(forms.Form):
    """An empty form is valid and filters nothing; a wrong one filters nothing and shows
    its errors."""

    date_from = forms.DateField(label=_("From"), required=False, widget=DATE)
    date_to = forms.DateField(label=_("To"), required=False, widget=DATE)

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        earliest, latest = date(2000, 1, 1), timezone.localdate() + timedelta(days=366)
        for name, value in (("date_from", start), ("date_to", end)):
            if value and not earliest <= value <= latest:
                self.add_error(name, _("Give a date from 2000 to a year from now."))
                data.pop(name, None)
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def range_q(self, field: str) -> Q:
        """Whole local days from ``date_from`` to ``date_to``, both included."""
        zone = timezone.get_current_timezone()
        q = Q()
        if self.cleaned_data.get("date_from"):
            start = datetime.combine(self.cleaned_data["date_from"], time.min, tzinfo=zone)
            q &= Q(**{f"{field}__gte": start})
        if self.cleaned_data.get("date_to"):
            end = datetime.combine(self.cleaned_data["date_to"] + timedelta(days=1), time.min, zone)
            q &= Q(**{f"{field}__lt": end})
        return q


# -- balance history -----------------------------------------------------------------------


class LedgerFilterForm(DateRangeForm):
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("all"))] + list(LedgerKind.choices)
    )


def ledger_entries(service, form: LedgerFilterForm):
    entries = LedgerEntry.objects.filter(service=service).order_by("-created_at", "-id")
    if form.is_valid():
        entries = entries.filter(form.range_q("created_at"))
        if form.cleaned_data.get("kind"):
            entries = entries.filter(kind=form.cleaned_data["kind"])
    return entries


def ledger_csv(service, form: LedgerFilterForm, dialect: CsvDialect = PLAIN):
    rows = (
        [
            _when(e.created_at),
            e.kind,
            dialect.number(e.amount, 4),
            dialect.number(e.balance_after, 4),
            e.reference or "",
            cell(e.description),
        ]
        for e in ledger_entries(service, form).iterator(chunk_size=2000)
    )
    header = [
        _("Time"),
        _("Kind"),
        pgettext_lazy("CSV header", "Amount (PLN)"),
        pgettext_lazy("CSV header", "Balance after (PLN)"),
        pgettext_lazy("CSV header", "Reference"),
        pgettext_lazy("CSV header", "Description"),
    ]
    return csv_response(f"balance-{service.pk}", header, rows, dialect)


def _when(moment: datetime | None) -> str:
    """A moment in an export: ISO-like local time, which both dialects' readers parse."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


# -- sent messages ----------------------------------------------------------------------------


class MessageFilterForm(DateRangeForm):
    status = forms.ChoiceField(
        label=_("Recipient status"),
        required=False,
        choices=[("", _("any"))] + list(Status.choices),
    )
    q = forms.CharField(label=_("Text or number"), required=False, max_length=200)


def messages_of(service, form: MessageFilterForm):
    found = Message.objects.visible_to(service.pk).order_by("-created_at", "-id")
    if not form.is_valid():
        return found
    found = found.filter(form.range_q("created_at"))
    if form.cleaned_data.get("status"):
        found = found.filter(
            pk__in=Recipient.objects.shown()
            .filter(status=form.cleaned_data["status"])
            .values("message_id")
        )
    query = (form.cleaned_data.get("q") or "").strip()
    if query:
        number = numbers.normalise_msisdn(query)
        match = Q(text__icontains=query)
        if number:
            match |= Q(
                pk__in=Recipient.objects.visible_to(service.pk)
                .filter(number=number)
                .values("message_id")
            )
        found = found.filter(match)
    return found


WAITING_STATUSES = frozenset({Status.PENDING, Status.QUEUED, Status.ON_HOLD})


@dataclass(frozen=True)
class Outcome:
    """Where a message's recipients stand, as the list of sent messages sums them up:
    delivered, failed (rejected, expired, operator error), still waiting (pending, at the
    operator, on hold) and cancelled; ``refunded`` is what came back to the balance."""

    delivered: int = 0
    failed: int = 0
    waiting: int = 0
    cancelled: int = 0
    refunded: Decimal = Decimal(0)

    @property
    def finished(self) -> bool:
        return not self.waiting


def outcomes(messages) -> dict[int, Outcome]:
    """Each message's ``Outcome``, in one query for all of them. Recipients deleted
    through the SMSC API are not counted (they are shown nowhere) but their refunds are:
    the money came back."""
    by_id = {m.pk: m for m in messages}
    counts = {pk: {"delivered": 0, "failed": 0, "waiting": 0, "cancelled": 0} for pk in by_id}
    refunded = dict.fromkeys(by_id, 0)
    rows = (
        Recipient.objects.filter(message_id__in=by_id)
        .values_list("message_id", "status")
        .annotate(
            shown=Count("id", filter=Q(deleted_at=None)),
            # A personalised send's recipient with its own text is refunded its own price.
            refunds=Count("id", filter=Q(refunded=True, price=None)),
            refunds_own=Sum("price", filter=Q(refunded=True)),
        )
    )
    for message_id, status, shown, refunds, own in rows:
        refunded[message_id] += refunds * by_id[message_id].recipient_price + (own or 0)
        if status == Status.DELIVERED:
            kind = "delivered"
        elif status in FAILURE_STATUSES:
            kind = "failed"
        elif status == Status.CANCELLED:
            kind = "cancelled"
        else:
            kind = "waiting"
        counts[message_id][kind] += shown
    return {pk: Outcome(**counts[pk], refunded=Decimal(refunded[pk])) for pk in by_id}


def with_outcomes(messages) -> list[tuple[Message, Outcome]]:
    """``messages`` (a page of them) each beside its ``Outcome``."""
    messages = list(messages)
    found = outcomes(messages)
    return [(message, found[message.pk]) for message in messages]


# In place of what retention erased (messaging.retention), in the reader's language.
ARCHIVED = pgettext_lazy("data retention", "Archived")


def messages_csv(service, form: MessageFilterForm, dialect: CsvDialect = PLAIN):
    """The list of sent messages as filtered, one row each with its outcome: read a
    thousand at a time, with one query for the outcomes of each thousand."""

    def described(chunk):
        for message, outcome in with_outcomes(chunk):
            yield [
                message.pk,
                _when(message.created_at),
                _when(message.send_at),
                Source(message.source).label,
                cell(message.sender),
                ARCHIVED if message.text_archived_at else cell(message.text),
                message.recipient_count,
                message.parts,
                dialect.number(message.price, 4),
                dialect.number(outcome.refunded, 4),
                outcome.delivered,
                outcome.failed,
                outcome.waiting,
                outcome.cancelled,
            ]

    def rows():
        chunk = []
        for message in messages_of(service, form).iterator(chunk_size=1000):
            chunk.append(message)
            if len(chunk) == 1000:
                yield from described(chunk)
                chunk = []
        yield from described(chunk)

    header = [
        _("Message ID"),
        _("Accepted"),
        _("Send at"),
        pgettext_lazy("CSV header", "Sent through"),
        _("Sender"),
        _("Text"),
        _("Recipients"),
        _("Parts"),
        pgettext_lazy("CSV header", "Price (PLN)"),
        pgettext_lazy("CSV header", "Refunded (PLN)"),
        pgettext_lazy("CSV header", "Delivered"),
        pgettext_lazy("CSV header", "Failed"),
        pgettext_lazy("CSV header", "Waiting"),
        pgettext_lazy("CSV header", "Cancelled"),
    ]
    return csv_response(f"messages-{service.pk}", header, rows(), dialect)


def recipients_csv(message: Message, dialect: CsvDialect = PLAIN):
    # The status by its API name, as before, and after the columns there were, in
    # the reader's words. A personalised send adds each recipient's text, parts and
    # price (its own, or the message's).
    personalised = message.personalised

    def own(r) -> list:
        if not personalised:
            return []
        if r.text is None:
            return [cell(message.text), message.parts, dialect.number(message.recipient_price, 4)]
        return [cell(r.text), r.parts, dialect.number(r.price, 4)]

    rows = (
        [
            r.pk,
            r.number,
            r.status,
            _when(r.status_at),
            _when(r.delivered_at),
            Status(r.status).label,
            *own(r),
        ]
        for r in message.recipients.shown()
        .order_by("id")
        .only("pk", "number", "status", "status_at", "delivered_at", "text", "parts", "price")
        .iterator(chunk_size=5000)
    )
    header = [
        _("Instance ID"),
        _("Number"),
        pgettext_lazy("CSV header", "Status (API name)"),
        pgettext_lazy("CSV header", "Status since"),
        pgettext_lazy("CSV header", "Delivered at"),
        _("Status"),
    ]
    if personalised:
        header += [_("Text"), _("Parts"), pgettext_lazy("CSV header", "Price (PLN)")]
    return csv_response(f"message-{message.pk}", header, rows, dialect)


# -- received SMS -----------------------------------------------------------------------------


class IncomingFilterForm(DateRangeForm):
    q = forms.CharField(label=_("Text or number"), required=False, max_length=200)


def incoming_of(service, form: IncomingFilterForm):
    found = IncomingMessage.objects.filter(service=service).order_by("-received_at", "-id")
    if not form.is_valid():
        return found
    found = found.filter(form.range_q("received_at"))
    query = (form.cleaned_data.get("q") or "").strip()
    if query:
        number = numbers.normalise_msisdn(query)
        # An archived number is searched no more: its kept digits would say whose it was.
        match = Q(text__icontains=query) | Q(from_number__icontains=query, number_archived_at=None)
        if number:
            match |= Q(from_number__in=[number, "+" + number, number[2:]])
        found = found.filter(match)
    return found


def incoming_csv(service, form: IncomingFilterForm, dialect: CsvDialect = PLAIN):
    rows = (
        [
            _when(sms.received_at),
            cell(sms.from_number),
            cell(sms.to_number),
            ARCHIVED if sms.text_archived_at else cell(sms.text),
        ]
        for sms in incoming_of(service, form).iterator(chunk_size=2000)
    )
    header = [_("Received"), _("From"), _("To"), _("Text")]
    return csv_response(f"received-{service.pk}", header, rows, dialect)


# -- the change history (accounts.audit) -------------------------------------------------


@dataclass(frozen=True)
class ChangeRow:
    entry: AuditEntry
    who: str
    address: str  # the customer's own address; staff's is not shown
    changes: list


def change_row(entry: AuditEntry) -> ChangeRow:
    """One audit entry as the customer reads it: staff (and their commands) as "Staff",
    not by name; the platform's own changes as such."""
    if entry.actor_kind == ActorKind.CUSTOMER:
        who, address = entry.actor_label, entry.address or ""
    elif entry.actor_kind in (ActorKind.STAFF, ActorKind.COMMAND):
        who, address = str(_("Staff")), ""
    else:
        who, address = str(_("Platform")), ""
    return ChangeRow(entry=entry, who=who, address=address, changes=audit.changes_of(entry))
