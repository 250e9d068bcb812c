from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailbridgeConfig(AppConfig):
    name = "mailbridge"
    verbose_name = _("Sms2Email")

    def ready(self):
        from . import checks  # noqa: F401  (registers the system checks)
