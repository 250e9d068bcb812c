"""Who sends and how much they have: customers, services, money, sender IDs."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from . import ipallow, secrets, sending_window
from .choices import ServiceState
from .ledger_reasons import LedgerReason, describe

MONEY = {"max_digits": 14, "decimal_places": 4}
# Balances and prices keep four decimal places (1/100 grosz): operators quote
# part prices such as 0.0650 PLN, and express is 1.5 × that.
ZERO = Decimal("0.0000")


class Customer(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="customer",
        verbose_name=_("user"),
    )
    name = models.CharField(_("name"), max_length=200, help_text=_("Company or person."))
    phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # The language of the customer's mail (lib.emails), kept from the panel's language
    # switch; blank until they use it, and a mail to them then comes in every language.
    language = models.CharField(
        _("language"),
        max_length=8,
        blank=True,
        choices=settings.LANGUAGES,
        default="",
        help_text=_(
            "Kept when the customer switches the panel's language; their e-mails are "
            "written in it (empty: in every language)."
        ),
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def mail_language(self) -> str | None:
        """The language to write to the customer in (lib.emails.render_email): None
        while it is not known."""
        return self.language or None


class Route(models.TextChoices):
    """Price routes (SPEC §2): how a message leaves the platform."""

    STANDARD = "standard", _("standard (empty sender)")
    PREMIUM = "premium", _("premium (sender ID or assigned number)")
    OWN_GATEWAY = "own_gateway", _("own GSM gateway")


class Tariff(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    standard_part_price = models.DecimalField(
        _("standard, per part (PLN)"), **MONEY, validators=[MinValueValidator(ZERO)]
    )
    premium_part_price = models.DecimalField(
        _("premium, per part (PLN)"), **MONEY, validators=[MinValueValidator(ZERO)]
    )
    own_gateway_part_price = models.DecimalField(
        _("own gateway, per part (PLN)"), **MONEY, validators=[MinValueValidator(ZERO)]
    )
    is_default = models.BooleanField(_("default for new services"), default=False)

    class Meta:
        verbose_name = _("tariff")
        verbose_name_plural = _("tariffs")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="one_default_tariff",
            )
        ]

    def __str__(self):
        return self.name

    # Prices are computed by accounts.pricing, the one home of the price rule.

    @classmethod
    def default(cls) -> "Tariff":
        """The tariff new services get; a starter one is made when staff set none."""
        tariff = cls.objects.filter(is_default=True).first()
        if tariff is None:
            tariff, _created = cls.objects.get_or_create(
                name="Standard",
                defaults={
                    "standard_part_price": Decimal("0.0700"),
                    "premium_part_price": Decimal("0.1200"),
                    "own_gateway_part_price": Decimal("0.0100"),
                },
            )
            cls.objects.filter(pk=tariff.pk).update(is_default=True)
            tariff.is_default = True
        return tariff


class ServiceKind(models.TextChoices):
    ONE_WAY = "one_way", _("one-way")
    TWO_WAY = "two_way", _("two-way")


class StateChangeRefused(Exception):
    """A state change that the rules do not allow from the current state."""


class Service(models.Model):
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="services", verbose_name=_("customer")
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(
        _("kind"), max_length=16, choices=ServiceKind.choices, default=ServiceKind.ONE_WAY
    )
    state = models.PositiveSmallIntegerField(
        _("state"), choices=ServiceState.choices, default=ServiceState.NOT_ACTIVATED
    )
    tariff = models.ForeignKey(
        Tariff,
        on_delete=models.PROTECT,
        related_name="services",
        verbose_name=_("tariff"),
        blank=True,
        help_text=_("Empty: the default tariff."),
    )
    # Money lives on the service (the seed's "konto usługi"): each service has
    # its own balance and credit limit; a customer's services do not share funds.
    # ``balance`` is a running total kept in step with the ledger by
    # accounts.ledger, in the same transaction; the ledger sum re-derives it.
    balance = models.DecimalField(_("balance (PLN)"), **MONEY, default=ZERO, editable=False)
    credit_limit = models.DecimalField(
        _("credit limit (PLN)"),
        **MONEY,
        default=ZERO,
        validators=[MinValueValidator(ZERO)],
        help_text=_("How far below zero the balance may go."),
    )
    api_username = models.CharField(
        _("API username"),
        max_length=64,
        unique=True,
        blank=True,
        validators=[RegexValidator(r"^[A-Za-z0-9_.@-]+$", _("Letters, digits and _ . @ - only."))],
    )
    api_password_digest = models.CharField(
        _("API password (digest)"), max_length=128, editable=False
    )
    sms_hash_digest = models.CharField(
        _("SMS hash (digest)"), max_length=64, unique=True, editable=False
    )
    callback_url = models.URLField(
        _("callback URL"),
        max_length=500,
        blank=True,
        help_text=_("Where delivery reports and incoming SMS are POSTed."),
    )
    # Callbacks are signed with a key derived from this and the platform's
    # signing key (messaging.callbacks.signing_secret); nothing secret is stored.
    callback_key_version = models.CharField(
        _("callback signing key version"), max_length=32, blank=True, editable=False
    )
    # Interfaces (panel › Interfejsy): a switched-off one refuses its calls with its
    # protocol's login error, after the right credentials (accounts.apiauth).
    http_api_enabled = models.BooleanField(_("HTTP API on"), default=True)
    smsc_api_enabled = models.BooleanField(_("SMSC API on"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    activated_at = models.DateTimeField(_("activated"), null=True, blank=True)
    # The low-balance alert (accounts.alerts): one mail when a charge takes the
    # balance below the threshold, none again until the balance is back at or above it.
    low_balance_threshold = models.DecimalField(
        _("low-balance alert threshold (PLN)"),
        **MONEY,
        null=True,
        blank=True,
        help_text=_("Empty: no alert."),
    )
    low_balance_alerted = models.BooleanField(
        _("low-balance alert sent"), default=False, editable=False
    )

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["customer__name", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(credit_limit__gte=0), name="credit_limit_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.name} (#{self.pk})"

    def save(self, *args, **kwargs):
        if not self.api_username:
            self.api_username = self._unused_api_username()
        if not self.api_password_digest:
            # Nobody knows this password: the customer regenerates one in the panel.
            self.api_password_digest = secrets.digest_api_password(secrets.generate_api_password())
        if not self.sms_hash_digest:
            self.sms_hash_digest = secrets.digest_sms_hash(secrets.generate_sms_hash())
        if self.tariff_id is None:
            self.tariff = Tariff.default()
        if self.state == ServiceState.ACTIVE and self.activated_at is None:
            # Made active directly (in admin, by seed_demo), not through activate():
            # it became active now.
            self.activated_at = timezone.now()
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "activated_at"}
        super().save(*args, **kwargs)

    @staticmethod
    def _unused_api_username() -> str:
        while True:
            candidate = secrets.generate_api_username()
            if not Service.objects.filter(api_username=candidate).exists():
                return candidate

    # -- sending -----------------------------------------------------------------
    # May this service send, after taking ``amount``? One rule in three
    # spellings, kept side by side: may_send_after (Python: refusals, the ORM
    # send), may_send_after_q (a filter: the dispatcher's hold check, amount 0)
    # and may_send_after_sql (the PostgreSQL one-statement send, messaging.pg,
    # which checks the balance after its charge). covers() is the funds half,
    # which accounts.ledger enforces on every charge.
    # tests/accounts/test_may_send.py binds the three spellings.

    def covers(self, amount: Decimal) -> bool:
        """Taking ``amount`` leaves the balance at or above ``-credit_limit``."""
        return self.balance - amount >= -self.credit_limit

    def may_send_after(self, amount: Decimal = ZERO) -> bool:
        """Active, and taking ``amount`` keeps the balance within the credit limit."""
        return self.state == ServiceState.ACTIVE and self.covers(amount)

    @staticmethod
    def may_send_after_q(amount: Decimal = ZERO) -> models.Q:
        """may_send_after as a filter on services."""
        return models.Q(state=ServiceState.ACTIVE, balance__gte=amount - models.F("credit_limit"))

    @staticmethod
    def may_send_after_sql(amount: str, service: str = "s") -> str:
        """may_send_after as an SQL condition on the service row aliased ``service``.

        ``amount`` is an SQL expression (the statement's own price), not a value.
        """
        return (
            f"{service}.state = {ServiceState.ACTIVE.value}"
            f" AND {service}.balance - ({amount}) >= -{service}.credit_limit"
        )

    def sending_refusal(self) -> int | None:
        """None when the service may send now, else the refusal code (101–106).

        The state's own code first; an active service whose balance sits below
        its credit limit (possible only after a staff adjustment) is refused as
        in debt (102).
        """
        if self.state != ServiceState.ACTIVE:
            return int(self.state)
        if not self.may_send_after(ZERO):
            return int(ServiceState.IN_DEBT)
        return None

    @property
    def may_send(self) -> bool:
        return self.may_send_after(ZERO)

    @property
    def available_funds(self) -> Decimal:
        return self.balance + self.credit_limit

    # -- state changes -------------------------------------------------------------
    # Each is one conditional UPDATE, so two racing requests cannot both win.

    def _transition(self, allowed_from, to, **extra) -> None:
        from .signals import state_changed

        with transaction.atomic():
            # The row is locked for the state it had, which the audit log keeps; NO KEY,
            # as accounts.ledger.lock: rows that only reference the service do not wait.
            before = (
                Service.objects.select_for_update(no_key=True)
                .filter(pk=self.pk)
                .values_list("state", flat=True)
                .first()
            )
            updated = Service.objects.filter(pk=self.pk, state__in=list(allowed_from)).update(
                state=to, **extra
            )
            if not updated:
                self.refresh_from_db(fields=["state"])
                raise StateChangeRefused(
                    f"Service #{self.pk} is {self.get_state_display()}; cannot change it to "
                    f"{ServiceState(to).label}."
                )
            self.state = to
            for field, value in extra.items():
                setattr(self, field, value)
            state_changed.send(sender=Service, service=self, before=before, after=to)

    def block_by_customer(self) -> None:
        self._transition([ServiceState.ACTIVE], ServiceState.BLOCKED_BY_CUSTOMER)

    def unblock_by_customer(self) -> None:
        # Only the customer's own block (105) can be lifted here; never 106.
        self._transition([ServiceState.BLOCKED_BY_CUSTOMER], ServiceState.ACTIVE)

    def block_by_staff(self) -> None:
        others = [s for s in ServiceState if s != ServiceState.BLOCKED_BY_STAFF]
        self._transition(others, ServiceState.BLOCKED_BY_STAFF)

    def unblock_by_staff(self) -> None:
        self._transition([ServiceState.BLOCKED_BY_STAFF], ServiceState.ACTIVE)

    def activate(self) -> None:
        first = self.state == ServiceState.NOT_ACTIVATED
        self._transition(
            [ServiceState.NOT_ACTIVATED, ServiceState.IN_DEBT, ServiceState.SUSPENDED],
            ServiceState.ACTIVE,
            activated_at=self.activated_at or timezone.now(),
        )
        if first:
            from .signals import service_activated

            service_activated.send(sender=Service, service=self)


class AllowedAddress(models.Model):
    """Bramka SMS › Integracja (API) › Adresy IP. An empty list refuses every API call."""

    service = models.ForeignKey(
        Service,
        on_delete=models.CASCADE,
        related_name="allowed_addresses",
        verbose_name=_("service"),
    )
    network = models.CharField(
        _("address or range"),
        max_length=64,
        help_text=_("An IPv4/IPv6 address or a CIDR range such as 192.0.2.0/24."),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        verbose_name = _("allowed IP address")
        verbose_name_plural = _("allowed IP addresses")
        ordering = ["service", "network"]
        constraints = [
            models.UniqueConstraint(fields=["service", "network"], name="unique_allowed_address")
        ]

    def __str__(self):
        return self.network

    def clean(self):
        if not self.network:
            return  # the field's own validation reports an empty value
        try:
            self.network = ipallow.canonical(self.network)
        except ipallow.InvalidEntry as exc:
            raise ValidationError({"network": str(exc)}) from None


class LedgerKind(models.TextChoices):
    CHARGE = "charge", _("charge")
    REFUND = "refund", _("refund")
    TOP_UP = "top_up", _("top-up")
    ADJUSTMENT = "adjustment", _("adjustment")


class LedgerEntry(models.Model):
    """One change of a service's balance. Append-only: never updated or deleted."""

    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="ledger_entries", verbose_name=_("service")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=LedgerKind.choices)
    amount = models.DecimalField(
        _("amount (PLN)"), **MONEY, help_text=_("Signed: negative takes money away.")
    )
    balance_after = models.DecimalField(_("balance after (PLN)"), **MONEY)
    # Makes an operation idempotent: e.g. "refund:recipient:42" can exist once.
    reference = models.CharField(_("reference"), max_length=100, unique=True, null=True, blank=True)
    # What the platform wrote the entry for, as data, worded when shown in the
    # reader's language (accounts.ledger_reasons); empty for staff's own entries.
    reason = models.CharField(
        _("reason"), max_length=16, choices=LedgerReason.choices, blank=True, default=""
    )
    params = models.JSONField(_("details"), default=dict, blank=True)
    # Free text staff type (admin's top-up form); shown as typed.
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["service", "-created_at"], name="ledger_service_time")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount} PLN"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("Ledger entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Ledger entries are append-only.")

    @property
    def description(self) -> str:
        """What the entry was for, in the reader's language."""
        return describe(self.reason, self.params, self.note)


