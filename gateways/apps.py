from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GatewaysConfig(AppConfig):
    name = "gateways"
    verbose_name = _("Gateways")

    def ready(self):
        from messaging import retention as messaging_retention

        from . import checks, retention  # noqa: F401  (checks registers the system checks)

        messaging_retention.register("gateways", retention.archive_old)
