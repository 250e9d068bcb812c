"""What is sent and its state: messages, their recipients, incoming SMS, content rules."""

import functools
import re
import sys
import unicodedata
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import MONEY, Customer, Route, Service

from . import gsm7
from .choices import Source, Status

FINAL_STATUSES = frozenset(
    {Status.DELIVERED, Status.REJECTED, Status.CANCELLED, Status.EXPIRED, Status.REMOTE_ERROR}
)
# Refunded exactly once each (SPEC §2).
REFUNDED_STATUSES = frozenset(
    {Status.REJECTED, Status.EXPIRED, Status.REMOTE_ERROR, Status.CANCELLED}
)
# getProgress: success_count and failure_count ("nie powiodły się bądź wygasły").
SUCCESS_STATUSES = frozenset({Status.DELIVERED})
FAILURE_STATUSES = frozenset({Status.REJECTED, Status.EXPIRED, Status.REMOTE_ERROR})


class Encoding(models.TextChoices):
    GSM7 = "GSM-7", "GSM-7"
    UCS2 = "UCS-2", "UCS-2"


def _customer_visible(service_id, via: str = "") -> models.Q:
    """What a customer sees and reaches of a message (``via``: the path to it): the
    service's own (any of them, for a list of ids), not deleted, not a confirmation
    code (Source.CODE)."""
    service = f"{via}service_id__in" if isinstance(service_id, list) else f"{via}service_id"
    return models.Q(**{service: service_id, f"{via}deleted_at": None}) & ~models.Q(
        **{f"{via}source": Source.CODE}
    )


class MessageQuerySet(models.QuerySet):
    def visible_to(self, service_id: int):
        """The service's messages its customer sees and reaches: the panel's lists and
        pages, getProgress and cancel, status.php; any other is "not found"."""
        return self.filter(_customer_visible(service_id))

    def visible_to_any(self, service_ids: list[int]):
        """``visible_to`` for several services at once (a customer's, on the dashboard)."""
        return self.filter(_customer_visible(service_ids))


class RecipientQuerySet(models.QuerySet):
    def shown(self):
        """Not deleted by the customer (messaging.services.delete_recipients)."""
        return self.filter(deleted_at=None)

    def deleted(self):
        """Deleted by the customer: kept for the money trail, shown nowhere."""
        return self.filter(deleted_at__isnull=False)

    def visible_to(self, service_id: int):
        """The service's recipients its customer sees: shown, of a message ``visible_to`` it."""
        return self.shown().filter(_customer_visible(service_id, via="message__"))


