"""Staff see and edit the Sms2Email settings and read the whole log in admin."""

import pytest

from mailbridge.models import InboundMail, Outcome
from mailbridge.senders import settings_for

pytestmark = pytest.mark.django_db


def test_staff_edit_a_services_settings_and_its_senders_route(admin_client, mail_service):
    row = mail_service.sms2email
    url = f"/admin/mailbridge/sms2emailsettings/{row.pk}/change/"
    assert admin_client.get(url).status_code == 200
    data = {
        "service": mail_service.pk,
        "enabled": "on",
        "max_numbers": "25",
        "authorised_senders": "biuro@firma.pl, sklep.pl",
        "reports_to_sender": "on",
        "incoming_recipients": "",
        "accept_password": "on",
        "accept_md5": "on",
        "md5_window": "600",
        "sender_entries-TOTAL_FORMS": "0",
        "sender_entries-INITIAL_FORMS": "0",
        "recipient_addresses-TOTAL_FORMS": "0",
        "recipient_addresses-INITIAL_FORMS": "0",
    }
    answer = admin_client.post(url, data)
    assert answer.status_code == 302, answer.content.decode()[:2000]
    row.refresh_from_db()
    assert (row.max_numbers, row.md5_window) == (25, 600)
    assert settings_for("ktos@sklep.pl") == row
    assert settings_for("jan@firma.pl") is None  # no longer listed


def test_staff_cannot_give_a_sender_another_service_claims(
    admin_client, mail_service, make_service
):
    from mailbridge.models import Sms2EmailSettings

    other = Sms2EmailSettings.objects.create(service=make_service())
    url = f"/admin/mailbridge/sms2emailsettings/{other.pk}/change/"
    data = {
        "service": other.service_id,
        "max_numbers": "10",
        "authorised_senders": "jan@firma.pl",
        "md5_window": "300",
        "sender_entries-TOTAL_FORMS": "0",
        "sender_entries-INITIAL_FORMS": "0",
        "recipient_addresses-TOTAL_FORMS": "0",
        "recipient_addresses-INITIAL_FORMS": "0",
    }
    answer = admin_client.post(url, data)
    assert answer.status_code == 200
    assert "already sends for another service" in answer.content.decode()


def test_staff_see_mail_from_unknown_senders_in_the_log(admin_client):
    InboundMail.objects.create(
        sender="obcy@example.com",
        recipient="box@sms2email.localhost",
        mail_id="<1@example.com>",
        outcome=Outcome.DROPPED,
        reason="unknown_sender",
    )
    page = admin_client.get("/admin/mailbridge/inboundmail/").content.decode()
    assert "obcy@example.com" in page


def test_staff_send_a_failed_mail_again(admin_client, mail_service):
    from django.core import mail as outbox

    from mailbridge import outbound
    from mailbridge.models import OutboundKind, OutboundMail

    failed = OutboundMail.objects.create(
        service=mail_service,
        kind=OutboundKind.INCOMING_SMS,
        from_address="48601123456@sms2email.localhost",
        to="biuro@firma.pl",
        subject="SMS od 48601123456",
        body="Halo\n",
        state="failed",
        attempts=10,
        last_error="SMTPRecipientsRefused: 550",
    )
    page = admin_client.get("/admin/mailbridge/outboundmail/").content.decode()
    assert "SMTPRecipientsRefused: 550" in page
    answer = admin_client.post(
        "/admin/mailbridge/outboundmail/",
        {"action": "send_again", "_selected_action": [failed.pk]},
    )
    assert answer.status_code == 302
    failed.refresh_from_db()
    assert (failed.state, failed.attempts, failed.last_error) == ("pending", 0, "")
    assert outbound.send_due() == 1
    assert outbox.outbox[0].to == ["biuro@firma.pl"]
