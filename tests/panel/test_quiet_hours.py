"""The "Quiet hours" tab (panel.quiet_hours), and what the send form and its outcome say
about them (panel.quiet_notes)."""

from datetime import time

import pytest
from django.test import Client
from django.urls import reverse

from accounts import quiet_hours
from accounts.models import AuditAction, AuditEntry, QuietHours
from messaging.models import Message
from tests.quiet_hours import MONDAY_EVENING, TUESDAY_OPENING, freeze, switch_on, warsaw

pytestmark = pytest.mark.django_db

SHOP = {
    "enabled": "on",
    **{
        f"{day}_{end}": at
        for day in ("monday", "tuesday", "wednesday", "thursday", "friday")
        for end, at in (("from", "08:00"), ("until", "20:00"))
    },
    "saturday_from": "10:00",
    "saturday_until": "16:00",
}


def url(service) -> str:
    return reverse("quiet_hours", args=[service.pk])


def post(client, service, **fields):
    return client.post(url(service), fields)


# -- the page ------------------------------------------------------------------------


def test_the_tab_is_among_the_services_settings(alice_client, service):
    page = alice_client.get(reverse("sms_settings", args=[service.pk])).content.decode()
    assert f'href="{url(service)}"' in page

    page = alice_client.get(url(service)).content.decode()
    assert 'aria-current="page">Quiet hours</a>' in page
    assert page.count('type="time"') == 14


def test_the_tab_speaks_polish(client, service):
    client.force_login(service.customer.user)
    page = client.get(url(service), HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    assert "Godziny wysyłki" in page
    assert "Poniedziałek" in page


def test_saving_the_hours_switches_them_on(alice_client, service):
    response = post(alice_client, service, **SHOP)

    assert response.status_code == 302
    row = QuietHours.objects.get(service=service)
    assert row.enabled
    assert (row.monday_from, row.monday_until) == (time(8), time(20))
    assert (row.sunday_from, row.sunday_until) == (None, None)
    assert quiet_hours.window_of(service.pk) == row.window()
    page = alice_client.get(response["Location"]).content.decode()
    assert "Quiet hours saved." in page
    assert 'value="08:00"' in page


def test_switching_them_off_keeps_the_hours(alice_client, service):
    post(alice_client, service, **SHOP)
    off = {name: value for name, value in SHOP.items() if name != "enabled"}

    response = post(alice_client, service, **off)

    row = QuietHours.objects.get(service=service)
    assert not row.enabled
    assert row.monday_from == time(8)
    assert quiet_hours.window_of(service.pk) is None
    assert "Quiet hours are off" in alice_client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        (
            {"monday_from": "8 rano"},
            "monday_from",
            "Enter the time as HH:MM, for example 08:00.",
        ),
        (
            {"monday_from": "25:00", "monday_until": "26:00"},
            "monday_from",
            "Enter the time as HH:MM, for example 08:00.",
        ),
        (
            {"tuesday_from": "20:00", "tuesday_until": "08:00"},
            "tuesday_until",
            "Tuesday: the end must be later than the start.",
        ),
        (
            {"friday_from": "09:00", "friday_until": "09:00"},
            "friday_until",
            "Friday: the end must be later than the start.",
        ),
        (
            {"wednesday_from": "08:00"},
            "wednesday_until",
            "Wednesday: give both times, or leave both empty for no sending that day.",
        ),
    ],
)
def test_wrong_times_say_what_to_fix_and_save_nothing(alice_client, service, fields, field, words):
    response = post(alice_client, service, enabled="on", **fields)

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [words]
    assert words in response.content.decode()
    assert not QuietHours.objects.exists()
    assert not AuditEntry.objects.filter(object_type="accounts.quiethours").exists()


def test_on_without_any_hours_is_refused(alice_client, service):
    response = post(alice_client, service, enabled="on")

    assert response.context["form"].non_field_errors() == [
        "Give sending hours for at least one day, or switch quiet hours off."
    ]
    assert not QuietHours.objects.exists()


def test_a_change_is_in_the_audit_log_and_the_change_history(alice_client, service):
    post(alice_client, service, **SHOP)
    post(alice_client, service, **{**SHOP, "monday_from": "09:30"})

    first, second = AuditEntry.objects.filter(object_type="accounts.quiethours").order_by("pk")
    assert (first.action, first.actor_kind, first.service_id) == (
        AuditAction.SERVICE_CHANGED,
        "customer",
        service.pk,
    )
    assert first.changes["enabled"] == [False, True]
    assert first.changes["saturday_from"] == [None, "10:00"]
    assert second.changes == {"monday_from": ["08:00", "09:30"]}
    history = alice_client.get(reverse("change_history", args=[service.pk])).content.decode()
    assert "Monday from" in history
    assert "09:30" in history