class Message(models.Model):
    """One send request; its primary key is the wire ``message_id``."""

    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="messages", verbose_name=_("service")
    )
    source = models.CharField(_("sent through"), max_length=8, choices=Source.choices)
    text = models.TextField(_("text"), help_text=_("As it goes out, after any transliteration."))
    encoding = models.CharField(_("encoding"), max_length=8, choices=Encoding.choices)
    parts = models.PositiveSmallIntegerField(_("parts"))
    sender = models.CharField(_("sender"), max_length=16, blank=True)
    route = models.CharField(_("route"), max_length=16, choices=Route.choices)
    flash = models.BooleanField(_("flash"), default=False)
    express = models.BooleanField(_("express"), default=False)
    forced = models.BooleanField(
        _("content warning overridden"),
        default=False,
        help_text=_("The text matched a content rule and was sent with force=1."),
    )
    send_at = models.DateTimeField(_("send at"))
    # Set when the service's quiet hours chose ``send_at`` (messaging.windowed): the time
    # the send was due otherwise (accepted, asked for, retried or released). A change of
    # the quiet hours times its waiting recipients again from it; empty for a time the
    # customer chose inside the window, which a change leaves as it is.
    held_from = models.DateTimeField(_("held by quiet hours from"), null=True, blank=True)
    notify_url = models.URLField(_("report URL"), max_length=500, blank=True)
    user_flag = models.CharField(_("user flag"), max_length=255, blank=True)
    recipient_count = models.PositiveIntegerField(_("recipients"))
    recipient_price = models.DecimalField(_("price per recipient (PLN)"), **MONEY)
    price = models.DecimalField(_("price charged (PLN)"), **MONEY)
    # Some recipients have their own text (a personalised send): those rows hold
    # it with its parts and price (Recipient.text); the rest get ``text`` at
    # ``recipient_price``, and ``price`` is the sum of all. False spares every
    # other message the lookup of per-recipient prices (refunds, reports).
    personalised = models.BooleanField(_("personalised"), default=False, db_default=False)
    created_at = models.DateTimeField(_("accepted"), default=timezone.now)
    # Deleted by the customer once its last recipient was (SMSC status.php del=1,
    # messaging.services.delete_recipients): the text is erased and the message
    # is no longer found; what was charged and refunded stays.
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True)
    # Some recipients are deleted (Recipient.deleted_at): getProgress then leaves
    # them out of its list, without a query for the messages that have none.
    recipients_deleted = models.BooleanField(
        _("some recipients deleted"), default=False, db_default=False
    )
    # Retention (messaging.retention, RODO): when the text was erased, and when the
    # recipients' numbers were masked, RETENTION_TEXT_DAYS / RETENTION_NUMBER_DAYS
    # after the message was final. Statuses, prices and the ledger stay.
    text_archived_at = models.DateTimeField(_("text archived"), null=True, blank=True)
    numbers_archived_at = models.DateTimeField(_("numbers archived"), null=True, blank=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["service", "-created_at"], name="message_service_time"),
            # Retention walks the messages not archived yet, oldest first; archived
            # ones leave these indexes, so a run never reads past what it archived.
            models.Index(
                fields=["created_at", "id"],
                name="message_text_kept",
                condition=models.Q(text_archived_at__isnull=True),
            ),
            models.Index(
                fields=["created_at", "id"],
                name="message_numbers_kept",
                condition=models.Q(numbers_archived_at__isnull=True),
            ),
        ]

    def __str__(self):
        return f"#{self.pk}: {self.text[:40]}"

    @property
    def archived(self) -> list[str]:
        """What retention archived of it: "text", "numbers" (getProgress's ``archived``)."""
        parts = {"text": self.text_archived_at, "numbers": self.numbers_archived_at}
        return [name for name, at in parts.items() if at is not None]


