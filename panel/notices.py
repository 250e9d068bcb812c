"""E-mails telling a customer what staff did: a service activated, sender names moderated.

Written to the platform's mail outbox (``mailbridge.outbound.queue_notice``) in the
transaction of the change, so a notice goes out once the change is kept, with
the outbox's retries. Worded in ``templates/emails/`` (lib.emails): Polish first, as
the panel's customers read it, then English.
"""

from django.dispatch import receiver

from accounts.models import SenderStatus
from accounts.signals import senders_moderated, service_activated
from lib.emails import render_email
from mailbridge import outbound


def _address(service) -> str:
    return (service.customer.user.email or "").strip()


@receiver(service_activated)
def tell_service_activated(sender, service, **kwargs):
    to = _address(service)
    if not to:
        return
    outbound.queue_notice(service.pk, to, *render_email("service_activated", {"service": service}))


WORDS = {
    SenderStatus.ALLOWED: ("dopuszczona do użytku", "allowed"),
    SenderStatus.DISABLED: ("wyłączona", "disabled"),
}


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
        polish = "\n".join(f"- {s.name}: {WORDS[s.status][0]}" for s in group if s.status in WORDS)
        english = "\n".join(f"- {s.name}: {WORDS[s.status][1]}" for s in group if s.status in WORDS)
        if not polish:
            continue
        outbound.queue_notice(
            service.pk,
            to,
            f"Nazwy nadawcy usługi {service.name}",
            f"Moderacja nazw nadawcy usługi {service.name} (#{service.pk}):\n{polish}\n"
            f"\nSender names of service {service.name}:\n{english}\n",
        )
