from django.db import migrations


def add_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.update_or_create(
        name="messaging.refresh_usage",
        defaults={
            "func": "messaging.tasks.refresh_usage",
            "schedule_type": "I",  # minutes
            "minutes": 10,
            "repeats": -1,
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name="messaging.refresh_usage").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0007_usage_days"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(add_schedule, remove_schedule)]
