"""Destructive actions ask first (panel.confirm): the GET and a POST without
``confirm=yes`` show what will happen and change nothing; only the confirmed POST
acts, and it still needs the CSRF token."""

import re
from collections.abc import Callable
from datetime import timedelta
from typing import NamedTuple

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AllowedAddress, SenderId
from mailbridge import settings_ops
from mailbridge.models import Sms2EmailSettings
from messaging import callbacks, services
from messaging.models import Source
from panel import confirm

pytestmark = pytest.mark.django_db


def scheduled_message(service, numbers=2):
    """A message due tomorrow: nothing of it has left, so all of it can be cancelled."""
    request = services.SendRequest(
        recipients=[f"50123456{i}" for i in range(numbers)],
        text="Later",
        send_at=timezone.now() + timedelta(days=1),
        source=Source.PANEL,
    )
    return services.submit(service.pk, request).message


class Action(NamedTuple):
    url: str  # the action, which asks first
    page: str  # the page that offers it, and where "No, go back" leads
    yes: str  # the words on the red button
    state: Callable[[], object]  # a reading of what the action changes


def cancel_send(service) -> Action:
    message = scheduled_message(service)
    return Action(
        reverse("message_cancel", args=[service.pk, message.pk]),
        reverse("message_detail", args=[service.pk, message.pk]),
        "Yes, cancel the send",
        lambda: sorted(message.recipients.values_list("status", flat=True)),
    )


def fresh(service):
    return type(service).objects.get(pk=service.pk)


def new_api_password(service) -> Action:
    return Action(
        reverse("regenerate_api_password", args=[service.pk]),
        reverse("sms_settings", args=[service.pk]),
        "Yes, make a new API password",
        lambda: fresh(service).api_password_digest,
    )


def new_sms_hash(service) -> Action:
    return Action(
        reverse("regenerate_sms_hash", args=[service.pk]),
        reverse("sms_settings", args=[service.pk]),
        "Yes, make a new SMS hash",
        lambda: fresh(service).sms_hash_digest,
    )


def new_signing_secret(service) -> Action:
    return Action(
        reverse("regenerate_signing_secret", args=[service.pk]),
        reverse("callback_url", args=[service.pk]),
        "Yes, make a new signing secret",
        lambda: callbacks.signing_secret(fresh(service)),
    )


def sms2email_of(service):
    settings_ops.switch_on(service)
    return lambda: Sms2EmailSettings.objects.get(service=service)


def new_sms2email_password(service) -> Action:
    settings_row = sms2email_of(service)
    return Action(
        reverse("sms2email_password", args=[service.pk]),
        reverse("sms2email_settings", args=[service.pk]),
        "Yes, make a new password",
        lambda: settings_row().password,
    )


def new_ups_subdomain(service) -> Action:
    settings_row = sms2email_of(service)
    return Action(
        reverse("sms2email_subdomain", args=[service.pk]),
        reverse("sms2email_settings", args=[service.pk]),
        "Yes, make a new subdomain",
        lambda: settings_row().ups_subdomain,
    )


def remove_sender_name(service) -> Action:
    sender = SenderId.objects.create(service=service, name="MyShop")
    return Action(
        reverse("sender_delete", args=[service.pk, sender.pk]),
        reverse("sender_ids", args=[service.pk]),
        "Yes, remove the sender name",
        lambda: list(service.sender_ids.values_list("name", flat=True)),
    )


def remove_ip_address(service) -> Action:
    entry = AllowedAddress.objects.create(service=service, network="203.0.113.7")
    return Action(
        reverse("ip_address_delete", args=[service.pk, entry.pk]),
        reverse("ip_addresses", args=[service.pk]),
        "Yes, remove the address",
        lambda: list(service.allowed_addresses.values_list("network", flat=True)),
    )


def block_service(service) -> Action:
    return Action(
        reverse("service_block", args=[service.pk]),
        reverse("service", args=[service.pk]),
        "Yes, block the service",
        lambda: fresh(service).state,
    )


ACTIONS = [
    cancel_send,
    new_api_password,
    new_sms_hash,
    new_signing_secret,
    new_sms2email_password,
    new_ups_subdomain,
    remove_sender_name,
    remove_ip_address,
    block_service,
]


@pytest.fixture(params=ACTIONS, ids=lambda set_up: set_up.__name__)
def action(request, service) -> Action:
    return request.param(service)


def is_question(response, action) -> bool:
    html = response.content.decode()
    return (
        response.status_code == 200
        and 'name="confirm" value="yes"' in html
        and action.yes in html
        and f'href="{action.page}"' in html
        and "No, go back" in html
    )


def test_the_page_offering_the_action_leads_to_the_question_by_get(alice_client, action):
    html = alice_client.get(action.page).content.decode()
    forms = re.findall(r"<form\b[^>]*>", html)
    leading = [f for f in forms if f'action="{action.url}"' in f]
    assert leading and all('method="get"' in f for f in leading), forms


def test_get_asks_and_changes_nothing(alice_client, action):
    before = action.state()
    response = alice_client.get(action.url)
    assert is_question(response, action)
    assert f'<form method="post" action="{action.url}"' in response.content.decode()
    assert action.state() == before


@pytest.mark.parametrize("answer", [{}, {"confirm": ""}, {"confirm": "no"}])
def test_a_post_without_the_confirmation_asks_and_changes_nothing(alice_client, action, answer):
    before = action.state()
    response = alice_client.post(action.url, answer)
    assert is_question(response, action)
    assert action.state() == before


def test_the_confirmed_post_acts(alice_client, action):
    before = action.state()
    response = alice_client.post(action.url, {"confirm": "yes"})
    assert response.status_code in (200, 302)
    assert not is_question(response, action)
    assert action.state() != before


def test_the_confirmed_post_still_needs_the_csrf_token(service, action):
    browser = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    browser.force_login(service.customer.user)
    before = action.state()
    assert browser.post(action.url, {"confirm": "yes"}).status_code == 403
    assert action.state() == before
    question = browser.get(action.url).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', question).group(1)
    browser.post(action.url, {"confirm": "yes", "csrfmiddlewaretoken": token})
    assert action.state() != before


def test_the_question_is_asked_in_polish(service, action):
    polish = Client(HTTP_ACCEPT_LANGUAGE="pl")
    polish.force_login(service.customer.user)
    html = polish.get(action.url).content.decode()
    assert "Nie, wróć" in html
    assert "No, go back" not in html and action.yes not in html


def test_other_methods_are_refused(alice_client, action):
    before = action.state()
    assert alice_client.put(action.url).status_code == 405
    assert alice_client.delete(action.url).status_code == 405
    assert action.state() == before


@pytest.mark.parametrize(
    ("method", "data", "expected"),
    [
        ("post", {"confirm": "yes"}, True),
        ("post", {"confirm": "YES"}, False),
        ("post", {"confirm": "1"}, False),
        ("post", {}, False),
        ("get", {"confirm": "yes"}, False),  # a link cannot confirm
    ],
)
def test_only_a_post_saying_yes_is_confirmed(rf, method, data, expected):
    assert confirm.confirmed(getattr(rf, method)("/x/", data)) is expected
