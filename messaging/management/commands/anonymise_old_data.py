"""``manage.py anonymise_old_data``: archive message texts and phone numbers past
RETENTION_TEXT_DAYS and RETENTION_NUMBER_DAYS (the hourly task runs the same)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from messaging import retention


class Command(BaseCommand):
    help = (
        "Erase message texts older than RETENTION_TEXT_DAYS and mask phone numbers older "
        "than RETENTION_NUMBER_DAYS (counted from when a message was final), in batches."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size",
            type=int,
            default=retention.BATCH_SIZE,
            help="Rows (recipients, for numbers) per transaction (default %(default)s).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what is due; change nothing."
        )

    def handle(self, *args, batch_size, dry_run, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        texts, numbers = settings.RETENTION_TEXT_DAYS, settings.RETENTION_NUMBER_DAYS
        self.stdout.write(
            f"Texts kept {texts or 'for ever'}{' days' if texts else ''}, "
            f"numbers {numbers or 'for ever'}{' days' if numbers else ''}."
        )
        counts = retention.run(batch_size, dry_run=dry_run)
        verb = "due" if dry_run else "archived"
        for label, count in counts.items():
            self.stdout.write(f"{label}: {count} {verb}")
        if not counts:
            self.stdout.write("Nothing is limited: both settings keep everything.")
