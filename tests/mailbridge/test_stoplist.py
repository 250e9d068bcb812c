"""Sms2Email and the STOP list: a stopped number is left out as an invalid one is; a mail
whose every number is stopped is answered with Załącznik 1's code 401 and its reason."""

import pytest
from django.core import mail as outbox

from accounts.models import LedgerEntry, LedgerKind
from mailbridge import intake, replies
from mailbridge.models import InboundMail, Outcome
from messaging import stoplist
from messaging.models import Message, Recipient, StopVia
from tests.mailbridge.conftest import PASSWORD, SENDER, domain, mail

pytestmark = pytest.mark.django_db

STOPPED = "48601123457"


def handle(body, to=None):
    intake.handle(mail(body, to=to), envelope_sender=SENDER, recipients=[to or f"box@{domain()}"])


def test_a_stopped_number_is_left_out_and_not_charged(mail_service):
    stoplist.add(mail_service.customer_id, [STOPPED], StopVia.PANEL)

    handle(f"{PASSWORD}\n601123456, {STOPPED}\n---\nHej")

    assert InboundMail.objects.get().outcome == Outcome.SENT
    message = Message.objects.get()
    assert list(Recipient.objects.values_list("number", flat=True)) == ["48601123456"]
    charge = LedgerEntry.objects.get(service=mail_service, kind=LedgerKind.CHARGE)
    assert -charge.amount == message.recipient_price


def test_every_number_stopped_is_answered_with_401(mail_service):
    stoplist.add(mail_service.customer_id, [STOPPED], StopVia.PANEL)

    handle(f"{PASSWORD}\n{STOPPED}\n---\nHej")

    row = InboundMail.objects.get()
    assert (row.outcome, row.reason, row.code) == (Outcome.REFUSED, "stoplisted", 401)
    assert not Message.objects.exists()
    assert not LedgerEntry.objects.filter(service=mail_service, kind=LedgerKind.CHARGE).exists()
    replies.send_due()
    [reply] = outbox.outbox
    assert reply.to == [SENDER]
    assert "liście STOP" in reply.body


def test_easy_mode_to_a_stopped_number(mail_service):
    stoplist.add(None, [STOPPED], StopVia.ADMIN)

    handle(f"{PASSWORD}\n---\nHej", to=f"{STOPPED}@{domain()}")

    row = InboundMail.objects.get()
    assert (row.outcome, row.reason, row.code) == (Outcome.REFUSED, "stoplisted", 401), row.detail
    assert not Message.objects.exists()
