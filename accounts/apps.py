from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Customers and services")

    def ready(self):
        # The cache-clearing signals; the audit log's receivers; checks.
        from . import apiauth, audit, checks, quiet_hours  # noqa: F401
