import math
from decimal import Decimal

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from accounts import alerts, audit, ipallow
from accounts.models import AllowedAddress, AuditAction, SenderId, Service
from lib.clientaddress import request_address
from mailbridge import recipients, senders
from mailbridge.models import EDITABLE_FIELDS, Sms2EmailSettings

from . import login


class ThrottleLoginMixin:
    """Sign-in under panel.login's rules: an address that failed too often is refused; a
    username being guessed is slowed down, never locked, for addresses that failed."""

    def clean(self):
        username = (self.cleaned_data.get("username") or "").strip().lower()
        if not username or not self.cleaned_data.get("password"):
            return super().clean()  # the empty field says what to fill in
        address = request_address(self.request) if self.request else ""
        try:
            attempt = login.admit(address, username)
        except login.Refused as refused:
            raise self._refusal(refused) from None
        try:
            data = super().clean()
        except forms.ValidationError:
            login.failed(attempt)
            raise
        login.succeeded(attempt)
        return data

    @staticmethod
    def _refusal(refused: login.Refused) -> forms.ValidationError:
        if refused.reason == refused.ADDRESS:
            return forms.ValidationError(
                ngettext_lazy(
                    "Too many failed sign-in attempts. Wait %(minutes)s minute and try "
                    "again, or ask us to reset your password.",
                    "Too many failed sign-in attempts. Wait %(minutes)s minutes and try "
                    "again, or ask us to reset your password.",
                    "minutes",
                ),
                code="throttled",
                params={"minutes": max(1, math.ceil(refused.retry_after / 60))},
            )
        return forms.ValidationError(
            _("Too many failed sign-in attempts for this username. Try again in %(seconds)d s."),
            code="wait",
            params={"seconds": refused.retry_after},
        )


class ThrottledLoginForm(ThrottleLoginMixin, AuthenticationForm):
    pass


class ThrottledAdminLoginForm(ThrottleLoginMixin, AdminAuthenticationForm):
    pass


class AllowedAddressForm(forms.ModelForm):
    class Meta:
        model = AllowedAddress
        fields = ["network", "note"]
        widgets = {"network": forms.TextInput(attrs={"placeholder": "203.0.113.7"})}

    def __init__(self, *args, service: Service, **kwargs):
        super().__init__(*args, **kwargs)
        self.service = service
        self.instance.service = service

    def clean_network(self):
        try:
            network = ipallow.canonical(self.cleaned_data["network"])
        except ipallow.InvalidEntry as exc:
            raise forms.ValidationError(str(exc), code="invalid") from None
        if self.service.allowed_addresses.filter(network=network).exists():
            raise forms.ValidationError(
                _("%(network)s is already on the list."),
                code="duplicate",
                params={"network": network},
            )
        return network

    def validate_unique(self):
        # clean_network already reported a duplicate in words a customer understands.
        pass


class CallbackUrlForm(forms.ModelForm):
    callback_url = forms.URLField(
        label=_("Callback URL"),
        required=False,
        max_length=500,
        validators=[URLValidator(schemes=["http", "https"])],
        help_text=_(
            "Delivery reports and incoming SMS are POSTed here; answer with the body OK. "
            "Leave empty to switch callbacks off."
        ),
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/sms/callback"}),
        assume_scheme="https",
    )

    class Meta:
        model = Service
        fields = ["callback_url"]


class LowBalanceAlertForm(forms.Form):
    """The low-balance alert's threshold (accounts.alerts), on the SMS settings page."""

    low_balance_threshold = forms.DecimalField(
        label=_("Alert me when the balance falls below"),
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        localize=True,
        widget=forms.TextInput(
            attrs={"inputmode": "decimal", "aria-describedby": "low-balance-help"}
        ),
        help_text=_(
            "In PLN. When a send takes the balance below this amount we e-mail you once, "
            "and again only after the balance has been back at or above it. Leave empty "
            "for no alert."
        ),
    )

    def __init__(self, *args, service: Service, **kwargs):
        super().__init__(*args, **kwargs)
        self.service = service
        threshold = service.low_balance_threshold
        if threshold is not None:  # kept to four places, typed with two
            self.initial["low_balance_threshold"] = threshold.quantize(Decimal("0.01"))

    def save(self) -> None:
        alerts.set_threshold(self.service.pk, self.cleaned_data["low_balance_threshold"])