class Recipient(models.Model):
    """One number of a message; its primary key is the wire ``instance_id``."""

    message = models.ForeignKey(
        Message,
        on_delete=models.CASCADE,
        related_name="recipients",
        verbose_name=_("message"),
        db_index=False,  # covered by recipient_message (message, id) below
    )
    number = models.CharField(_("number"), max_length=15)
    # A personalised send's own text, as it goes out, with its parts and price;
    # NULL (every ordinary send) means the message's text, parts and recipient_price.
    # NULL and "" differ: NULL is the message's text, "" an own text retention erased.
    text = models.TextField(_("own text"), null=True, blank=True)  # noqa: DJ001
    parts = models.PositiveSmallIntegerField(_("own parts"), null=True, blank=True)
    price = models.DecimalField(_("own price (PLN)"), null=True, blank=True, **MONEY)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    status_at = models.DateTimeField(_("status since"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    # Copied from the message so the dispatcher finds due work in one index.
    send_at = models.DateTimeField(_("send at"))
    # Set in the same UPDATE that moves a failed or cancelled recipient, so a
    # refund can never be given twice (messaging.transitions).
    refunded = models.BooleanField(_("refunded"), default=False)
    # Copied from the message: express recipients are claimed first (SPEC §7).
    express = models.BooleanField(_("express"), default=False, db_default=False)
    # The dispatcher's claim: a worker owns a PENDING recipient until this time;
    # a worker that dies leaves it to be claimed again when it passes.
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    gateway = models.ForeignKey(
        "gateways.Gateway",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("gateway"),
        db_index=False,  # recipient_queued below
    )
    gateway_ref = models.CharField(_("gateway's id"), max_length=64, blank=True, db_default="")
    # Bit n set: part n+1 reported delivered (multi-part reports).
    delivered_parts = models.PositiveSmallIntegerField(default=0, db_default=0, editable=False)
    # Deleted by the customer (SMSC status.php del=1 of this id and phone): no
    # longer shown to the customer anywhere; the row stays for the money trail.
    deleted_at = models.DateTimeField(pgettext_lazy("recipient", "deleted"), null=True, blank=True)
    # On PostgreSQL, the id (xid8) of the transaction that last changed the
    # status, stamped by a trigger (migration 0004), so getProgress can ask
    # for just what changed since the list it cached (messaging.progress).
    changed_xid = models.BigIntegerField(null=True, blank=True, editable=False)

    objects = RecipientQuerySet.as_manager()

    class Meta:
        verbose_name = _("recipient")
        verbose_name_plural = _("recipients")
        ordering = ["id"]
        indexes = [
            # getProgress and callbacks read a message's recipients in instance order.
            models.Index(fields=["message", "id"], name="recipient_message"),
            # The dispatcher: due PENDING recipients, express first, then oldest.
            models.Index(
                fields=["-express", "send_at", "id"],
                name="recipient_due",
                condition=models.Q(status="PENDING"),
            ),
            # Status polling: what each gateway still has to report on.
            models.Index(
                fields=["gateway", "id"],
                name="recipient_queued",
                condition=models.Q(status="QUEUED"),
            ),
            # Released when the service may send again.
            models.Index(
                fields=["message"], name="recipient_on_hold", condition=models.Q(status="ON_HOLD")
            ),
            # getProgress: a message's recipients changed since a cached list.
            models.Index(
                fields=["message", "changed_xid"],
                name="recipient_changed",
                condition=models.Q(changed_xid__isnull=False),
            ),
            # getProgress: the numbers of a message the customer deleted.
            models.Index(
                fields=["message"],
                name="recipient_deleted",
                condition=models.Q(deleted_at__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.number} ({self.status})"


class SendKey(models.Model):
    """A client's own id for a send (SMSC send.php ``id``): the same id from the same
    service within ``messaging.services.SEND_KEY_HOURS`` gets the first answer again,
    and nothing is sent twice. A key reused later is taken by the new send."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64)
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="+")
    answer = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["service", "key"], name="unique_send_key")]

    def __str__(self):
        return f"{self.key} → #{self.message_id}"


class UsageDay(models.Model):
    """A closed day of a service's usage, counted once (messaging.usage): SMS sent,
    delivered and failed by the messages accepted that day, and money spent."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    sent = models.PositiveIntegerField(default=0)
    delivered = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    spent = models.DecimalField(**MONEY, default=0)
    counted_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["service", "day"], name="unique_usage_day")]

    def __str__(self):
        return f"{self.service_id} {self.day}: {self.sent}"


class IncomingMessage(models.Model):
    """An SMS received for a two-way service (seed 001 §3a)."""

    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="incoming", verbose_name=_("service")
    )
    from_number = models.CharField(_("from"), max_length=32)
    to_number = models.CharField(_("to"), max_length=32)
    text = models.TextField(_("text"))
    received_at = models.DateTimeField(_("received"))
    created_at = models.DateTimeField(_("stored"), default=timezone.now)
    # Retention (messaging.retention): the text erased, the sender's number masked.
    text_archived_at = models.DateTimeField(_("text archived"), null=True, blank=True)
    number_archived_at = models.DateTimeField(_("number archived"), null=True, blank=True)

    class Meta:
        verbose_name = _("incoming SMS")
        verbose_name_plural = _("incoming SMS")
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["service", "-received_at"], name="incoming_service_time"),
            models.Index(
                fields=["received_at", "id"],
                name="incoming_text_kept",
                condition=models.Q(text_archived_at__isnull=True),
            ),
            models.Index(
                fields=["received_at", "id"],
                name="incoming_number_kept",
                condition=models.Q(number_archived_at__isnull=True),
            ),
        ]

    def __str__(self):
        return f"{self.from_number} → {self.to_number}: {self.text[:40]}"


