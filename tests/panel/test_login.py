import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_login_with_the_right_password_reaches_the_dashboard(client, service):
    response = client.post(
        reverse("login"), {"username": "alice", "password": "pw-alice"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("dashboard")
    assert service.name in response.content.decode()


def test_wrong_password_shows_an_error_and_stays_signed_out(client, service):
    response = client.post(reverse("login"), {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert response.context["form"].errors["__all__"]
    assert "_auth_user_id" not in client.session


def test_logout_needs_post_and_signs_out(alice_client):
    assert alice_client.get(reverse("logout")).status_code == 405
    alice_client.post(reverse("logout"))
    assert alice_client.get(reverse("dashboard")).status_code == 302


def test_password_change(alice_client, service):
    response = alice_client.post(
        reverse("password_change"),
        {
            "old_password": "pw-alice",
            "new_password1": "Correct-Horse-42",
            "new_password2": "Correct-Horse-42",
        },
    )
    assert response.status_code == 302
    service.customer.user.refresh_from_db()
    assert service.customer.user.check_password("Correct-Horse-42")


def test_login_form_is_csrf_protected(service):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse("login"), {"username": "alice", "password": "pw-alice"})
    assert response.status_code == 403
