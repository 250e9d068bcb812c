"""The panel's "Wyślij SMS" form: fields, the request it makes, and refusals in words.

The form only reads what the customer typed; ``messaging.services.submit``
decides (source: panel), and ``estimate`` counts for the live counter by the
same rules. Each refusal of the pipeline becomes a form error that says what
to fix, on the field at fault.
"""

import re
import uuid
from datetime import datetime
from typing import NamedTuple

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, ngettext_lazy

from accounts.models import Route, Service, ServiceState
from lib import classtable, l10n
from messaging import numbers, services
from messaging.models import Source

from . import group_send

MAX_FILE_BYTES = 5 * 1024 * 1024
# The button that counts and previews without sending (panel.group_send).
RECOUNT = group_send.RECOUNT


def split_recipients(typed: str) -> list[str]:
    """Entries separated by commas, semicolons or lines; within one, spaces separate
    numbers unless the whole entry is one number spelt with spaces (501 234 567)."""
    entries = []
    for chunk in re.split(r"[,;\n]", typed):
        if numbers.normalise_msisdn(chunk) or not chunk.strip():
            entries.append(chunk)
        else:
            entries.extend(chunk.split())
    return entries


def sender_choices(service: Service) -> list[tuple[str, str]]:
    """The standard route, then every sender ``submit`` takes (``services.usable_senders``)."""
    choices = [("", _("Standard route (no sender name)"))]
    for route in services.usable_senders(service.pk):
        if route.route == Route.OWN_GATEWAY:
            choices.append(
                (route.sender, _("%(alias)s (own GSM gateway)") % {"alias": route.sender})
            )
        else:
            choices.append((route.sender, route.sender))
    return choices