class RuleKind(models.TextChoices):
    WORD = "word", _("word or phrase (matches its start, any case, without diacritics)")
    REGEX = "regex", _("regular expression (on lower-case text without diacritics)")


# What a rule means, here so that a rule can check its own pattern (clean);
# messaging.content compiles the enabled rules and applies them to texts.
# ł has no decomposition (fold replaces it); the rest fold by NFKD.


def fold(text: str) -> str:
    """Lower case, diacritics removed, runs of whitespace made one space."""
    # Compatibility forms first (𝓐 → A), then case, then again: casefold can
    # produce decomposable characters (İ → i̇).
    text = unicodedata.normalize("NFKD", text)
    # ł and Ł by str.replace: translate with a table reads a dict a character.
    text = text.replace("ł", "l").replace("Ł", "L")
    text = unicodedata.normalize("NFKD", text.casefold())
    basic, every = _combining_marks()
    text = (every if _ASTRAL.search(text) else basic).sub("", text)
    return " ".join(text.split())


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


# Joins texts for fold_many: a noncharacter, which folding leaves as it is.
_FOLD_SEPARATOR = "\uffff"


def fold_many(texts: list[str]) -> list[str]:
    """``fold`` of each text, folded together in one pass (a personalised send folds
    100,000 texts for the content rules). The same as one by one: decomposition and
    case folding go character by character, and no combining mark reorders across
    the separator, which is a starter."""
    if not texts:
        return []
    if any(_FOLD_SEPARATOR in text for text in texts):
        return [fold(text) for text in texts]
    return [part.strip() for part in fold(_FOLD_SEPARATOR.join(texts)).split(_FOLD_SEPARATOR)]


@functools.cache
def _combining_marks() -> tuple[re.Pattern, re.Pattern]:
    """Every combining character as a class, removed in C rather than a character at a
    time: (those of the Basic Multilingual Plane, every one). The first is a bitmap and
    ten times as fast; it serves every text without a character beyond that plane."""
    marks = [cp for cp in range(sys.maxunicode + 1) if unicodedata.combining(chr(cp))]
    return _char_class([m for m in marks if m <= 0xFFFF]), _char_class(marks)


def _char_class(code_points: list[int]) -> re.Pattern:
    ranges, start = [], code_points[0]
    for previous, cp in zip(code_points, [*code_points[1:], None], strict=True):
        if cp != previous + 1:
            ranges.append(f"{re.escape(chr(start))}-{re.escape(chr(previous))}")
            start = cp
    return re.compile("[" + "".join(ranges) + "]")


def rule_regex(kind: str, pattern: str) -> str:
    """The regular expression a rule stands for (``kind`` a ``RuleKind``)."""
    if kind == "word":
        words = fold(pattern).split()
        if not words:
            raise re.error("the phrase is empty")
        # Matches where a word starts: "kurw" flags "kurwa" but not "skurwiel";
        # staff add those separately if they want them.
        return r"(?<!\w)" + r"\s+".join(re.escape(w) for w in words)
    return pattern


class ContentRule(models.Model):
    """A pattern that flags text operators may block (seed 001 §7, §8e)."""

    pattern = models.CharField(_("pattern"), max_length=300)
    kind = models.CharField(_("kind"), max_length=8, choices=RuleKind.choices)
    reason = models.CharField(_("reason"), max_length=200, help_text=_("Shown to staff only."))
    enabled = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("content rule")
        verbose_name_plural = _("content rules")
        ordering = ["reason", "pattern"]

    def __str__(self):
        return self.pattern

    def clean(self):
        try:
            re.compile(rule_regex(self.kind, self.pattern))
        except re.error as exc:
            raise ValidationError(
                {"pattern": _("Not a valid pattern: %(e)s") % {"e": exc}}
            ) from None


