from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Customers and services")

    def ready(self):
        from . import apiauth, checks  # noqa: F401  (the cache-clearing signals; checks)
