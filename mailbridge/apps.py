from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailbridgeConfig(AppConfig):
    name = "mailbridge"
    verbose_name = _("Sms2Email")

    def ready(self):
        from django.db.models.signals import post_save

        from messaging import retention
        from messaging.models import IncomingMessage
        from messaging.signals import recipients_changed

        from . import checks, log, outbound, reports  # noqa: F401  (checks registers the checks)

        def incoming_stored(sender, instance, created, raw=False, **kwargs):
            if created and not raw:
                outbound.on_incoming(instance)

        # In the transaction of messaging.services.store_incoming: never lost.
        post_save.connect(incoming_stored, sender=IncomingMessage, weak=False)
        recipients_changed.connect(reports.on_recipients_changed, weak=False)
        retention.register("mailbridge", log.archive_old)
