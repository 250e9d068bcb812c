"""Sms2Email in a real browser, in Polish as the customer sees it (seed 000 §3.1–3.3)."""

import re

import pytest
from playwright.sync_api import expect

from mailbridge import senders
from mailbridge.models import Sms2EmailSettings

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def polish_page(page_in):
    return page_in("pl-PL")


def test_switch_on_and_configure_sms2email(polish_page, live_server, service):
    page = polish_page
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", "pw-alice")
    page.click("button[type=submit] >> text=Zaloguj się")
    page.locator("#services a").click()
    page.click("nav.tabs >> text=Interfejsy")

    page.click("button >> text=Włącz Sms2Email")
    expect(page.locator("#sms2email")).to_contain_text("Wyłącz Sms2Email")
    page.click("#sms2email >> text=Konfiguracja Sms2Email")
    page.wait_for_url(re.compile(rf"/services/{service.pk}/sms2email/$"))
    settings_row = Sms2EmailSettings.objects.get(service=service)
    expect(page.locator("#sms2email-password")).to_have_text(settings_row.password)

    senders_field = page.get_by_label("Autoryzowani nadawcy SMS", exact=True)
    senders_field.fill("jan@@firma.pl")
    page.click("button >> text=Zapisz")
    expect(page.locator("[role=alert]")).to_contain_text(
        "„jan@@firma.pl” nie jest ani adresem e-mail, ani domeną"
    )

    senders_field.fill("jan@firma.pl, biuro.pl")
    unsecured = page.get_by_label("Akceptuj e-maile bez zabezpieczeń", exact=True)
    expect(unsecured).not_to_be_checked()
    unsecured.check()
    page.click("button >> text=Zapisz")
    expect(page.locator(".messages")).to_contain_text("Zapisano konfigurację Sms2Email.")

    page.reload()
    expect(senders_field).to_have_value("jan@firma.pl, biuro.pl")
    expect(unsecured).to_be_checked()
    settings_row.refresh_from_db()
    assert settings_row.accept_unsecured
    assert senders.settings_for("kasia@biuro.pl") == settings_row


def test_a_recipient_address_is_confirmed_through_its_link(polish_page, live_server, service):
    from django.core import mail as outbox

    from mailbridge import outbound, settings_ops

    settings_ops.switch_on(service)
    page = polish_page
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", "pw-alice")
    page.click("button[type=submit] >> text=Zaloguj się")
    page.goto(f"{live_server.url}/services/{service.pk}/sms2email/")
    page.get_by_label("Odbiorcy SMS-ów przychodz.", exact=True).fill("anna@firma.pl")
    page.click("button >> text=Zapisz")
    waiting = page.locator("#recipient-addresses li")
    expect(waiting).to_contain_text("anna@firma.pl")
    expect(waiting).to_contain_text("czeka na potwierdzenie")

    outbound.send_due()
    [sent] = outbox.outbox
    assert sent.to == ["anna@firma.pl"]
    link = re.search(r"https?://\S+/sms2email/confirm/\S+/", sent.body)[0]
    assert link.startswith(live_server.url)  # the site the customer used

    visitor = page.context.browser.new_page(locale="pl-PL")  # the address's owner
    visitor.goto(link)
    visitor.click("#confirm-form button")
    expect(visitor.locator("#confirm-state")).to_have_attribute("data-state", "confirmed")
    expect(visitor.locator("#confirm-state")).to_contain_text("anna@firma.pl")
    visitor.close()

    page.reload()
    expect(waiting).to_contain_text("potwierdzony")