class CallbackKind(models.TextChoices):
    REPORT = "report", _("delivery reports")
    INCOMING = "incoming", _("incoming SMS")


class CallbackState(models.TextChoices):
    PENDING = "pending", _("to be delivered")
    DELIVERED = "delivered", _("delivered")
    GIVEN_UP = "given_up", _("given up")


class Callback(models.Model):
    """One POST to a customer's server: written with the change it reports, then delivered.

    Delivery reports hold 1–20 ``status[]`` records (seed 001 §5b); each record
    is in exactly one callback, so a receiver gets it until it answers OK and
    never again after.
    """

    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="callbacks", verbose_name=_("service")
    )
    kind = models.CharField(_("kind"), max_length=8, choices=CallbackKind.choices)
    message = models.ForeignKey(
        Message,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="callbacks",
        verbose_name=_("message"),
    )
    incoming = models.ForeignKey(
        IncomingMessage,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="callbacks",
        verbose_name=_("incoming SMS"),
    )
    url = models.URLField(_("URL"), max_length=500)
    # The URL's host:port, lower case (callback_host): delivery is fair between
    # receiving hosts, and a host that keeps timing out is backed off as a whole.
    host = models.CharField(_("host"), max_length=300, blank=True, db_default="", editable=False)
    body = models.TextField(_("body"), help_text=_("application/x-www-form-urlencoded"))
    record_count = models.PositiveSmallIntegerField(_("records"), default=1)
    state = models.CharField(
        _("state"), max_length=10, choices=CallbackState.choices, default=CallbackState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    # A worker delivering it owns it until then (a killed worker's callback is retried).
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("callback")
        verbose_name_plural = _("callbacks")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="callback_due",
                condition=models.Q(state="pending"),
            ),
            # The dashboard's "callback URL failing" (panel.overview): the few given up,
            # found without reading the service's delivered ones (the pending ones
            # through callback_due).
            models.Index(
                fields=["service", "finished_at"],
                name="callback_given_up",
                condition=models.Q(state="given_up"),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} → {self.url}"

    def save(self, *args, **kwargs):
        self.host = callback_host(self.url)
        super().save(*args, **kwargs)


