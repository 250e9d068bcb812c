from django.db import migrations


def add_schedule(apps, schema_editor):
    # Hourly: an upload nobody finished (names, numbers, e-mails) is deleted
    # CONTACT_IMPORT_KEEP_HOURS after it came, even if no one uploads again.
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name="contacts.clean_up_imports",
        defaults={
            "func": "contacts.imports.clean_up",
            "schedule_type": "H",  # hourly
            "repeats": -1,
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(
        name="contacts.clean_up_imports"
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0002_message_templates_and_imports"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(add_schedule, remove_schedule)]
