"""Sms2Email: each service's settings (seed 000 §3.3), who may send for it, and the
log of every mail that reached the bridge."""

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Service
from lib import sealed

PASSWORD_LENGTH = 12
# Letters and digits that cannot be mistaken for one another when typed into mail.
_PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # noqa: S105
# seed 000 §5.1.2: 8 letters in syllables, easy to remember and hard to guess.
_CONSONANTS = "bcdfghjklmnprstwz"
_VOWELS = "aeiouy"


def box_address() -> str:
    """box@SMS2EMAIL_DOMAIN: where requests go, and where replies and reports come from."""
    return f"box@{settings.SMS2EMAIL_DOMAIN}"


def generate_password() -> str:
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))


def generate_subdomain() -> str:
    """Four consonant-vowel syllables (17 × 6 per syllable: about 33 bits)."""
    return "".join(secrets.choice(_CONSONANTS) + secrets.choice(_VOWELS) for _ in range(4))


# The settings a customer edits (seed 000 §3.3), in the seed's order.
EDITABLE_FIELDS = [
    "max_numbers",
    "authorised_senders",
    "reports_to_sender",
    "incoming_recipients",
    "reports_to_recipients",
    "accept_unsecured",
    "accept_password",
    "accept_md5",
    "md5_window",
    "require_pgp",
    "ups_enabled",
]


class Sms2EmailSettings(models.Model):
    """Konfiguracja Sms2Email of one service. Defaults as seed 000 §3.2 asks: once
    switched on, a service sends at once from the senders its customer adds."""

    service = models.OneToOneField(
        Service, on_delete=models.CASCADE, related_name="sms2email", verbose_name=_("service")
    )
    enabled = models.BooleanField(_("Sms2Email switched on"), default=False)
    # Sealed, not hashed: md5 mode checks md5(password + timestamp) (lib.sealed).
    password_sealed = models.TextField(editable=False)
    max_numbers = models.PositiveIntegerField(
        _("Max. numbers in one mail"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(10_000)],
    )
    authorised_senders = models.TextField(
        _("Authorised SMS senders"),
        blank=True,
        help_text=_("Addresses or whole domains, separated by commas."),
    )
    reports_to_sender = models.BooleanField(_("Delivery reports to the sender"), default=True)
    incoming_recipients = models.TextField(
        _("Recipients of incoming SMS"),
        blank=True,
        help_text=_(
            "Addresses, separated by commas; at most 10. Each is sent a link to confirm it, "
            "and gets nothing before it does."
        ),
    )
    reports_to_recipients = models.BooleanField(
        _("Delivery reports to those recipients"), default=False
    )
    accept_unsecured = models.BooleanField(_("Accept mail without security"), default=False)
    accept_password = models.BooleanField(_("Accept mail with the password in it"), default=True)
    accept_md5 = models.BooleanField(_("Accept mail with md5 (password+timestamp)"), default=True)
    md5_window = models.PositiveIntegerField(
        _("Time shift allowed for md5 [s]"),
        default=300,
        validators=[MinValueValidator(1), MaxValueValidator(7 * 24 * 3600)],
    )
    require_pgp = models.BooleanField(_("Require encrypted mail (PGP)"), default=False)
    ups_enabled = models.BooleanField(_("Handle mail from UPS"), default=False)
    ups_subdomain = models.CharField(
        _("Your UPS subdomain"), max_length=8, unique=True, editable=False
    )

    class Meta:
        verbose_name = _("Sms2Email settings")
        verbose_name_plural = _("Sms2Email settings")

    def __str__(self):
        return _("Sms2Email of %(service)s") % {"service": self.service}

    def save(self, *args, **kwargs):
        if not self.password_sealed:
            self.password_sealed = sealed.seal(generate_password())
        if not self.ups_subdomain:
            self.ups_subdomain = self._unused_subdomain()
        super().save(*args, **kwargs)

    @staticmethod
    def _unused_subdomain() -> str:
        while True:
            candidate = generate_subdomain()
            if not Sms2EmailSettings.objects.filter(ups_subdomain=candidate).exists():
                return candidate

    @property
    def password(self) -> str:
        """The password in clear (for the owner's settings page and the md5 check)."""
        return sealed.unseal(self.password_sealed)

    @property
    def box_address(self) -> str:
        return box_address()


class RecipientAddress(models.Model):
    """One address of "Odbiorcy SMS-ów przychodz." (seed 000 §3.3), which gets a
    service's incoming SMS and, when asked, its delivery reports. It is mailed only
    once it has confirmed, by the link mailed to it (mailbridge.recipients): the
    platform never mails a customer's text to an address that did not ask for it."""

    settings = models.ForeignKey(
        Sms2EmailSettings, on_delete=models.CASCADE, related_name="recipient_addresses"
    )
    address = models.CharField(_("address"), max_length=254)  # lower case
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    # The SHA-256 of the confirmation link's token; the token itself is only mailed.
    token_digest = models.CharField(max_length=64, blank=True, db_index=True)
    asked_at = models.DateTimeField(_("confirmation link sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("recipient of incoming SMS")
        verbose_name_plural = _("recipients of incoming SMS")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["settings", "address"], name="recipient_once")
        ]

    def __str__(self):
        return self.address


