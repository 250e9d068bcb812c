"""E-mails telling a customer what staff did (a service activated, sender names moderated)
and that a service's balance fell below their alert threshold (accounts.alerts).

Written to the platform's mail outbox (``mailbridge.outbound.queue_notice``) in the
transaction of the change, so a notice goes out once the change is kept, with
the outbox's retries. Worded in ``templates/emails/`` (lib.emails), in the customer's
language (``Customer.language``), or, while it is not known, in Polish first, as the
panel's customers read it, then English.
"""

from django.dispatch import receiver

from accounts.models import SenderStatus, Service
from accounts.signals import balance_low, senders_moderated, service_activated
from lib.emails import render_email
from mailbridge import outbound


def _address(service) -> str:
    return (service.customer.user.email or "").strip()


@receiver(service_activated)
def tell_service_activated(sender, service, **kwargs):
    to = _address(service)
    if not to:
        return
    language = service.customer.mail_language
    subject, body = render_email("service_activated", {"service": service}, language)
    outbound.queue_notice(service.pk, to, subject, body)


# The outcomes a customer is told of (the template words each); a sender name put back
# to pending moderation is not one.
TOLD = {SenderStatus.ALLOWED, SenderStatus.DISABLED}


@receiver(senders_moderated)
def tell_senders_moderated(sender, senders, **kwargs):
    by_service = {}
    for sender_id in senders:
        by_service.setdefault(sender_id.service_id, []).append(sender_id)
    for group in by_service.values():
        service = group[0].service
        to = _address(service)
        if not to:
            continue
        told = [s for s in group if s.status in TOLD]
        if not told:
            continue
        context = {"service": service, "senders": told, "allowed": SenderStatus.ALLOWED}
        subject, body = render_email("senders_moderated", context, service.customer.mail_language)
        outbound.queue_notice(service.pk, to, subject, body)


@receiver(balance_low)
def tell_balance_low(sender, service_id, **kwargs):
    service = Service.objects.select_related("customer__user").get(pk=service_id)
    to = _address(service)
    if not to or service.low_balance_threshold is None:  # the alert was switched off since
        return
    context = {
        "service": service,
        "balance": service.balance,
        "threshold": service.low_balance_threshold,
    }
    subject, body = render_email("low_balance", context, service.customer.mail_language)
    outbound.queue_notice(service.pk, to, subject, body)