class SenderStatus(models.IntegerChoices):
    """Moderation status of a sender ID (seed 004)."""

    PENDING = 0, _("pending moderation")
    ALLOWED = 1, _("allowed")
    DISABLED = 2, _("disabled")


class OperatorStatus(models.IntegerChoices):
    """Registration status of a sender ID at one operator (seed 004)."""

    AWAITING = 0, _("awaiting registration")
    SUBMITTED = 1, _("submitted for registration")
    ACCEPTED = 2, _("accepted by the operator")
    REFUSED = 3, _("refused by the operator")
    SUSPENDED = 4, _("temporarily disabled")
    NO_BALANCE = 5, _("auto-disabled: balance ran out")
    DUPLICATE = 6, _("duplicate of another name (conflict)")

    @property
    def word(self):
        """The status in a word or two, for the panel's narrow table; the label in full."""
        return _OPERATOR_STATUS_WORDS[self]


_OPERATOR_STATUS_WORDS = {
    OperatorStatus.AWAITING: pgettext_lazy("operator status", "awaiting"),
    OperatorStatus.SUBMITTED: pgettext_lazy("operator status", "submitted"),
    OperatorStatus.ACCEPTED: pgettext_lazy("operator status", "accepted"),
    OperatorStatus.REFUSED: pgettext_lazy("operator status", "refused"),
    OperatorStatus.SUSPENDED: pgettext_lazy("operator status", "suspended"),
    OperatorStatus.NO_BALANCE: pgettext_lazy("operator status", "no funds"),
    OperatorStatus.DUPLICATE: pgettext_lazy("operator status", "name conflict"),
}