def callback_host(url: str) -> str:
    """The receiving host of a callback URL as ``host:port``, lower case ("" if unparsable)."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return ""
    return f"{(parts.hostname or '').lower()}:{port}"[:300]


class CallbackHost(models.Model):
    """A receiving host that stopped answering: its callbacks wait until ``blocked_until``.

    Written only when a POST to it gets no answer (a timeout, a refused or
    reset connection); the first answer of any kind clears it. One customer's
    dead receiver then costs the workers a probe now and then, not a POST
    slot per callback at the head of the queue.
    """

    host = models.CharField(_("host"), max_length=300, unique=True)
    failures = models.PositiveIntegerField(_("failures in a row"), default=0)
    blocked_until = models.DateTimeField(_("backed off until"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("callback host")
        verbose_name_plural = _("callback hosts")
        ordering = ["-updated_at"]

    def __str__(self):
        return self.host


class CallbackAttempt(models.Model):
    """One try at delivering a callback: what we sent where, and what came back."""

    callback = models.ForeignKey(
        Callback, on_delete=models.CASCADE, related_name="attempt_log", verbose_name=_("callback")
    )
    at = models.DateTimeField(_("time"), default=timezone.now)
    url = models.URLField(_("URL"), max_length=500)
    http_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    ok = models.BooleanField(_("answered OK"), default=False)
    error = models.CharField(_("error"), max_length=200, blank=True)
    response_excerpt = models.CharField(_("response (start)"), max_length=200, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)

    class Meta:
        verbose_name = _("callback attempt")
        verbose_name_plural = _("callback attempts")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.url}"


# -- opt-out (messaging.stoplist) -----------------------------------------------------------


class StopEntry(models.Model):
    """A number that must not be sent to: on one customer's stoplist, or (customer empty)
    on the platform's, which staff keep in admin and which applies to every customer."""

    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="stop_entries",
        verbose_name=_("customer"),
        help_text=_("Empty: on the platform's list, which applies to every customer."),
    )
    number = models.CharField(_("number"), max_length=16)
    created_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        verbose_name = _("stoplist entry")
        verbose_name_plural = _("stoplist entries")
        ordering = ["-created_at", "-id"]
        constraints = [
            # Also the index the send's look-up (number IN …) reads, per customer and for
            # the platform's list.
            models.UniqueConstraint(
                fields=["customer", "number"],
                name="stopentry_unique_number",
                condition=models.Q(customer__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["number"],
                name="stopentry_unique_platform_number",
                condition=models.Q(customer__isnull=True),
            ),
        ]

    def __str__(self):
        return self.number


class PlatformStopEntry(StopEntry):
    """The platform's list in admin: the entries no customer owns."""

    class Meta:
        proxy = True
        verbose_name = _("platform stoplist entry")
        verbose_name_plural = _("platform stoplist")


class StopAction(models.TextChoices):
    ADDED = "added", _("added")
    REMOVED = "removed", _("removed")


class StopVia(models.TextChoices):
    PANEL = "panel", _("panel")
    IMPORT = "import", _("import")
    STOP_WORD = "stop_word", _("STOP SMS")
    START_WORD = "start_word", _("START SMS")
    ADMIN = "admin", _("administration")


class StopChange(models.Model):
    """One change to a stoplist (append-only): when, which way, how, by whom or by which
    incoming SMS."""

    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="stop_changes",
        verbose_name=_("customer"),
    )
    number = models.CharField(_("number"), max_length=16)
    action = models.CharField(_("change"), max_length=8, choices=StopAction.choices)
    via = models.CharField(_("how"), max_length=12, choices=StopVia.choices)
    at = models.DateTimeField(_("time"), default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    incoming = models.ForeignKey(
        IncomingMessage,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("incoming SMS"),
    )
    # The SMS that confirmed a STOP or START to its sender, when one was sent.
    confirmation = models.ForeignKey(
        Message,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmation SMS"),
    )

    class Meta:
        verbose_name = _("stoplist change")
        verbose_name_plural = _("stoplist changes")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["customer", "-at"], name="stopchange_customer_time")]

    def __str__(self):
        return f"{self.number} {self.get_action_display()}"


class StopSettings(models.Model):
    """A customer's choice to answer STOP and START with a confirmation SMS."""

    customer = models.OneToOneField(
        Customer,
        on_delete=models.CASCADE,
        related_name="stop_settings",
        verbose_name=_("customer"),
    )
    confirm = models.BooleanField(_("answer STOP and START with an SMS"), default=False)
    stop_text = models.CharField(_("answer to STOP"), max_length=160, blank=True)
    start_text = models.CharField(_("answer to START"), max_length=160, blank=True)

    class Meta:
        verbose_name = _("stoplist settings")
        verbose_name_plural = _("stoplist settings")

    def __str__(self):
        return str(self.customer)

    def clean(self):
        # Charged as one SMS (README "Opt-out"): in the panel's form and in admin alike.
        for field in ("stop_text", "start_text"):
            text = getattr(self, field).strip()
            if text and gsm7.count_parts(text).parts > 1:
                raise ValidationError(
                    {
                        field: _(
                            "The answer must fit in one SMS (160 characters, 70 with Polish "
                            "letters)."
                        )
                    }
                )
