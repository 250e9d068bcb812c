"""Odbiorcy SMS-ów przychodz. (mailbridge.recipients): an address gets a service's mail only
once it has confirmed, each its own mail, at most ten of them, and a service's mail is
limited per hour; what the limit holds back is shown to the customer, not lost silently.

The customer works in the panel (a real Client), the address's owner follows the link
that was mailed (read from the sent mail, as a person would).
"""

import re
from datetime import timedelta

import pytest
from django.core import mail as outbox
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Customer
from mailbridge import intake, outbound, reports
from mailbridge.models import OutboundKind, OutboundMail, RecipientAddress, ReplyState
from messaging import services, transitions
from messaging.models import Status
from tests.mailbridge.conftest import PASSWORD, SENDER, domain, mail

pytestmark = pytest.mark.django_db

SETTINGS = {
    "max_numbers": "10",
    "authorised_senders": SENDER,
    "reports_to_sender": "on",
    "accept_password": "on",
    "accept_md5": "on",
    "md5_window": "300",
}


@pytest.fixture
def owner(mail_service):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(mail_service.customer.user)
    return client


def save_recipients(owner, service, addresses: str, **fields):
    url = reverse("sms2email_settings", args=[service.pk])
    return owner.post(url, {**SETTINGS, "incoming_recipients": addresses, **fields})


def links() -> dict[str, str]:
    """The confirmation link in each mail sent so far, by its one recipient."""
    outbound.send_due()
    found = {}
    for sent in outbox.outbox:
        match = re.search(r"http://testserver(/sms2email/confirm/[^/\s]+/)", sent.body)
        if match:
            [address] = sent.to
            found[address] = match[1]
    return found


def incoming_sms(service, text="Oddzwonię jutro"):
    services.store_incoming(service.pk, "48601123456", "48500100200", text, None)
    outbound.send_due()


def sms_mailed_to() -> list[list[str]]:
    return [sent.to for sent in outbox.outbox if sent.subject.startswith("SMS od")]


def test_a_new_address_gets_only_its_link_until_it_confirms(owner, mail_service):
    save_recipients(owner, mail_service, "anna@firma.pl, piotr@gmail.com")
    found = links()
    assert set(found) == {"anna@firma.pl", "piotr@gmail.com"}  # one mail each
    incoming_sms(mail_service)
    assert sms_mailed_to() == []  # nothing for an address that has not confirmed

    visitor = Client(HTTP_ACCEPT_LANGUAGE="en")
    page = visitor.get(found["anna@firma.pl"])  # what a mail scanner does too
    assert page.status_code == 200 and "anna@firma.pl" in page.content.decode()
    assert RecipientAddress.objects.get(address="anna@firma.pl").confirmed_at is None
    confirmed = visitor.post(found["anna@firma.pl"])
    assert 'data-state="confirmed"' in confirmed.content.decode()

    incoming_sms(mail_service, "Druga wiadomość")
    assert sms_mailed_to() == [["anna@firma.pl"]]


def test_the_settings_page_shows_who_is_waiting_and_who_confirmed(owner, mail_service):
    save_recipients(owner, mail_service, "anna@firma.pl, piotr@gmail.com")
    Client().post(links()["anna@firma.pl"])
    page = owner.get(reverse("sms2email_settings", args=[mail_service.pk])).content.decode()
    assert 'data-address="anna@firma.pl" data-state="confirmed"' in page
    assert 'data-address="piotr@gmail.com" data-state="waiting"' in page
    assert "send the link again" in page


def test_at_most_ten_addresses(owner, mail_service):
    eleven = ", ".join(f"osoba{n}@firma.pl" for n in range(11))
    answer = save_recipients(owner, mail_service, eleven)
    assert answer.status_code == 200
    assert answer.context["form"].errors["incoming_recipients"] == [
        "At most 10 addresses; you gave 11."
    ]
    assert RecipientAddress.objects.count() == 0 and links() == {}


def test_the_link_mail_holds_no_text_the_customer_chose(owner, mail_service):
    type(mail_service).objects.filter(pk=mail_service.pk).update(name="KUP TANIO www.spam.pl")
    save_recipients(owner, mail_service, "anna@firma.pl")
    outbound.send_due()
    [sent] = outbox.outbox
    assert "spam" not in sent.body and "KUP" not in sent.subject
    assert f"nr {mail_service.pk}" in sent.body


def test_a_link_older_than_seven_days_does_not_confirm(owner, mail_service):
    save_recipients(owner, mail_service, "anna@firma.pl")
    link = links()["anna@firma.pl"]
    RecipientAddress.objects.update(asked_at=timezone.now() - timedelta(days=8))
    assert Client().post(link).status_code == 404
    assert RecipientAddress.objects.get().confirmed_at is None


def test_asking_again_sends_a_new_link_and_the_old_one_stops_working(owner, mail_service):
    save_recipients(owner, mail_service, "anna@firma.pl")
    old = links()["anna@firma.pl"]
    row = RecipientAddress.objects.get()
    owner.post(reverse("sms2email_recipient_ask", args=[mail_service.pk, row.pk]))
    outbox.outbox.clear()
    outbound.send_due()
    new = links()["anna@firma.pl"]
    assert new != old
    assert Client().post(old).status_code == 404
    assert Client().post(new).status_code == 200


def test_an_address_is_sent_its_link_three_times_a_day_at_most(owner, mail_service):
    save_recipients(owner, mail_service, "anna@firma.pl")  # the first
    row = RecipientAddress.objects.get()
    url = reverse("sms2email_recipient_ask", args=[mail_service.pk, row.pk])
    owner.post(url)
    owner.post(url)  # the third
    answer = owner.post(url, follow=True)
    assert "was sent a link 3 times today" in answer.content.decode()
    # Removing and adding it again does not start the count again.
    save_recipients(owner, mail_service, "")
    save_recipients(owner, mail_service, "anna@firma.pl")
    assert OutboundMail.objects.filter(kind=OutboundKind.CONFIRMATION).count() == 3


