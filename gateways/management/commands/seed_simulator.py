"""Make sure every route has a gateway: the simulator, for development and the demo."""

from django.core.management.base import BaseCommand

from accounts.models import Route
from gateways.health import routes_without_gateway
from gateways.models import Driver, Gateway


class Command(BaseCommand):
    help = "Create the simulator gateway for the routes no enabled gateway serves."
    # Checked after, not before: the gateways check warns of the routes this serves.
    requires_system_checks = []

    def handle(self, *args, **options):
        self._seed()
        self.check()

    def _seed(self):
        missing = routes_without_gateway()
        if not missing:
            self.stdout.write("Every route has a gateway; nothing to do.")
            return
        gateway, created = Gateway.objects.get_or_create(
            name="Simulator", defaults={"driver": Driver.SIMULATOR}
        )
        gateway.enabled = True
        gateway.serves_standard = gateway.serves_standard or Route.STANDARD in missing
        gateway.serves_premium = gateway.serves_premium or Route.PREMIUM in missing
        gateway.save()
        verb = "Created" if created else "Enabled"
        routes = " and ".join(missing)
        self.stdout.write(f"{verb} the simulator gateway ({gateway.pk}) for the {routes} route.")
