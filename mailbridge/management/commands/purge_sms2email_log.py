"""``manage.py purge_sms2email_log``: drop log rows older than SMS2EMAIL_LOG_DAYS (the
bridge's minute task runs the same every minute)."""

from django.core.management.base import BaseCommand

from mailbridge.log import purge


class Command(BaseCommand):
    help = "Delete Sms2Email log rows older than SMS2EMAIL_LOG_DAYS, and expired md5 lines."

    def handle(self, *args, **options):
        mails, md5s = purge()
        self.stdout.write(f"Deleted {mails} logged mail(s) and {md5s} expired md5 line(s).")
