"""How SMS leave the platform: gateways, customers' GSM ports, the simulator's log."""

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Service


class Driver(models.TextChoices):
    SIMULATOR = "simulator", _("simulator (development and tests)")
    SMSC = "smsc", _("SMSC HTTP upstream")
    DINSTAR = "dinstar", _("Dinstar GSM gateway")
    OPENVOX = "openvox", _("OpenVox GSM gateway")
    DBLTEK = "dbltek", _("DBLTek GSM gateway")


# seed 001 §8d: what each vendor's device takes in one message.
GSM_MAX_PARTS = {Driver.DINSTAR: 4, Driver.OPENVOX: 4, Driver.DBLTEK: 1}


class Gateway(models.Model):
    """One way out: an upstream operator, the simulator, or a customer's GSM device."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    driver = models.CharField(_("driver"), max_length=16, choices=Driver.choices)
    settings = models.JSONField(
        _("settings"),
        default=dict,
        blank=True,
        help_text=_(
            'Driver settings as JSON, e.g. {"url": "https://…", "login": "…", '
            '"password_env": "SMSC_PASSWORD"}. A password can be given as '
            "password_env, the name of an environment variable, instead of being stored here."
        ),
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    serves_standard = models.BooleanField(
        _("standard route"), default=False, help_text=_("Messages with an empty sender.")
    )
    serves_premium = models.BooleanField(
        _("premium route"), default=False, help_text=_("Messages with a sender ID.")
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), default=100, help_text=_("Of the gateways serving a route, the lowest wins.")
    )
    # The last status poll (seed 003: one mass status request a minute).
    polled_at = models.DateTimeField(_("last polled"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("gateway")
        verbose_name_plural = _("gateways")
        ordering = ["priority", "name"]

    def __str__(self):
        return self.name

    @property
    def is_gsm(self) -> bool:
        return self.driver in GSM_MAX_PARTS

    def clean(self):
        if not isinstance(self.settings, dict):
            raise ValidationError({"settings": _("Settings must be a JSON object.")})
        if self.is_gsm and (self.serves_standard or self.serves_premium):
            raise ValidationError(
                _("A GSM device sends only through its customers' ports, not for a route.")
            )


alias_validator = RegexValidator(
    r"^[A-Za-z0-9_.-]{1,16}$", _("1–16 letters, digits or _ . - (it goes in the `from` field).")
)


class GatewayPort(models.Model):
    """A SIM port of a customer's own GSM device, used by its alias in ``from`` (seed 001 §8d)."""

    gateway = models.ForeignKey(
        Gateway, on_delete=models.CASCADE, related_name="ports", verbose_name=_("gateway")
    )
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="gateway_ports", verbose_name=_("service")
    )
    alias = models.CharField(_("alias"), max_length=16, unique=True, validators=[alias_validator])
    port = models.CharField(_("port"), max_length=32, help_text=_("The device's port, e.g. 1."))
    number = models.CharField(_("SIM number"), max_length=16, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        verbose_name = _("GSM port")
        verbose_name_plural = _("GSM ports")
        ordering = ["alias"]

    def __str__(self):
        return f"{self.alias} ({self.gateway}, port {self.port})"

    def clean(self):
        if self.gateway_id and not self.gateway.is_gsm:
            raise ValidationError({"gateway": _("Ports belong to GSM devices only.")})

    @property
    def max_parts(self) -> int:
        return GSM_MAX_PARTS[self.gateway.driver]


class SimulatedSms(models.Model):
    """What the simulator was asked to send: one row per recipient, never two.

    The recipient's instance id is the idempotency key: a repeated request
    (a worker killed before it recorded the acceptance) counts in ``requests``
    and sends nothing again.
    """

    # No index of its own: rows are found by instance id or by simulated_unreported.
    gateway = models.ForeignKey(
        Gateway,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        verbose_name=_("gateway"),
    )
    recipient_id = models.BigIntegerField(_("instance id"), unique=True)
    number = models.CharField(_("number"), max_length=15)
    text = models.TextField(_("text"))
    sender = models.CharField(_("sender"), max_length=16, blank=True)
    sent_at = models.DateTimeField(_("sent"))
    report_at = models.DateTimeField(_("reports at"))
    reported = models.BooleanField(_("reported"), default=False)
    requests = models.PositiveIntegerField(_("requests"), default=1)

    class Meta:
        verbose_name = _("simulated SMS")
        verbose_name_plural = _("simulated SMS")
        indexes = [
            models.Index(
                fields=["report_at"],
                name="simulated_unreported",
                condition=models.Q(reported=False),
            )
        ]

    def __str__(self):
        return f"{self.number}: {self.text[:40]}"