def test_a_removed_address_is_forgotten_and_must_confirm_again(owner, mail_service):
    save_recipients(owner, mail_service, "anna@firma.pl")
    Client().post(links()["anna@firma.pl"])
    save_recipients(owner, mail_service, "")
    incoming_sms(mail_service)
    assert sms_mailed_to() == []
    save_recipients(owner, mail_service, "anna@firma.pl")
    assert RecipientAddress.objects.get().confirmed_at is None


def test_reports_go_to_confirmed_recipients_and_the_sender_needs_no_link(owner, mail_service):
    save_recipients(
        owner,
        mail_service,
        f"anna@firma.pl, piotr@gmail.com, {SENDER}",
        reports_to_sender="",
        reports_to_recipients="on",
    )
    Client().post(links()["anna@firma.pl"])
    outbox.outbox.clear()
    [request] = intake.handle(
        mail(f"{PASSWORD}\n601123456\n---\nWizyta jutro"),
        envelope_sender=SENDER,
        recipients=[f"box@{domain()}"],
    )
    [recipient] = request.message.recipients.all()
    transitions.apply_reports([transitions.Report(recipient.pk, Status.DELIVERED)])
    reports.write_due()
    outbound.send_due()
    reported = sorted(sent.to for sent in outbox.outbox if sent.subject.startswith("Re:"))
    assert reported == [["anna@firma.pl"], [SENDER]]  # not piotr@, who did not confirm


def test_past_the_hourly_limit_mail_is_kept_for_the_customer_not_sent(
    owner, mail_service, settings
):
    from tests.mailbridge.conftest import confirm_recipients

    settings.SMS2EMAIL_MAIL_PER_HOUR = 3
    confirm_recipients(mail_service, "anna@firma.pl")
    for n in range(5):
        services.store_incoming(mail_service.pk, "48601123456", "48500100200", f"SMS {n}", None)
    states = list(OutboundMail.objects.order_by("id").values_list("state", flat=True))
    assert states == [ReplyState.PENDING] * 3 + [ReplyState.LIMITED] * 2
    assert outbound.send_due() == 3
    assert outbound.send_due() == 0  # the limited ones are never sent
    log = owner.get(reverse("sms2email_log", args=[mail_service.pk])).content.decode()
    assert log.count("not sent: over the limit of 3 e-mails an hour") == 2


def test_mail_an_hour_old_no_longer_counts(mail_service, settings):
    from tests.mailbridge.conftest import confirm_recipients

    settings.SMS2EMAIL_MAIL_PER_HOUR = 1
    confirm_recipients(mail_service, "anna@firma.pl")
    services.store_incoming(mail_service.pk, "48601123456", "48500100200", "Raz", None)
    OutboundMail.objects.update(created_at=timezone.now() - timedelta(minutes=61))
    services.store_incoming(mail_service.pk, "48601123456", "48500100200", "Dwa", None)
    assert OutboundMail.objects.filter(state=ReplyState.LIMITED).count() == 0


def test_the_link_is_kept_encrypted_until_it_is_sent(owner, mail_service):
    save_recipients(owner, mail_service, "anna@firma.pl")
    stored = OutboundMail.objects.get(kind=OutboundKind.CONFIRMATION).body
    link = links()["anna@firma.pl"]
    assert "/sms2email/confirm/" not in stored and link.split("/")[-2] not in stored


def test_a_service_sends_a_limited_number_of_links_a_day(owner, mail_service, monkeypatch):
    from mailbridge import recipients

    monkeypatch.setattr(recipients, "LINKS_PER_DAY", 2)
    save_recipients(owner, mail_service, "a@firma.pl, b@firma.pl, c@firma.pl")
    assert set(links()) == {"a@firma.pl", "b@firma.pl"}
    # Replacing the list does not start the count again.
    save_recipients(owner, mail_service, "d@firma.pl")
    assert "d@firma.pl" not in links()


def test_an_address_gets_three_links_a_day_whichever_services_ask(
    owner, mail_service, make_service
):
    from mailbridge import recipients, settings_ops

    save_recipients(owner, mail_service, "anna@firma.pl")
    for _ in range(3):
        other = settings_ops.switch_on(make_service())
        recipients.set_addresses(other, ["anna@firma.pl"], lambda token: f"https://x/{token}/")
    outbound.send_due()
    assert [sent.to for sent in outbox.outbox] == [["anna@firma.pl"]] * 3


@pytest.mark.parametrize(
    ("language", "subject"),
    [
        ("pl", "Potwierdź adres: SMS-y przychodzące usługi nr {}"),
        ("en", "Confirm the address: incoming SMS of service no. {}"),
        (
            "",
            "Potwierdź adres: SMS-y przychodzące usługi nr {0} / "
            "Confirm the address: incoming SMS of service no. {0}",
        ),
    ],
)
def test_the_link_mail_is_in_the_customers_language(owner, mail_service, language, subject):
    Customer.objects.filter(pk=mail_service.customer_id).update(language=language)
    save_recipients(owner, mail_service, "anna@firma.pl")
    found = links()
    [sent] = outbox.outbox
    assert sent.subject == subject.format(mail_service.pk)
    assert ("Jeśli chcesz je dostawać" in sent.body) == (language != "en")
    assert ("If you want them" in sent.body) == (language != "pl")
    assert Client().post(found["anna@firma.pl"]).status_code == 200
    assert RecipientAddress.objects.get(address="anna@firma.pl").confirmed_at is not None
