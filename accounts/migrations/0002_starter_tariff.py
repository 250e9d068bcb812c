from decimal import Decimal

from django.db import migrations


def create_starter_tariff(apps, schema_editor):
    Tariff = apps.get_model("accounts", "Tariff")
    if not Tariff.objects.exists():
        Tariff.objects.create(
            name="Standard",
            standard_part_price=Decimal("0.0700"),
            premium_part_price=Decimal("0.1200"),
            own_gateway_part_price=Decimal("0.0100"),
            is_default=True,
        )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(create_starter_tariff, migrations.RunPython.noop)]
