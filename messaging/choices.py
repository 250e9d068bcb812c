"""Recipient statuses and message sources: the values a door names (a send's source, an
answer's status) without reaching the models, which the layering test forbids it
(tests/test_layers.py). ``messaging.models`` uses them for its fields and exports them too.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Status(models.TextChoices):
    """Recipient statuses, by their Telecube wire names (seed 001 §8c); the labels are
    what a customer reads in the panel (the panel_format ``status`` filter), the names
    what an API client reads on the wire."""

    PENDING = "PENDING", pgettext_lazy("recipient status", "Pending")
    QUEUED = "QUEUED", pgettext_lazy("recipient status", "Sent to the operator")
    DELIVERED = "DELIVERED", pgettext_lazy("recipient status", "Delivered")
    REJECTED = "REJECTED", pgettext_lazy("recipient status", "Rejected")
    CANCELLED = "CANCELLED", pgettext_lazy("recipient status", "Cancelled")
    ON_HOLD = "ON_HOLD", pgettext_lazy("recipient status", "On hold")
    EXPIRED = "EXPIRED", pgettext_lazy("recipient status", "Expired")
    REMOTE_ERROR = "REMOTE_ERROR", pgettext_lazy("recipient status", "Operator error")


class Source(models.TextChoices):
    API = "api", _("HTTP API")  # the Telecube API, /sms_api/
    SMSC = "smsc", _("SMSC API")  # send.php, /sys/
    PANEL = "panel", _("panel")
    EMAIL = "email", _("e-mail")
    # A sender number's confirmation code (messaging.services.send_sender_code): charged
    # like any SMS, but never shown to the customer, who must not read the code back.
    CODE = "code", _("confirmation code")
    # The answer to a STOP or START SMS (messaging.stoplist), when the customer asked for
    # one: the only send that reaches a number on the stoplist.
    STOP_REPLY = "stop", _("STOP confirmation")
