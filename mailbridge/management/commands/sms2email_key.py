"""``manage.py sms2email_key``: the platform PGP key (mailbridge.pgp).

Without options it prints the public key (what ``/sms2email/key.asc`` serves);
``--create`` makes the key if the keyring (``SMS2EMAIL_GNUPG_HOME``) has none
and prints its fingerprint.
"""

from django.core.management.base import BaseCommand

from mailbridge import pgp


class Command(BaseCommand):
    help = "Print the Sms2Email PGP public key; --create makes the key if missing."

    def add_arguments(self, parser):
        parser.add_argument(
            "--create",
            action="store_true",
            help="make the key if the keyring has none, and print its fingerprint",
        )

    def handle(self, *args, **options):
        try:
            if options["create"]:
                self.stdout.write(pgp.ensure_key())
            else:
                self.stdout.write(pgp.public_key(), ending="")
        finally:
            pgp.stop_agent(if_started=True)  # making the key started one
