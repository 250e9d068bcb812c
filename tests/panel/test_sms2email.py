"""The customer's Sms2Email pages: switch on and off, Konfiguracja Sms2Email, the log."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from mailbridge import senders, settings_ops
from mailbridge.models import InboundMail, Outcome, ReplyState, Sms2EmailSettings
from messaging import services as messaging_services

pytestmark = pytest.mark.django_db

FORM = {
    "max_numbers": "25",
    "authorised_senders": "Jan@Firma.pl, biuro.pl",
    "reports_to_sender": "",
    "incoming_recipients": "anna@firma.pl, Piotr@Firma.pl",
    "reports_to_recipients": "on",
    "accept_unsecured": "on",
    "accept_password": "",
    "accept_md5": "on",
    "md5_window": "600",
    "require_pgp": "on",
    "ups_enabled": "on",
}

POLISH_LABELS = [
    "Hasło",
    "Adres e-mail usługi",
    "Maks. ilość numerów w mailu",
    "Autoryzowani nadawcy SMS",
    "Raporty z wysyłki do nadawcy",
    "Odbiorcy SMS-ów przychodz.",
    "Raporty z wysyłki do odbiorców",
    "Akceptuj e-maile bez zabezpieczeń",
    "Akceptuj e-maile z hasłem w treści",
    "Akceptuj e-maile z md5 (hasło+timestamp)",
    "Przesunięcie czasowe dla md5 [sek]",
    "Wymagaj e-maili zaszyfrowanych (PGP)",
    "Obsługa e-maili z UPS",
    "Twoja subdomena dla UPS",
    "regeneruj",
    "Wygeneruj nowe hasło",
]
ENGLISH_LABELS = [
    "Password",
    "Service e-mail address",
    "Max. numbers in one mail",
    "Authorised SMS senders",
    "Delivery reports to the sender",
    "Recipients of incoming SMS",
    "Delivery reports to those recipients",
    "Accept mail without security",
    "Accept mail with the password in it",
    "Accept mail with md5 (password+timestamp)",
    "Time shift allowed for md5 [s]",
    "Require encrypted mail (PGP)",
    "Handle mail from UPS",
    "Your UPS subdomain",
    "regenerate",
    "Generate a new password",
]


def url(name, service):
    return reverse(name, args=[service.pk])


@pytest.fixture
def sms2email(alice_client, service):
    alice_client.post(url("sms2email_on", service))
    return Sms2EmailSettings.objects.get(service=service)


def save(client, service, **changes):
    return client.post(url("sms2email_settings", service), {**FORM, **changes})


def test_interfaces_tab_offers_to_switch_sms2email_on(alice_client, service):
    html = alice_client.get(url("service", service)).content.decode()
    assert url("sms2email_on", service) in html
    assert f'href="{url("sms2email_settings", service)}"' not in html
    assert not Sms2EmailSettings.objects.exists()


def test_switching_on_creates_the_settings_with_the_defaults(alice_client, service):
    response = alice_client.post(url("sms2email_on", service), follow=True)
    row = Sms2EmailSettings.objects.get(service=service)
    assert row.enabled
    assert len(row.password) == 12
    assert row.accept_password and row.accept_md5 and row.md5_window == 300
    assert not row.accept_unsecured and not row.require_pgp
    assert row.reports_to_sender and row.max_numbers == 10
    assert row.authorised_senders == "" and not row.sender_entries.exists()
    assert len(row.ups_subdomain) == 8
    html = response.content.decode()
    assert f'href="{url("sms2email_settings", service)}"' in html
    assert url("sms2email_off", service) in html


def test_switching_off_keeps_the_settings(alice_client, service, sms2email):
    save(alice_client, service)
    password = Sms2EmailSettings.objects.get(pk=sms2email.pk).password
    response = alice_client.post(url("sms2email_off", service), follow=True)
    row = Sms2EmailSettings.objects.get(pk=sms2email.pk)
    assert not row.enabled
    assert row.password == password and row.max_numbers == 25
    assert list(row.sender_entries.values_list("entry", flat=True)) != []
    assert url("sms2email_on", service) in response.content.decode()
    # On again: the customer's settings, not the defaults.
    alice_client.post(url("sms2email_on", service))
    row.refresh_from_db()
    assert row.enabled and row.max_numbers == 25 and row.password == password


def test_settings_page_needs_sms2email_on(alice_client, service):
    response = alice_client.get(url("sms2email_settings", service))
    assert response.status_code == 302
    assert response["Location"] == url("service", service)


def test_the_form_saves_each_field(alice_client, service, sms2email):
    response = save(alice_client, service)
    assert response.status_code == 302
    row = Sms2EmailSettings.objects.get(pk=sms2email.pk)
    assert row.max_numbers == 25
    assert row.authorised_senders == "jan@firma.pl, biuro.pl"
    assert sorted(row.sender_entries.values_list("entry", flat=True)) == [
        "biuro.pl",
        "jan@firma.pl",
    ]
    assert senders.settings_for("kasia@biuro.pl") == row
    assert row.reports_to_sender is False
    assert row.incoming_recipients == "anna@firma.pl, piotr@firma.pl"
    assert row.reports_to_recipients is True
    assert row.accept_unsecured is True
    assert row.accept_password is False
    assert row.accept_md5 is True
    assert row.md5_window == 600
    assert row.require_pgp is True
    assert row.ups_enabled is True
    # The saved values show on the page again.
    html = alice_client.get(url("sms2email_settings", service)).content.decode()
    assert "jan@firma.pl, biuro.pl" in html
    assert 'value="600"' in html


def test_unticking_a_box_saves_false(alice_client, service, sms2email):
    save(alice_client, service)
    save(alice_client, service, accept_unsecured="", ups_enabled="")
    row = Sms2EmailSettings.objects.get(pk=sms2email.pk)
    assert row.accept_unsecured is False and row.ups_enabled is False


def test_removing_a_sender_frees_it(alice_client, service, sms2email):
    save(alice_client, service)
    save(alice_client, service, authorised_senders="biuro.pl")
    assert senders.settings_for("jan@firma.pl") is None


def test_a_malformed_sender_is_refused_with_what_to_fix(alice_client, service, sms2email):
    response = save(alice_client, service, authorised_senders="jan@firma.pl, jan@@firma")
    assert response.status_code == 200
    errors = response.context["form"].errors["authorised_senders"]
    assert errors == ["“jan@@firma” is neither an e-mail address nor a domain such as firma.pl."]
    assert "jan@@firma" in response.content.decode()
    row = Sms2EmailSettings.objects.get(pk=sms2email.pk)
    assert row.max_numbers == 10 and not row.sender_entries.exists()


def test_a_sender_another_service_claims_is_refused(alice_client, service, sms2email, make_service):
    other = Sms2EmailSettings.objects.create(service=make_service(username="bob"), enabled=True)
    senders.set_authorised(other, "jan@firma.pl")
    response = save(alice_client, service, authorised_senders="biuro.pl, jan@firma.pl")
    assert response.status_code == 200
    assert response.context["form"].errors["authorised_senders"] == [
        "jan@firma.pl already sends for another service; remove it there first."
    ]
    assert senders.settings_for("jan@firma.pl") == other
    assert not Sms2EmailSettings.objects.get(pk=sms2email.pk).sender_entries.exists()


def test_incoming_recipients_must_be_addresses(alice_client, service, sms2email):
    response = save(alice_client, service, incoming_recipients="anna@firma.pl, firma.pl")
    assert response.status_code == 200
    assert response.context["form"].errors["incoming_recipients"] == [
        "“firma.pl” is not a valid e-mail address."
    ]


@pytest.mark.parametrize(
    "field, value", [("max_numbers", "0"), ("md5_window", "0"), ("md5_window", "abc")]
)
def test_numbers_out_of_range_are_refused(alice_client, service, sms2email, field, value):
    response = save(alice_client, service, **{field: value})
    assert response.status_code == 200
    assert field in response.context["form"].errors


def test_the_owner_sees_the_password_and_the_addresses(alice_client, service, sms2email):
    response = alice_client.get(url("sms2email_settings", service))
    html = response.content.decode()
    assert sms2email.password in html
    assert f"box@{settings.SMS2EMAIL_DOMAIN}" in html
    assert sms2email.ups_subdomain in html
    assert 'href="/sms2email/key.asc"' in html
    assert "no-store" in response["Cache-Control"]


def test_a_new_password_replaces_the_old(alice_client, service, sms2email):
    old = sms2email.password
    response = alice_client.post(url("sms2email_password", service), {"confirm": "yes"})
    # Back to the settings page by GET, with no password in the address.
    assert response.status_code == 302
    assert response["Location"] == url("sms2email_settings", service)
    new = Sms2EmailSettings.objects.get(pk=sms2email.pk).password
    assert new != old and len(new) == 12
    html = alice_client.get(response["Location"]).content.decode()
    assert new in html and old not in html


def test_regenerating_the_password_asks_first(alice_client, service, sms2email):
    for name in ("sms2email_password", "sms2email_subdomain"):
        assert 'name="confirm"' in alice_client.get(url(name, service)).content.decode()
    kept = Sms2EmailSettings.objects.get(pk=sms2email.pk)
    assert (kept.password, kept.ups_subdomain) == (sms2email.password, sms2email.ups_subdomain)


def test_a_new_ups_subdomain_replaces_the_old(alice_client, service, sms2email):
    old = sms2email.ups_subdomain
    response = alice_client.post(
        url("sms2email_subdomain", service), {"confirm": "yes"}, follow=True
    )
    new = Sms2EmailSettings.objects.get(pk=sms2email.pk).ups_subdomain
    assert new != old and len(new) == 8 and new.isalpha()
    assert new in response.content.decode()


def test_regenerate_subdomain_returns_the_new_one(sms2email):
    old = sms2email.ups_subdomain
    new = settings_ops.regenerate_subdomain(sms2email)
    assert new == sms2email.ups_subdomain != old
    assert Sms2EmailSettings.objects.get(pk=sms2email.pk).ups_subdomain == new
    assert not Sms2EmailSettings.objects.filter(ups_subdomain=old).exists()


def log_row(service, **fields):
    defaults = {
        "sender": "jan@firma.pl",
        "recipient": f"box@{settings.SMS2EMAIL_DOMAIN}",
        "subject": "Zamówienie",
        "mail_id": f"<{InboundMail.objects.count()}@firma.pl>",
        "outcome": Outcome.SENT,
    }
    return InboundMail.objects.create(service=service, **{**defaults, **fields})


def test_the_log_lists_this_services_mail_only(alice_client, service, sms2email, make_service):
    request = messaging_services.SendRequest(recipients=["48600100123"], text="Dzień dobry")
    message = messaging_services.submit(service.pk, request).message
    sent = log_row(service, subject="Dostawa jutro", message=message)
    refused = log_row(
        service,
        subject="Bez hasła",
        outcome=Outcome.REFUSED,
        detail="Brak hasła w treści e-maila.",
        reply_state=ReplyState.SENT,
    )
    log_row(make_service(username="bob"), subject="Cudza poczta")
    log_row(None, sender="spam@example.com", subject="Nieznany nadawca", outcome=Outcome.DROPPED)

    response = alice_client.get(url("sms2email_log", service))
    html = response.content.decode()
    assert [row.pk for row in response.context["page"].object_list] == [refused.pk, sent.pk]
    assert "Dostawa jutro" in html and "Bez hasła" in html
    assert "Brak hasła w treści e-maila." in html
    assert reverse("message_detail", args=[service.pk, message.pk]) in html
    assert "reply sent" in html and "refused" in html
    assert "Cudza poczta" not in html
    assert "Nieznany nadawca" not in html and "spam@example.com" not in html


def test_the_log_is_paginated(alice_client, service, sms2email):
    for _ in range(51):
        log_row(service)
    first = alice_client.get(url("sms2email_log", service))
    assert len(first.context["page"].object_list) == 50
    second = alice_client.get(url("sms2email_log", service), {"page": 2})
    assert len(second.context["page"].object_list) == 1


PAGES = ["sms2email_settings", "sms2email_log"]
ASKING_FIRST = {"sms2email_password", "sms2email_subdomain"}
ACTIONS = [
    "sms2email_on",
    "sms2email_off",
    "sms2email_settings",
    "sms2email_password",
    "sms2email_subdomain",
]


@pytest.fixture
def mallory_sms2email(make_service):
    row = Sms2EmailSettings.objects.create(service=make_service(username="mallory"), enabled=True)
    senders.set_authorised(row, "mallory.example")
    return Sms2EmailSettings.objects.get(pk=row.pk)


@pytest.mark.parametrize("name", PAGES)
def test_another_customers_service_is_not_found(alice_client, mallory_sms2email, name):
    mallory = mallory_sms2email.service
    assert alice_client.get(url(name, mallory)).status_code == 404
    assert alice_client.get(reverse(name, args=[999999])).status_code == 404


@pytest.mark.parametrize("name", sorted(set(ACTIONS) - set(PAGES)))
def test_actions_answer_get_alike_for_every_service(alice_client, mallory_sms2email, name):
    # A GET is refused before any service is looked up (POST only), or, for an action
    # that asks first (panel.confirm), finds neither service: either way it tells
    # nothing about whose service it is.
    answers = {
        alice_client.get(reverse(name, args=[service_id])).status_code
        for service_id in (mallory_sms2email.service_id, 999999)
    }
    assert answers == ({404} if name in ASKING_FIRST else {405})


@pytest.mark.parametrize("name", ACTIONS)
def test_actions_on_another_customers_service_change_nothing(alice_client, mallory_sms2email, name):
    response = alice_client.post(url(name, mallory_sms2email.service), FORM)
    assert response.status_code == 404
    after = Sms2EmailSettings.objects.get(pk=mallory_sms2email.pk)
    assert after.enabled
    assert after.password == mallory_sms2email.password
    assert after.ups_subdomain == mallory_sms2email.ups_subdomain
    assert after.max_numbers == 10 and not after.accept_unsecured
    assert list(after.sender_entries.values_list("entry", flat=True)) == ["mallory.example"]


@pytest.mark.parametrize("name", PAGES + ACTIONS)
def test_pages_need_a_login(client, service, name):
    response = client.post(url(name, service), FORM)
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert not Sms2EmailSettings.objects.exists()


@pytest.mark.parametrize("name", ACTIONS)
def test_posts_need_the_csrf_token(service, name):
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(service.customer.user)
    assert client.post(url(name, service), FORM).status_code == 403
    assert not Sms2EmailSettings.objects.exists()


def test_the_pages_are_never_cached(alice_client, service, sms2email):
    for name in PAGES:
        assert "no-store" in alice_client.get(url(name, service))["Cache-Control"]


def test_labels_in_polish_by_default(service, sms2email):
    polish = Client()
    polish.force_login(service.customer.user)
    interfaces = polish.get(url("service", service)).content.decode()
    assert "Wyłącz Sms2Email" in interfaces
    assert "Konfiguracja Sms2Email" in interfaces
    assert "Dziennik Sms2Email" in interfaces
    html = polish.get(url("sms2email_settings", service)).content.decode()
    for label in POLISH_LABELS:
        assert label in html, label
    polish.post(url("sms2email_off", service))
    assert "Włącz Sms2Email" in polish.get(url("service", service)).content.decode()


def test_errors_in_polish(service, sms2email):
    polish = Client()
    polish.force_login(service.customer.user)
    response = polish.post(
        url("sms2email_settings", service), {**FORM, "authorised_senders": "jan@@firma"}
    )
    assert "nie jest ani adresem e-mail, ani domeną" in response.content.decode()


def test_labels_in_english(alice_client, service, sms2email):
    interfaces = alice_client.get(url("service", service)).content.decode()
    assert "Switch Sms2Email off" in interfaces and "Sms2Email settings" in interfaces
    html = alice_client.get(url("sms2email_settings", service)).content.decode()
    for label in ENGLISH_LABELS:
        assert label in html, label
    assert "Hasło" not in html


def test_the_log_shows_the_mail_the_platform_sent_with_its_delivery_state(
    alice_client, service, sms2email, make_service
):
    from mailbridge.models import OutboundKind, OutboundMail

    def sent(owner, subject, state):
        return OutboundMail.objects.create(
            service=owner,
            kind=OutboundKind.REPORT,
            from_address=f"box@{settings.SMS2EMAIL_DOMAIN}",
            to="jan@firma.pl",
            subject=subject,
            body="48601123456 DELIVERED doręczono 2026-12-01 15:02:11\n",
            state=state,
        )

    sent(service, "Re: Dostawa", "sent")
    sent(service, "Re: Czeka", "pending")
    sent(make_service(username="bob"), "Re: Cudzy raport", "sent")
    html = alice_client.get(url("sms2email_log", service)).content.decode()
    assert "Re: Dostawa" in html and "Re: Czeka" in html
    assert 'data-state="sent"' in html and 'data-state="pending"' in html
    assert "delivery report" in html and "queued" in html
    assert "Re: Cudzy raport" not in html


@pytest.mark.parametrize(
    ("language", "example"),
    [("pl", "jan@firma.pl, biuro.pl"), ("en", "john@example.com, example.com")],
)
def test_the_example_addresses_are_the_readers(service, sms2email, language, example):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(service.customer.user)
    page = client.get(url("sms2email_settings", service)).content.decode()
    assert f'placeholder="{example}"' in page
