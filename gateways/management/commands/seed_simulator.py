"""Make sure a route has a gateway: the simulator, for development and the demo."""

from django.core.management.base import BaseCommand

from gateways.models import Driver, Gateway


class Command(BaseCommand):
    help = "Create the simulator gateway for the routes no enabled gateway serves."

    def handle(self, *args, **options):
        served = Gateway.objects.filter(enabled=True)
        standard = served.filter(serves_standard=True).exists()
        premium = served.filter(serves_premium=True).exists()
        if standard and premium:
            self.stdout.write("Every route has a gateway; nothing to do.")
            return
        gateway, created = Gateway.objects.get_or_create(
            name="Simulator", defaults={"driver": Driver.SIMULATOR}
        )
        gateway.enabled = True
        gateway.serves_standard = gateway.serves_standard or not standard
        gateway.serves_premium = gateway.serves_premium or not premium
        gateway.save()
        verb = "Created" if created else "Enabled"
        self.stdout.write(f"{verb} the simulator gateway ({gateway.pk}) for the missing routes.")
