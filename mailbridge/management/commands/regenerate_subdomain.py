"""``manage.py regenerate_subdomain SERVICE_ID``: the panel's "regeneruj" of the UPS
subdomain, for staff (seed 000 §5.1.2). Mail to the old subdomain is refused from
the moment this returns."""

from django.core.management.base import BaseCommand, CommandError

from accounts import audit
from accounts.models import Service
from mailbridge import settings_ops
from mailbridge.models import Sms2EmailSettings


class Command(BaseCommand):
    help = "Give a service a new UPS subdomain; mail to the old one is refused at once."

    def add_arguments(self, parser):
        parser.add_argument("service_id", type=int, help="the id of the service")

    def handle(self, *args, service_id, **options):
        if not Service.objects.filter(pk=service_id).exists():
            raise CommandError(f"No service with id {service_id}.")
        settings_row = Sms2EmailSettings.objects.filter(service_id=service_id).first()
        if settings_row is None:
            raise CommandError(
                f"Service {service_id} has no Sms2Email settings: switch Sms2Email on first."
            )
        with audit.command("regenerate_subdomain"):  # staff at the console
            self.stdout.write(settings_ops.regenerate_subdomain(settings_row))