# The operator columns of seed 004's `operators=1` listing, in its order: SMSC's
# wire fields, answered as stored. The platform's own networks are
# settings.SENDER_NAME_OPERATORS (SenderOperatorStatus).
SENDER_OPERATORS = (
    "mega",
    "mts",
    "mega_step",
    "bee_step",
    "motiv_step",
    "mts_step",
    "tele2_step",
    "tele2",
    "ua_reg",
    "ua_int",
)

sender_name_validator = RegexValidator(
    r"^(?:[A-Za-z0-9 .\-_&!]{1,11}|\+?[0-9]{5,15})$",
    _(
        "A sender name is 1–11 Latin letters, digits, spaces or . - _ & !, "
        "or a phone number of up to 15 digits."
    ),
)


def _operator_field(name):
    return models.PositiveSmallIntegerField(
        name, choices=OperatorStatus.choices, default=OperatorStatus.AWAITING
    )


class SenderId(models.Model):
    """Nazwy nadawcy: a name or number shown as the sender, moderated by staff."""

    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="sender_ids", verbose_name=_("service")
    )
    name = models.CharField(_("sender name"), max_length=16, validators=[sender_name_validator])
    status = models.PositiveSmallIntegerField(
        _("status"), choices=SenderStatus.choices, default=SenderStatus.PENDING
    )
    comment = models.CharField(_("comment"), max_length=300, blank=True)
    # A phone-number sender ID is confirmed by a code sent to it by SMS
    # (accounts.senders): the code's digest, when it went, the wrong tries.
    confirmed_at = models.DateTimeField(_("number confirmed"), null=True, blank=True)
    code_digest = models.CharField(max_length=64, blank=True, editable=False)
    code_sent_at = models.DateTimeField(_("code sent"), null=True, blank=True, editable=False)
    code_tries = models.PositiveSmallIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    mega = _operator_field("mega")
    mts = _operator_field("mts")
    mega_step = _operator_field("mega_step")
    bee_step = _operator_field("bee_step")
    motiv_step = _operator_field("motiv_step")
    mts_step = _operator_field("mts_step")
    tele2_step = _operator_field("tele2_step")
    tele2 = _operator_field("tele2")
    ua_reg = _operator_field("ua_reg")
    ua_int = _operator_field("ua_int")

    class Meta:
        verbose_name = _("sender ID")
        verbose_name_plural = _("sender IDs")
        ordering = ["service", "name"]
        constraints = [
            models.UniqueConstraint(fields=["service", "name"], name="unique_sender_per_service")
        ]

    def __str__(self):
        return self.name

    @property
    def is_phone(self) -> bool:
        """A number, confirmed by a code sent to it, rather than a name."""
        return is_phone_sender(self.name)

    def operator_statuses(self) -> tuple[tuple[str, int], ...]:
        """(operator, OperatorStatus) for each of SENDER_OPERATORS, in seed 004's order."""
        return tuple((operator, getattr(self, operator)) for operator in SENDER_OPERATORS)

    def registration_statuses(self) -> list[tuple[str, OperatorStatus]]:
        """(operator's name, status) for each of the platform's networks
        (settings.SENDER_NAME_OPERATORS, in its order); one with no status recorded is
        still awaiting registration. Prefetch ``operator_registrations`` for a list."""
        recorded = {row.operator: row.status for row in self.operator_registrations.all()}
        return [
            (name, OperatorStatus(recorded.get(code, OperatorStatus.AWAITING)))
            for code, name in settings.SENDER_NAME_OPERATORS.items()
        ]