def test_saving_without_a_change_records_nothing(alice_client, service):
    post(alice_client, service, **SHOP)
    post(alice_client, service, **SHOP)

    assert AuditEntry.objects.filter(object_type="accounts.quiethours").count() == 1


# -- who may ---------------------------------------------------------------------------


def test_another_customers_service_is_not_found_and_keeps_its_hours(alice_client, make_service):
    mallory = make_service(username="mallory")
    switch_on(mallory)

    assert alice_client.get(url(mallory)).status_code == 404
    assert post(alice_client, mallory, monday_from="00:00", monday_until="23:59").status_code == 404
    row = QuietHours.objects.get(service=mallory)
    assert row.enabled and row.monday_from == time(8)
    assert alice_client.get(reverse("quiet_hours", args=[999999])).status_code == 404


def test_signed_out_visitors_are_sent_to_log_in(client, service):
    for response in (client.get(url(service)), client.post(url(service), SHOP)):
        assert response.status_code == 302 and "/login/" in response["Location"]
    assert not QuietHours.objects.exists()


def test_the_form_needs_its_csrf_token(service):
    strict = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    strict.force_login(service.customer.user)

    assert strict.post(url(service), SHOP).status_code == 403
    assert not QuietHours.objects.exists()


# -- the send form and its outcome ------------------------------------------------------


@pytest.fixture
def evening(monkeypatch, service):
    switch_on(service)
    freeze(monkeypatch, MONDAY_EVENING)
    return service


def send_url(service, tail="") -> str:
    return reverse("send_sms", args=[service.pk]) + tail


NOTE = "Quiet hours: this message will wait until 8 Dec 2026, 08:00. Express SMS leave at once."


def test_the_send_form_says_a_message_sent_now_would_wait(alice_client, evening):
    page = alice_client.get(send_url(evening)).content.decode()
    assert NOTE in page


def test_the_settings_page_says_what_a_message_sent_now_would_do(alice_client, evening):
    page = alice_client.get(reverse("quiet_hours", args=[evening.pk])).content.decode()
    assert "Outside these hours now: a message sent now waits until 8 Dec 2026, 08:00." in page
    assert "this message" not in page


def test_the_send_form_has_no_note_while_the_window_is_open(alice_client, monkeypatch, service):
    switch_on(service)
    freeze(monkeypatch, warsaw(2026, 12, 7, 12, 0))
    page = alice_client.get(send_url(service)).content.decode()
    assert "Quiet hours:" not in page
    assert 'id="quiet-note"' in page  # empty and hidden, for the counter to fill


def test_the_counter_says_when_the_send_as_typed_would_wait(alice_client, evening):
    typed = {"recipients": "501234567", "text": "Hej"}

    answer = alice_client.post(send_url(evening, "estimate/"), typed).json()
    assert answer["quiet_hours"] == NOTE

    express = alice_client.post(send_url(evening, "estimate/"), {**typed, "express": "on"})
    assert express.json()["quiet_hours"] == ""
    inside = {**typed, "send_date": "2026-12-08", "send_time": "09:00"}
    assert alice_client.post(send_url(evening, "estimate/"), inside).json()["quiet_hours"] == ""
    refused = alice_client.post(send_url(evening, "estimate/"), {"text": "Hej"})
    assert refused.json()["quiet_hours"] is None  # no recipients: nothing known


def test_the_outcome_says_the_message_is_scheduled_for_the_opening(alice_client, evening):
    response = alice_client.post(send_url(evening), {"recipients": "501234567", "text": "Hej"})

    message = Message.objects.get()
    assert message.send_at == TUESDAY_OPENING
    assert response["Location"] == reverse("message_detail", args=[evening.pk, message.pk])
    page = alice_client.get(response["Location"]).content.decode()
    assert "Message accepted: scheduled for 8 Dec 2026, 08:00 (quiet hours)." in page


def test_a_send_that_does_not_wait_is_simply_accepted(alice_client, evening):
    fields = {"recipients": "501234567", "text": "Hej", "express": "on"}
    response = alice_client.post(send_url(evening), fields)

    page = alice_client.get(response["Location"]).content.decode()
    assert "Message accepted." in page
    assert "quiet hours" not in page


def test_the_api_docs_say_what_quiet_hours_do(client):
    page = client.get(reverse("api_docs")).content.decode()
    assert "Quiet hours: while a service has them on" in page
    assert "getProgress shows its recipients <code>PENDING</code>" in page
