"""Incoming SMS by mail (seed 000 §4.3), and answering that mail to text the phone back."""

from datetime import UTC, datetime

import pytest
from django.core import mail as outbox

from accounts import apiauth
from accounts.models import ServiceKind
from mailbridge import intake, outbound
from mailbridge.models import OutboundMail
from messaging import services
from messaging.models import Message
from tests.mailbridge.conftest import PASSWORD, SENDER, confirm_recipients, domain, mail

pytestmark = pytest.mark.django_db

POLISH = "Zażółć gęślą jaźń, będę o 15:00"


@pytest.fixture
def two_way(mail_service):
    confirm_recipients(mail_service, "biuro@firma.pl")
    return mail_service


def receive(service, text=POLISH, at=datetime(2026, 12, 1, 14, 2, 11, tzinfo=UTC)):
    return services.store_incoming(service.pk, "+48 601 123 456", "48500100200", text, at)


def test_an_incoming_sms_through_the_api_is_mailed_from_the_phones_address(two_way, client):
    from accounts.models import AllowedAddress

    AllowedAddress.objects.create(service=two_way, network="127.0.0.1")
    sms_hash = apiauth.regenerate_sms_hash(two_way)
    answer = client.post(
        f"/sms_api/incoming/{sms_hash}/",
        {
            "from_number": "601123456",
            "to_number": "48500100200",
            "sms_message": POLISH,
            "sms_date": "1764597731",
        },
    )
    assert answer.status_code == 200 and b"OK" in answer.content, answer.content
    assert outbound.send_due() == 1
    [sent] = outbox.outbox
    assert sent.from_email == f"48601123456@{domain()}"
    assert sent.to == ["biuro@firma.pl"]
    assert POLISH in sent.body
    assert "48601123456" in sent.body
    assert sent.extra_headers["Auto-Submitted"] == "auto-replied"


def test_each_recipient_gets_its_own_mail(two_way):
    # No recipient learns the others' addresses, and none is a Cc of another's mail.
    confirm_recipients(two_way, "biuro@firma.pl", "szef@firma.pl")
    receive(two_way)
    assert outbound.send_due() == 2
    assert sorted(sent.to for sent in outbox.outbox) == [["biuro@firma.pl"], ["szef@firma.pl"]]
    assert all(sent.cc == [] and sent.bcc == [] for sent in outbox.outbox)


def test_the_mail_gives_the_exact_receive_time_in_warsaw(two_way):
    receive(two_way)
    outbound.send_due()
    [sent] = outbox.outbox
    assert "Odebrano: 2026-12-01 15:02:11 (CET, Europe/Warsaw)" in sent.body
    assert sent.subject == "SMS od 48601123456"


@pytest.mark.parametrize("change", ["off", "no_recipients", "one_way"])
def test_no_mail_without_sms2email_recipients_or_two_way(two_way, change):
    row = two_way.sms2email
    if change == "off":
        row.enabled = False
    row.save()
    if change == "no_recipients":
        confirm_recipients(two_way)
    if change == "one_way":
        type(two_way).objects.filter(pk=two_way.pk).update(kind=ServiceKind.ONE_WAY)
    receive(two_way)
    assert OutboundMail.objects.count() == 0


def test_the_mail_is_written_with_the_sms_so_a_failed_send_is_retried(two_way, monkeypatch):
    receive(two_way)
    row = OutboundMail.objects.get()
    assert row.incoming is not None and row.state == "pending"

    def down(self, *args, **kwargs):
        raise ConnectionRefusedError("SMTP server down")

    monkeypatch.setattr(outbound.EmailMessage, "send", down)
    assert outbound.send_due() == 0
    row.refresh_from_db()
    assert (row.state, row.attempts) == ("pending", 1)


def test_answering_the_mail_texts_the_phone_without_the_quoted_sms(two_way):
    receive(two_way)
    outbound.send_due()
    [incoming_mail] = outbox.outbox
    answer = (
        f"{PASSWORD}\n---\nDziękuję, do zobaczenia!\n\n"
        f"W dniu 1.12.2026 o 15:02 {incoming_mail.from_email} napisał(a):\n"
        + "".join(f"> {line}\n" for line in incoming_mail.body.splitlines())
    )
    intake.handle(
        mail(answer, to=incoming_mail.from_email, subject=f"Re: {incoming_mail.subject}"),
        envelope_sender=SENDER,
        recipients=[incoming_mail.from_email],
    )
    message = Message.objects.get()
    assert message.text == "Dziękuję, do zobaczenia!"
    assert list(message.recipients.values_list("number", flat=True)) == ["48601123456"]


def test_a_signature_ends_the_text_when_there_is_no_end_word(two_way):
    body = f"{PASSWORD}\n---\nJuż jadę\n-- \nJan Kowalski\ntel. 601 000 000"
    intake.handle(
        mail(body, to=f"601123456@{domain()}"),
        envelope_sender=SENDER,
        recipients=[f"601123456@{domain()}"],
    )
    assert Message.objects.get().text == "Już jadę"