class SendForm(forms.Form):
    recipients = forms.CharField(
        label=_("Recipients"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Polish mobile numbers, separated by commas, spaces or new lines."),
    )
    recipients_file = forms.FileField(
        label=_("…or a file of numbers"),
        required=False,
        help_text=_("A text file, one number per line."),
    )
    # A personalised send to one of the customer's groups (panel.group_send).
    group = forms.ChoiceField(label=_("To a group"), required=False)
    skip_missing = forms.BooleanField(
        label=_("Skip contacts without a value for a field used in the text"),
        required=False,
        help_text=_("Otherwise such a field is left empty in their text."),
    )
    sender = forms.ChoiceField(label=_("Sender"), required=False)
    text = forms.CharField(
        label=_("Text"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    flash = forms.BooleanField(
        label=_("Flash SMS (shown on the screen, not saved; GSM-7 text only)"), required=False
    )
    express = forms.BooleanField(
        label=_("Express (sent ahead of the queue, one recipient, 1.5 × the price)"),
        required=False,
    )
    remove_special = forms.BooleanField(
        label=_("Remove Polish characters (ą → a …), so more text fits in a part"),
        required=False,
    )
    send_date = forms.DateField(
        label=_("Send on (date)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Empty: now. Europe/Warsaw time, at most 3 months ahead."),
    )
    send_time = forms.TimeField(
        label=_("at (time)"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    force = forms.BooleanField(
        label=_("Send even though operators may block this text"), required=False
    )
    token = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, service: Service, **kwargs):
        super().__init__(*args, **kwargs)
        self.service = service
        self.fields["sender"].choices = sender_choices(service)
        self.groups = group_send.groups(service)
        self.fields["group"].choices = group_send.choices(self.groups)
        self.group_built = None  # the group send's request, once built
        if not self.is_bound:
            self.initial["token"] = uuid.uuid4().hex

    def clean_recipients_file(self):
        upload = self.cleaned_data.get("recipients_file")
        if upload is not None and upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)d MB: split it into smaller ones."),
                params={"mb": MAX_FILE_BYTES // (1024 * 1024)},
            )
        return upload

    def clean(self):
        data = super().clean()
        if data.get("send_time") and not data.get("send_date"):
            self.add_error("send_date", _("Give the date as well as the time."))
        if data.get("group") and (
            (data.get("recipients") or "").strip() or data.get("recipients_file")
        ):
            self.add_error("group", group_send.BOTH)
        return data

    def placeholders(self) -> list[tuple[str, str]]:
        """The fields a group send's text may use, for the help beside the text."""
        return group_send.placeholders(self.service)

    def group_id(self) -> int | None:
        chosen = self.cleaned_data.get("group") if hasattr(self, "cleaned_data") else None
        return int(chosen) if chosen else None

    def send_at(self) -> datetime | None:
        day, moment = self.cleaned_data.get("send_date"), self.cleaned_data.get("send_time")
        if day is None:
            return None
        # Wall time in the platform's zone (TIME_ZONE), as the help text says.
        zone = timezone.get_default_timezone()
        return datetime.combine(day, moment or datetime.min.time(), tzinfo=zone)

    def request(self) -> services.SendRequest:
        data = self.cleaned_data
        group_id = self.group_id()
        if group_id is not None and self.group_built is None:
            self.group_built = group_send.build(
                self.service,
                group_id,
                data.get("text") or "",
                skip_missing=bool(data.get("skip_missing")),
                sender=data.get("sender") or "",
                send_at=self.send_at(),
                flash=bool(data.get("flash")),
                express=bool(data.get("express")),
                remove_special_characters=bool(data.get("remove_special")),
                force=bool(data.get("force")),
                source=Source.PANEL,
            )
        if self.group_built is not None:
            return self.group_built.request
        upload = data.get("recipients_file")
        if upload is not None:
            lines, digits_only = upload.read().decode("latin-1").splitlines(), True
        else:
            lines, digits_only = split_recipients(data.get("recipients") or ""), False
        return services.SendRequest(
            recipients=lines,
            recipients_digits_only=digits_only,
            text=data.get("text") or "",
            sender=data.get("sender") or "",
            send_at=self.send_at(),
            flash=bool(data.get("flash")),
            express=bool(data.get("express")),
            remove_special_characters=bool(data.get("remove_special")),
            force=bool(data.get("force")),
            source=Source.PANEL,
        )

    def refuse(self, exc: services.SendError) -> None:
        """Put the pipeline's refusal on the field at fault, in words that say what to fix."""
        field, text = self.refusal(exc)
        self.add_error(field, text)

    def refusal(self, exc: services.SendError) -> tuple[str | None, str]:
        """(form field, message) for a refusal, worded for a group send when it is one."""
        if self.group_built is not None:
            name = next((n for pk, n, _size in self.groups if pk == self.group_id()), "")
            worded = group_send.refusal(exc, self.group_built, name)
            if worded is not None:
                return worded
        return refusal(exc)

    def counter_problem(self, problem: services.SendError | None) -> tuple[str, str]:
        """The live counter's problem: the form's own about the group first (both a
        group and numbers), then the pipeline's refusal; ("", "") for none."""
        if self.errors.get("group"):
            return "group", str(self.errors["group"][0])
        if problem is None:
            return "", ""
        field, text = self.refusal(problem)
        return field or "", str(text)

    def count(
        self, request: services.SendRequest | None = None
    ) -> tuple[services.Estimate, "CounterWords"]:
        """The counter as the form stands (the page without JavaScript); ``request``
        when already made (a file of numbers is read once)."""
        request = request or self.request()
        estimate = services.estimate(self.service.pk, request)
        return estimate, self.counter_words(estimate, request)

    def counter_words(
        self, estimate: services.Estimate, request: services.SendRequest
    ) -> "CounterWords":
        """The counter's words; for a group send its range and the first texts."""
        if self.group_built is None:
            return counter_words(estimate, request)
        built = self.group_built
        return CounterWords(
            group_send.size_words(estimate),
            group_send.recipient_words(estimate, built),
            [],
            "",
            # As they go out (Polish characters removed when asked).
            [services.prepare_text(t, request.remove_special_characters)[0] for t in built.preview],
        )


# The entries the counter lists as left out; the rest are counted ("and 3 more").
DROPPED_SHOWN = 20
DROPPED_ENTRY_CHARS = 40
WHY_DROPPED = {
    numbers.NOT_MOBILE: _("not a Polish mobile number"),
    numbers.DUPLICATE: _("duplicate (sent once)"),
}


class CounterWords(NamedTuple):
    """The counter's sentences, in the plural forms of the reader's language (Polish
    has three: 1 numer, 2–4 numery, 5 numerów), for the page and the live counter."""

    size: str  # "161 characters · GSM-7 · 2 parts of at most 6"
    recipients: str  # "2 valid recipients, 1 dropped"
    dropped: list[tuple[str, str]]  # the first DROPPED_SHOWN entries left out, with why
    more: str  # "and 3 more", or ""
    preview: list[str] = []  # a group send's first personalised texts


def counter_words(estimate: services.Estimate, request: services.SendRequest) -> CounterWords:
    """Worded for the counter. The entries left out are read again here
    (``numbers.dropped_entries``): only the counter pays for naming them, never a send.
    They include repeats, which ``estimate.dropped`` does not count."""
    left_out = numbers.dropped_entries(
        request.recipients, digits_only=request.recipients_digits_only
    )
    chars, parts, valid = estimate.characters, estimate.parts, estimate.numbers
    size = " · ".join(
        [
            ngettext("%(n)s character", "%(n)s characters", chars) % {"n": chars},
            estimate.encoding,
            ngettext(
                "%(parts)s part of at most %(max)s", "%(parts)s parts of at most %(max)s", parts
            )
            % {"parts": parts, "max": estimate.max_parts},
        ]
    )
    recipients = ngettext("%(n)s valid recipient", "%(n)s valid recipients", valid) % {"n": valid}
    if left_out:
        dropped = len(left_out)
        recipients += ", " + ngettext("%(n)s dropped", "%(n)s dropped", dropped) % {"n": dropped}
    if estimate.stopped:
        recipients += ", " + ngettext(
            "%(n)s on the STOP list", "%(n)s on the STOP list", estimate.stopped
        ) % {"n": estimate.stopped}
    listed = [
        (Truncator(d.entry).chars(DROPPED_ENTRY_CHARS), str(WHY_DROPPED[d.reason]))
        for d in left_out[:DROPPED_SHOWN]
    ]
    more = len(left_out) - len(listed)
    more_words = ngettext("and %(n)s more", "and %(n)s more", more) % {"n": more} if more else ""
    return CounterWords(size, recipients, listed, more_words)


def left_out(stopped: int) -> str:
    """What the page says after a send about the numbers the STOP list kept out of it."""
    return ngettext(
        "%(n)s number is on the STOP list and was left out (not sent, not charged).",
        "%(n)s numbers are on the STOP list and were left out (not sent, not charged).",
        stopped,
    ) % {"n": stopped}


STATE_ADVICE = {
    ServiceState.NOT_ACTIVATED: _(
        "This service is not activated yet: we will e-mail you when it is."
    ),
    ServiceState.IN_DEBT: _("This service is in debt: top up its balance to send again."),
    ServiceState.SUSPENDED: _("This service is suspended: contact us."),
    ServiceState.DEACTIVATED: _("This service is deactivated: contact us."),
    ServiceState.BLOCKED_BY_CUSTOMER: _(
        "You blocked this service: unblock it on the Interfaces tab to send."
    ),
    ServiceState.BLOCKED_BY_STAFF: _("This service is blocked by our staff: contact us."),
}


# What the customer sees for each refusal of ``submit``: the form field at fault
# (None: above the form) and what to fix, %-formatted with ``_details``. Read
# by class, nearest ancestor first (lib.classtable), so a refusal added later
# gets SendError's general sentence, never an error page;
# tests/panel/test_send_refusals.py fails until it is named here.
NOT_SENT = _("The message was not sent: %(why)s.")
CHOOSE_SENDER = _("Choose a sender from the list; new names are added on Sender names.")
REFUSALS: dict[type[services.SendError], tuple[str | None, str]] = {
    services.SendError: (None, NOT_SENT),
    services.RecipientListEmpty: (
        "recipients",
        _("Enter at least one valid Polish mobile number, such as 501 234 567."),
    ),
    services.AllStopped: (
        "recipients",
        _("Every number is on the STOP list (they opted out): nothing was sent."),
    ),
    services.TooManyRecipients: (
        "recipients",
        ngettext_lazy(
            "At most %(n)s recipient in one message: split the list.",
            "At most %(n)s recipients in one message: split the list.",
            "n",
        ),
    ),
    services.EmptyText: ("text", _("Type the text of the message.")),
    services.MessageTooLong: (
        "text",
        _("The text takes %(parts)s parts and this sender sends at most %(max)s: shorten it."),
    ),
    services.ContentWarning: (
        "text",
        _(
            "Operators may block this text (it looks like premium-rate or vulgar content). "
            "Check it; to send it as it is, tick “Send even though operators may block this "
            "text”."
        ),
    ),
    services.SenderNotRegistered: ("sender", CHOOSE_SENDER),
    services.SenderNotVerified: ("sender", CHOOSE_SENDER),
    services.ScheduleTooFar: ("send_date", _("Schedule at most 3 months ahead.")),
    services.InsufficientFunds: (
        None,
        _(
            "This message costs %(needed)s and the service has %(available)s "
            "available: top up or send to fewer recipients."
        ),
    ),
    # Worded by the service's state (STATE_ADVICE); this for a state it does not name.
    services.ServiceRefused: (None, _("This service cannot send now.")),
    # The form has no report URL or user flag, and a send is never a lookup of a
    # message or an incoming SMS: the general sentence is the intended answer.
    services.InvalidNotifyUrl: (None, NOT_SENT),
    services.InvalidUserFlag: (None, NOT_SENT),
    services.MessageNotFound: (None, NOT_SENT),
    services.MessageInFlight: (None, NOT_SENT),
    services.IncomingTooLong: (None, NOT_SENT),
}


def refusal(exc: services.SendError) -> tuple[str | None, str]:
    """(form field, message) for a refusal of ``submit``."""
    field, text = classtable.lookup(REFUSALS, exc)
    if isinstance(exc, services.ServiceRefused) and exc.state in STATE_ADVICE:
        text = STATE_ADVICE[exc.state]
    # A lazy text picks its plural form by the figure it is given.
    return field, text % _details(exc)


def _details(exc: services.SendError) -> dict:
    details = {"n": settings.MAX_RECIPIENTS_PER_MESSAGE, "why": exc.detail or exc}
    if isinstance(exc, services.MessageTooLong):
        details.update(parts=exc.parts, max=exc.max_parts)
    if isinstance(exc, services.InsufficientFunds):
        details.update(needed=l10n.money(exc.needed), available=l10n.money(exc.available))
    return details
