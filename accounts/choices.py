"""Service states: the values a door names (SMSC's send.php answers a service in debt
with its own error) without reaching the models, which the layering test forbids it
(tests/test_layers.py). ``accounts.models`` uses them for its fields and exports them too.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ServiceState(models.IntegerChoices):
    """Service states, valued as the Sms2Email code a refused send gets (seed 000, annex 1)."""

    ACTIVE = 0, _("active")
    NOT_ACTIVATED = 101, _("not yet activated")
    IN_DEBT = 102, _("in debt")
    SUSPENDED = 103, _("suspended or awaiting deactivation")
    DEACTIVATED = 104, _("deactivated")
    BLOCKED_BY_CUSTOMER = 105, _("blocked by the customer")
    BLOCKED_BY_STAFF = 106, _("blocked by staff")
