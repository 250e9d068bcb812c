"""What a customer (in the panel) or staff (from a command) does to a service's
Sms2Email settings. The panel's views and staff commands both call these."""

from django.db import IntegrityError, transaction

from accounts import audit
from accounts.models import AuditAction, Service
from lib import sealed

from .models import Sms2EmailSettings, generate_password


def switch_on(service: Service) -> Sms2EmailSettings:
    """Interfejsy › Włącz Sms2Email. The first time creates the settings with the
    model's defaults (seed 000 §3.2: a new service can send at once); later times
    keep what the customer set."""
    with transaction.atomic():
        row, _created = Sms2EmailSettings.objects.select_for_update().get_or_create(service=service)
        if not row.enabled:
            row.enabled = True
            row.save(update_fields=["enabled"])
            audit.record(
                AuditAction.SMS2EMAIL_ON,
                service=service,
                obj=row,
                changes={"enabled": [False, True]},
            )
    return row


def switch_off(service: Service) -> Sms2EmailSettings | None:
    """Interfejsy › Wyłącz Sms2Email: mail is refused, the settings stay for next time."""
    with transaction.atomic():
        if Sms2EmailSettings.objects.filter(service=service, enabled=True).update(enabled=False):
            audit.record(
                AuditAction.SMS2EMAIL_OFF,
                service=service,
                model=Sms2EmailSettings,
                changes={"enabled": [True, False]},
            )
    return Sms2EmailSettings.objects.filter(service=service).first()


def regenerate_password(settings_row: Sms2EmailSettings) -> str:
    """A new Sms2Email password; the previous one stops working at once."""
    password = generate_password()
    settings_row.password_sealed = sealed.seal(password)
    with transaction.atomic():
        Sms2EmailSettings.objects.filter(pk=settings_row.pk).update(
            password_sealed=settings_row.password_sealed
        )
        audit.record(
            AuditAction.SMS2EMAIL_PASSWORD,
            service=settings_row.service,
            obj=settings_row,
            changes={"password": [None, None]},
        )
    return password


def regenerate_subdomain(settings_row: Sms2EmailSettings) -> str:
    """A new UPS subdomain; mail to the old one is refused from now on (SPEC §5 UPS)."""
    while True:
        candidate = Sms2EmailSettings._unused_subdomain()
        try:
            # Another service may take the same candidate between the check and
            # this write: the unique column refuses it and we draw again.
            with transaction.atomic():
                Sms2EmailSettings.objects.filter(pk=settings_row.pk).update(ups_subdomain=candidate)
                audit.record(
                    AuditAction.SMS2EMAIL_SUBDOMAIN,
                    service=settings_row.service,
                    obj=settings_row,
                    changes={"ups_subdomain": [None, None]},
                )
        except IntegrityError:
            continue
        settings_row.ups_subdomain = candidate
        return candidate