class AuthorisedSender(models.Model):
    """One entry of "Autoryzowani nadawcy SMS", unique across services, so that a
    sender always routes to one service (SPEC §5)."""

    settings = models.ForeignKey(
        Sms2EmailSettings, on_delete=models.CASCADE, related_name="sender_entries"
    )
    # Lower case: an address (a@b.pl) or a whole domain (b.pl).
    entry = models.CharField(_("address or domain"), max_length=254, unique=True)

    class Meta:
        verbose_name = _("authorised sender")
        verbose_name_plural = _("authorised senders")

    def __str__(self):
        return self.entry


class UsedMd5(models.Model):
    """An md5 line already accepted: refused a second time until it could no longer
    pass the time check anyway (seed 000 §3.8)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=32)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("used md5 line")
        verbose_name_plural = _("used md5 lines")
        constraints = [models.UniqueConstraint(fields=["service", "digest"], name="md5_used_once")]

    def __str__(self):
        return f"md5 {self.digest}"


class Outcome(models.TextChoices):
    SENT = "sent", _("sent")
    REFUSED = "refused", _("refused")
    DROPPED = "dropped", _("dropped")


class ReplyState(models.TextChoices):
    NONE = "", _("no reply")
    PENDING = "pending", _("reply waiting")
    SENT = "sent", _("reply sent")
    FAILED = "failed", _("reply given up")
    # Over SMS2EMAIL_MAIL_PER_HOUR for its service: kept, shown, never sent.
    LIMITED = "limited", _("not sent: hourly limit")


class InboundMail(models.Model):
    """The Sms2Email log: one row per mail and recipient address of ours.

    ``service`` is empty for mail from senders no service authorises; those
    rows are for staff only. (sender, mail_id: its Message-ID, recipient) is unique, so a
    copy of a mail already handled changes nothing (playSMS #485 re-sent
    unread mail for ever).
    """

    service = models.ForeignKey(
        Service,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="inbound_mail",
        verbose_name=_("service"),
    )
    received_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)
    sender = models.CharField(_("sender"), max_length=254)
    envelope_sender = models.CharField(_("envelope sender"), max_length=254, blank=True)
    recipient = models.CharField(_("to"), max_length=254)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    mail_id = models.CharField(_("Message-ID"), max_length=300)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    reason = models.CharField(_("reason"), max_length=64, blank=True)
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    code = models.PositiveIntegerField(_("code"), null=True, blank=True)
    message = models.ForeignKey(
        "messaging.Message",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("message"),
    )
    reply_state = models.CharField(
        _("reply"), max_length=16, choices=ReplyState.choices, default=ReplyState.NONE, blank=True
    )
    reply_attempts = models.PositiveSmallIntegerField(_("reply attempts"), default=0)
    reply_due_at = models.DateTimeField(_("reply due at"), null=True, blank=True)
    reply_error = models.CharField(_("last SMTP error"), max_length=500, blank=True)
    # When this request's last delivery report was written (mailbridge.reports).
    last_report_at = models.DateTimeField(_("last report at"), null=True, blank=True)

    class Meta:
        verbose_name = _("received mail")
        verbose_name_plural = _("Sms2Email log")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["sender", "mail_id", "recipient"], name="mail_handled_once"
            )
        ]
        indexes = [
            models.Index(
                fields=["reply_due_at"],
                condition=models.Q(reply_state="pending"),
                name="mail_reply_due",
            )
        ]

    def __str__(self):
        return f"{self.sender} → {self.recipient}: {self.get_outcome_display()}"


class OutboundKind(models.TextChoices):
    INCOMING_SMS = "incoming_sms", _("incoming SMS")
    REPORT = "report", _("delivery report")
    NOTICE = "notice", _("notice to the customer")
    CONFIRMATION = "confirmation", _("address confirmation")


class OutboundMail(models.Model):
    """A mail the platform sends for a service (seed 000 §4.2, §4.3): written in the
    transaction of what it tells, then sent by the workers (mailbridge.outbound).
    One address each: no recipient learns another's address."""

    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="outbound_mail", verbose_name=_("service")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=OutboundKind.choices)
    from_address = models.CharField(_("from"), max_length=254)
    to = models.TextField(_("to"), help_text=_("Addresses, separated by commas."))
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("text"))
    # The Message-ID a report answers, so that mail clients thread it.
    in_reply_to = models.CharField(_("in reply to"), max_length=300, blank=True)
    incoming = models.ForeignKey(
        "messaging.IncomingMessage",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("incoming SMS message"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    state = models.CharField(
        _("state"), max_length=16, choices=ReplyState.choices, default=ReplyState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    due_at = models.DateTimeField(_("due at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.CharField(_("last SMTP error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("sent mail")
        verbose_name_plural = _("sent mail")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["due_at"], condition=models.Q(state="pending"), name="outbound_mail_due"
            ),
            # The hourly limit counts a service's mail of the last hour.
            models.Index(fields=["service", "created_at"], name="outbound_mail_service_time"),
        ]

    def __str__(self):
        return _("%(kind)s to %(to)s") % {"kind": self.get_kind_display(), "to": self.to}


class ReportLine(models.Model):
    """A final outcome of one SMS of a mailed request, not reported yet: written in the
    transaction of the status change (messaging.signals.recipients_changed), taken by
    the next report of its request (seed 000 §4.2)."""

    inbound = models.ForeignKey(InboundMail, on_delete=models.CASCADE, related_name="+")
    recipient_id = models.BigIntegerField()
    number = models.CharField(max_length=32)
    status = models.CharField(max_length=16)
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("report line")
        verbose_name_plural = _("report lines")
        constraints = [models.UniqueConstraint(fields=["recipient_id"], name="report_line_once")]

    def __str__(self):
        return f"{self.number} {self.status}"
