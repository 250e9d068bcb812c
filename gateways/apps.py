from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GatewaysConfig(AppConfig):
    name = "gateways"
    verbose_name = _("Gateways")

    def ready(self):
        from . import checks  # noqa: F401  (registers the system checks)
