"""Services made active without activate() (in admin, by seed_demo) had no activation
time, and admin showed "Activated: -". They take the time they were created: the
closest known."""

from django.db import migrations
from django.db.models import F

ACTIVE = 0


def record(apps, schema_editor):
    Service = apps.get_model("accounts", "Service")
    Service.objects.filter(state=ACTIVE, activated_at=None).update(activated_at=F("created_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_interface_switches"),
    ]

    operations = [migrations.RunPython(record, migrations.RunPython.noop)]