class SenderIdForm(forms.ModelForm):
    class Meta:
        model = SenderId
        fields = ["name", "comment"]
        labels = {"comment": _("What will you send with it?")}

    def __init__(self, *args, service: Service, **kwargs):
        super().__init__(*args, **kwargs)
        self.service = service
        self.instance.service = service

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if self.service.sender_ids.filter(name__iexact=name).exists():
            raise forms.ValidationError(
                _("You have already registered the sender name %(name)s."),
                code="duplicate",
                params={"name": name},
            )
        return name

    def validate_unique(self):
        pass


class Sms2EmailSettingsForm(forms.ModelForm):
    """Konfiguracja Sms2Email (seed 000 §3.3): the settings a customer edits. The
    password, the service address and the UPS subdomain are shown, not edited."""

    class Meta:
        model = Sms2EmailSettings
        fields = EDITABLE_FIELDS
        # The seed's labels; its Polish wording comes from the translation.
        labels = {
            "max_numbers": _("Max. numbers in one mail"),
            "authorised_senders": _("Authorised SMS senders"),
            "reports_to_sender": _("Delivery reports to the sender"),
            "incoming_recipients": _("Recipients of incoming SMS"),
            "reports_to_recipients": _("Delivery reports to those recipients"),
            "accept_unsecured": _("Accept mail without security"),
            "accept_password": _("Accept mail with the password in it"),
            "accept_md5": _("Accept mail with md5 (password+timestamp)"),
            "md5_window": _("Time shift allowed for md5 [s]"),
            "require_pgp": _("Require encrypted mail (PGP)"),
            "ups_enabled": _("Handle mail from UPS"),
        }
        # Example addresses the reader would write (Polish ones in Polish).
        widgets = {
            "authorised_senders": forms.Textarea(
                attrs={"rows": 3, "placeholder": _("john@example.com, example.com")}
            ),
            "incoming_recipients": forms.Textarea(
                attrs={"rows": 2, "placeholder": _("john@example.com, anna@example.com")}
            ),
        }

    def clean_authorised_senders(self):
        # A malformed entry, or one another service claims (SPEC §5: routing is
        # never ambiguous); the message names it.
        entries = senders.check_entries(self.instance, self.cleaned_data["authorised_senders"])
        return ", ".join(entries)

    def clean_incoming_recipients(self):
        # Malformed, or more than ten (mailbridge.recipients); the message says which.
        return ", ".join(recipients.check_addresses(self.cleaned_data["incoming_recipients"]))

    def __init__(self, *args, link_for: recipients.LinkFor, **kwargs):
        super().__init__(*args, **kwargs)
        self.link_for = link_for

    def save(self, commit=True):
        if not commit:
            raise ValueError("the authorised senders are saved with the settings")
        with transaction.atomic():
            settings_row = super().save()
            if changes := audit.form_changes(self):
                audit.record(
                    AuditAction.SMS2EMAIL_SETTINGS,
                    service=settings_row.service,
                    obj=settings_row,
                    changes=changes,
                )
            senders.set_authorised(settings_row, settings_row.authorised_senders)
            addresses = senders.split_addresses(settings_row.incoming_recipients)
            recipients.set_addresses(settings_row, addresses, self.link_for)
        return settings_row


class OrderServiceForm(forms.ModelForm):
    """Zamów usługę: a new service, created not activated (101) for staff to activate."""

    class Meta:
        model = Service
        fields = ["name", "kind"]
        labels = {"name": _("Service name"), "kind": _("Kind")}
        help_texts = {
            "name": _("For your own use, e.g. the shop or system that will send."),
            "kind": _("Two-way services also receive SMS (a number for replies)."),
        }
