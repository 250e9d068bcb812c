"""``manage.py receive_mail``: one RFC 822 message on standard input (an MTA's pipe).

Exit 0 when the mail was handled (sent, refused with a reply, or dropped) and
75 (EX_TEMPFAIL) when it could not be handled now, so the MTA keeps it and
tries again: nothing is lost. Postfix (master.cf):

    sms2email unix - n n - 10 pipe flags=Rq user=sms argv=/srv/sms/.venv/bin/python
      /srv/sms/manage.py receive_mail --sender ${sender} --recipient ${recipient}
"""

import logging
import sys
from email.utils import getaddresses

from django.conf import settings
from django.core.management.base import BaseCommand

from mailbridge import intake, mime, pgp

logger = logging.getLogger(__name__)

EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = "Read one mail on standard input and turn it into SMS (for an MTA's pipe transport)."

    def add_arguments(self, parser):
        parser.add_argument("--sender", help="the envelope sender (Postfix: ${sender})")
        parser.add_argument(
            "--recipient",
            action="append",
            default=[],
            help="an envelope recipient (Postfix: ${recipient}); repeat for several. "
            "Without it the To, Cc and Delivered-To headers are read.",
        )

    def handle(self, *args, **options):
        raw = sys.stdin.buffer.read(settings.SMS2EMAIL_MAX_BYTES + 1)
        if len(raw) > settings.SMS2EMAIL_MAX_BYTES:
            logger.warning("sms2email: a mail over SMS2EMAIL_MAX_BYTES was dropped")
            return
        recipients = options["recipient"] or _header_recipients(raw)
        try:
            intake.handle(raw, envelope_sender=options["sender"], recipients=recipients)
        except intake.TryLater as exc:
            self.stderr.write(f"Temporarily unable to handle the mail: {exc}")
            sys.exit(EX_TEMPFAIL)
        except Exception:
            # Kept by the MTA and retried rather than bounced or lost.
            logger.exception("sms2email: a mail could not be handled")
            sys.exit(EX_TEMPFAIL)
        finally:
            pgp.stop_agent(if_started=True)  # an encrypted mail started one


def _header_recipients(raw: bytes) -> list[str]:
    message = mime.read_message(raw)
    values = []
    for name in ("Delivered-To", "X-Original-To", "To", "Cc"):
        values += [str(v) for v in message.get_all(name, [])]
    return [address for _name, address in getaddresses(values) if address]
