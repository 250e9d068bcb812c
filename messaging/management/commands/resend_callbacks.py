"""Deliver a message's delivery-report callbacks again (the customer fixed their server)."""

from django.core.management.base import BaseCommand, CommandError

from messaging import callbacks
from messaging.models import Message


class Command(BaseCommand):
    help = "Queue every delivery-report callback of the given messages again, from now."

    def add_arguments(self, parser):
        parser.add_argument("message_ids", nargs="+", type=int, metavar="message_id")

    def handle(self, *args, message_ids, **options):
        missing = set(message_ids) - set(
            Message.objects.filter(pk__in=message_ids).values_list("pk", flat=True)
        )
        if missing:
            raise CommandError(f"no such message: {', '.join(map(str, sorted(missing)))}")
        for message_id in message_ids:
            count = callbacks.resend_message(message_id)
            if count:
                self.stdout.write(f"message {message_id}: {count} callback(s) queued again")
            else:
                self.stdout.write(
                    f"message {message_id}: no callbacks (no report URL, or no status changed yet)"
                )
