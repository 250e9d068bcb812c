"""Recipient statuses and message sources: the values a door names (a send's source, an
answer's status) without reaching the models, which the layering test forbids it
(tests/test_layers.py). ``messaging.models`` uses them for its fields and exports them too.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    """Recipient statuses, by their Telecube wire names (seed 001 §8c)."""

    PENDING = "PENDING", _("pending")
    QUEUED = "QUEUED", _("queued at the gateway")
    DELIVERED = "DELIVERED", _("delivered")
    REJECTED = "REJECTED", _("rejected")
    CANCELLED = "CANCELLED", _("cancelled")
    ON_HOLD = "ON_HOLD", _("on hold")
    EXPIRED = "EXPIRED", _("expired")
    REMOTE_ERROR = "REMOTE_ERROR", _("operator error")


class Source(models.TextChoices):
    API = "api", _("HTTP API")  # the Telecube API, /sms_api/
    SMSC = "smsc", _("SMSC API")  # send.php, /sys/
    PANEL = "panel", _("panel")
    EMAIL = "email", _("e-mail")
    # A sender number's confirmation code (messaging.services.send_sender_code): charged
    # like any SMS, but never shown to the customer, who must not read the code back.
    CODE = "code", _("confirmation code")
