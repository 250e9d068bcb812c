from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = _("Messages")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from . import checks, content  # noqa: F401  (checks registers the system checks)
        from .models import ContentRule

        def rules_changed(**kwargs):
            content.forget_policy()

        post_save.connect(rules_changed, sender=ContentRule, weak=False)

        from . import services, signals, windowed

        windowed.connect(services.DISPATCH_TASK)  # a change of quiet hours times held sends again

        signals.recipients_changed.connect(services.code_not_delivered, weak=False)
        post_delete.connect(rules_changed, sender=ContentRule, weak=False)
