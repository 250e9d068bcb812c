import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from accounts.ipallow import InvalidEntry, canonical
from accounts.models import Customer

pytestmark = pytest.mark.django_db


def test_panel_speaks_polish_by_default():
    html = Client().get(reverse("login")).content.decode()
    assert "Zaloguj się" in html
    assert 'lang="pl"' in html


def test_english_on_request():
    html = Client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("login")).content.decode()
    assert "Sign in" in html and "Zaloguj" not in html


def test_service_tabs_carry_the_original_polish_labels(service):
    polish = Client()
    polish.force_login(service.customer.user)
    html = polish.get(reverse("service", args=[service.pk])).content.decode()
    for label in [
        "Interfejsy",
        "Bramka SMS",
        "Ustawienia SMS",
        "Integracja (API)",
        "Adresy IP",
        "Callback URL",
        "Nazwy nadawcy",
    ]:
        assert label in html


def test_allowlist_error_in_polish():
    with (
        translation.override("pl"),
        pytest.raises(InvalidEntry, match="czy chodziło o 192.0.2.0/24"),
    ):
        canonical("192.0.2.9/24")


# The language switch (panel.language): the cookie as Django sets it, and a signed-in
# customer's choice kept for the mail sent to them.


def switch(client, language, next_url="/"):
    return client.post(reverse("set_language"), {"language": language, "next": next_url})


def test_switching_the_language_keeps_it_for_the_customer(alice_client, service):
    response = switch(alice_client, "pl", "/messages/?page=2")
    assert response.status_code == 302 and response["Location"] == "/messages/?page=2"
    assert response.cookies["django_language"].value == "pl"
    service.customer.refresh_from_db()
    assert service.customer.language == "pl"
    switch(alice_client, "en")
    service.customer.refresh_from_db()
    assert service.customer.language == "en"


def test_the_switch_is_one_update(alice_client):
    with CaptureQueriesContext(connection) as queries:
        switch(alice_client, "pl")
    customer = [q["sql"] for q in queries.captured_queries if "accounts_customer" in q["sql"]]
    assert len(customer) == 1 and customer[0].startswith("UPDATE")


def test_a_language_the_panel_has_not_is_not_kept(alice_client, service):
    # German: Django has it, the panel (LANGUAGES) has not.
    for language in ["de", "xx", ""]:
        switch(alice_client, language)
    service.customer.refresh_from_db()
    assert service.customer.language == ""


def test_a_get_changes_nothing(alice_client, service):
    response = alice_client.get(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302 and "django_language" not in response.cookies
    service.customer.refresh_from_db()
    assert service.customer.language == ""


def test_the_switch_needs_its_csrf_token(service):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(service.customer.user)
    assert switch(strict, "en").status_code == 403
    service.customer.refresh_from_db()
    assert service.customer.language == ""


def test_anyone_may_switch_as_before(client):
    response = switch(client, "pl", "/login/")
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert response.cookies["django_language"].value == "pl"
    assert "Zaloguj się" in client.get("/login/").content.decode()


def test_staff_without_a_customer_switch_too(admin_client, service):
    response = switch(admin_client, "pl")
    assert response.cookies["django_language"].value == "pl"
    service.customer.refresh_from_db()
    assert service.customer.language == ""


def test_the_form_on_every_page_posts_to_the_switch(alice_client):
    html = alice_client.get("/").content.decode()
    assert f'action="{reverse("set_language")}"' in html


def sign_in(client, username="alice"):
    return client.post(reverse("login"), {"username": username, "password": f"pw-{username}"})


def test_signing_in_brings_back_the_kept_language(service):
    Customer.objects.filter(pk=service.customer.pk).update(language="pl")
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")  # another browser, another language
    response = sign_in(browser)
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "pl"
    assert 'lang="pl"' in browser.get(response["Location"]).content.decode()


def test_signing_in_without_a_kept_language_leaves_the_browsers(service):
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = sign_in(browser)
    assert response.status_code == 302 and "django_language" not in response.cookies
    assert 'lang="en"' in browser.get(response["Location"]).content.decode()


def test_a_failed_sign_in_sets_no_language(service):
    Customer.objects.filter(pk=service.customer.pk).update(language="pl")
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = browser.post(reverse("login"), {"username": "alice", "password": "wrong"})
    assert response.status_code == 200 and "django_language" not in response.cookies


def test_a_login_without_a_customer_signs_in_as_before(django_user_model):
    django_user_model.objects.create_user("staffer", password="pw-staffer")
    response = sign_in(Client(), "staffer")
    assert response.status_code == 302 and "django_language" not in response.cookies


@pytest.mark.parametrize("language", ["pl", "en"])
def test_the_menu_names_each_language_in_itself(language):
    html = Client(HTTP_ACCEPT_LANGUAGE=language).get(reverse("login")).content.decode()
    assert '<option value="pl" lang="pl"' in html and ">Polski</option>" in html
    assert '<option value="en" lang="en"' in html and ">English</option>" in html
    for translated in ["angielski", ">polski<", ">Polish<"]:
        assert translated not in html