class SenderOperatorStatus(models.Model):
    """A sender ID's registration status at one of the platform's networks, set by staff.

    ``operator`` is a code of settings.SENDER_NAME_OPERATORS; the setting, not a column
    per network, says which there are, so a platform in another market configures its
    own. A code dropped from the setting keeps its rows, shown nowhere.
    """

    sender = models.ForeignKey(
        SenderId,
        on_delete=models.CASCADE,
        related_name="operator_registrations",
        verbose_name=_("sender ID"),
    )
    operator = models.CharField(_("operator"), max_length=32)
    status = models.PositiveSmallIntegerField(
        _("status"), choices=OperatorStatus.choices, default=OperatorStatus.AWAITING
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("status at an operator")
        verbose_name_plural = _("statuses at operators")
        ordering = ["sender", "operator"]
        constraints = [
            models.UniqueConstraint(
                fields=["sender", "operator"], name="one_status_per_sender_operator"
            )
        ]

    def __str__(self):
        name = settings.SENDER_NAME_OPERATORS.get(self.operator, self.operator)
        return f"{self.sender}: {name}"


def is_phone_sender(name: str) -> bool:
    digits = name[1:] if name.startswith("+") else name
    return digits.isascii() and digits.isdigit()


class ActorKind(models.TextChoices):
    """Who made a change the audit log records (accounts.audit)."""

    STAFF = "staff", _("staff")
    CUSTOMER = "customer", _("customer")
    COMMAND = "command", _("command")
    SYSTEM = "system", _("platform")


class AuditAction(models.TextChoices):
    TOP_UP = "balance.top_up", _("balance topped up")
    ADJUSTMENT = "balance.adjust", _("balance adjusted")
    STATE = "service.state", _("service state changed")
    SERVICE_CREATED = "service.create", _("service created")
    SERVICE_CHANGED = "service.change", _("service settings changed")
    API_PASSWORD = "credentials.api_password", _("new API password")
    SMS_HASH = "credentials.sms_hash", _("new SMS hash")
    SIGNING_SECRET = "credentials.signing_secret", _("new callback signing secret")
    ALLOWLIST_ADDED = "allowlist.add", _("IP address allowed")
    ALLOWLIST_CHANGED = "allowlist.change", _("allowed IP address changed")
    ALLOWLIST_REMOVED = "allowlist.remove", _("IP address removed")
    CALLBACK_URL = "callback.url", _("callback URL changed")
    SENDER_MODERATED = "sender.moderate", _("sender name moderated")
    SENDER_OPERATOR = "sender.operator", _("sender name's status at an operator changed")
    SENDER_DELETED = "sender.delete", _("sender name removed by staff")
    TARIFF_CREATED = "tariff.create", _("tariff created")
    TARIFF_CHANGED = "tariff.change", _("tariff changed")
    TARIFF_DELETED = "tariff.delete", _("tariff deleted")
    SMS2EMAIL_ON = "sms2email.on", _("Sms2Email switched on")
    SMS2EMAIL_OFF = "sms2email.off", _("Sms2Email switched off")
    SMS2EMAIL_SETTINGS = "sms2email.settings", _("Sms2Email settings changed")
    SMS2EMAIL_PASSWORD = "sms2email.password", _("new Sms2Email password")
    SMS2EMAIL_SUBDOMAIN = "sms2email.subdomain", _("new UPS subdomain")


class AppendOnly(Exception):
    """An audit entry is never changed or deleted once written."""


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnly("Audit entries are append-only.")

    def _update(self, values):  # what Model.save's UPDATE and update_or_create go through
        raise AppendOnly("Audit entries are append-only.")

    def delete(self):
        raise AppendOnly("Audit entries are append-only.")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnly("Audit entries are append-only.")

    def bulk_create(self, objs, *args, update_conflicts=False, **kwargs):
        if update_conflicts:
            raise AppendOnly("Audit entries are append-only.")
        return super().bulk_create(objs, *args, **kwargs)


class AuditEntry(models.Model):
    """One change to money, a service's state, credentials, moderation or tariffs:
    who, when, from where, what changed. Written by accounts.audit.record in the
    transaction of the change; append-only (and on PostgreSQL a trigger refuses any
    UPDATE or DELETE of the table, migration 0012).

    The references (actor, customer, service) are kept without a database constraint
    and never followed on delete: the entry outlives what it names, and its labels
    say what that was."""

    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor_kind = models.CharField(_("who"), max_length=16, choices=ActorKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    # The username, or the command's name, as it was.
    actor_label = models.CharField(_("by"), max_length=150)
    address = models.GenericIPAddressField(_("from address"), null=True, blank=True)
    customer = models.ForeignKey(
        Customer,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("customer"),
    )
    service = models.ForeignKey(
        Service,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service"),
    )
    customer_label = models.CharField(_("customer"), max_length=200, blank=True)
    service_label = models.CharField(_("service"), max_length=250, blank=True)
    action = models.CharField(_("action"), max_length=32, choices=AuditAction.choices)
    # The changed object's model ("accounts.tariff"): it names the fields in ``changes``.
    object_type = models.CharField(max_length=64)
    target = models.CharField(_("object"), max_length=250, blank=True)
    # {field: [before, after]}, plain JSON values; a secret is stored as its mask only.
    changes = models.JSONField(_("changes"), default=dict)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["service", "-created_at"], name="audit_service_time")]
        # Model.save and related lookups go through the base manager: the append-only one.
        base_manager_name = "objects"

    def __str__(self):
        return f"{self.get_action_display()} · {self.actor_label}"

    def save(self, *args, force_insert=False, force_update=False, update_fields=None, **kwargs):
        # Only ever an INSERT: an instance made with an existing entry's key would
        # otherwise be saved as an UPDATE of that entry.
        if not self._state.adding or force_update or update_fields is not None:
            raise AppendOnly("Audit entries are append-only.")
        super().save(*args, force_insert=True, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("Audit entries are append-only.")


# -- quiet hours ---------------------------------------------------------------------------

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEKDAY_NAMES = (
    _("Monday"),
    _("Tuesday"),
    _("Wednesday"),
    _("Thursday"),
    _("Friday"),
    _("Saturday"),
    _("Sunday"),
)


class QuietHours(models.Model):
    """A service's sending window (README "Quiet hours"): with ``enabled``, a send
    accepted outside it waits for its next opening (``accounts.sending_window``),
    read per weekday in Europe/Warsaw. A day with neither time has no sending."""

    service = models.OneToOneField(
        Service,
        on_delete=models.CASCADE,
        related_name="quiet_hours",
        verbose_name=_("service"),
    )
    enabled = models.BooleanField(_("quiet hours on"), default=False)
    monday_from = models.TimeField(_("Monday from"), null=True, blank=True)
    monday_until = models.TimeField(_("Monday until"), null=True, blank=True)
    tuesday_from = models.TimeField(_("Tuesday from"), null=True, blank=True)
    tuesday_until = models.TimeField(_("Tuesday until"), null=True, blank=True)
    wednesday_from = models.TimeField(_("Wednesday from"), null=True, blank=True)
    wednesday_until = models.TimeField(_("Wednesday until"), null=True, blank=True)
    thursday_from = models.TimeField(_("Thursday from"), null=True, blank=True)
    thursday_until = models.TimeField(_("Thursday until"), null=True, blank=True)
    friday_from = models.TimeField(_("Friday from"), null=True, blank=True)
    friday_until = models.TimeField(_("Friday until"), null=True, blank=True)
    saturday_from = models.TimeField(_("Saturday from"), null=True, blank=True)
    saturday_until = models.TimeField(_("Saturday until"), null=True, blank=True)
    sunday_from = models.TimeField(_("Sunday from"), null=True, blank=True)
    sunday_until = models.TimeField(_("Sunday until"), null=True, blank=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        verbose_name = _("quiet hours")
        verbose_name_plural = _("quiet hours")

    def __str__(self):
        return str(_("Quiet hours of %(service)s") % {"service": self.service})

    def times(self, day: str) -> tuple:
        return getattr(self, f"{day}_from"), getattr(self, f"{day}_until")

    def clean(self):
        errors = {}
        for day, name in zip(WEEKDAYS, WEEKDAY_NAMES, strict=True):
            start, end = self.times(day)
            if (start is None) != (end is None):
                missing = f"{day}_until" if end is None else f"{day}_from"
                errors[missing] = _(
                    "%(day)s: give both times, or leave both empty for no sending that day."
                ) % {"day": name}
            elif start is not None and not start < end:
                errors[f"{day}_until"] = _("%(day)s: the end must be later than the start.") % {
                    "day": name
                }
        if errors:
            raise ValidationError(errors)
        if self.enabled and self.window().never_opens:
            raise ValidationError(
                _("Give sending hours for at least one day, or switch quiet hours off.")
            )

    def window(self) -> sending_window.Window:
        """The window the times describe (after ``clean``: each day both or neither)."""
        spans = []
        for day in WEEKDAYS:
            start, end = self.times(day)
            whole = start is not None and end is not None and start < end
            spans.append(sending_window.Span(start, end) if whole else None)
        return sending_window.Window(tuple(spans))
