"""The panel after retention (messaging.retention): "Archived" where a text was, masked
numbers, CSV exports saying the same in the reader's language, and a search that no
longer finds anyone by an archived number."""

import csv
import io
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gateways import dispatch
from messaging import retention, services
from messaging.models import IncomingMessage, Message, Recipient

pytestmark = pytest.mark.django_db

NUMBER = "48600100123"
SENDER = "48601000001"


def reader(service, language="en"):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(service.customer.user)
    return client


def rows(response, delimiter=",") -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff")
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


@pytest.fixture
def archived(service, simulator):
    """A message and a received SMS, both past both limits and archived."""
    request = services.SendRequest(recipients=[NUMBER], text="Tajny kod 4711")
    message = services.submit(service.pk, request).message
    dispatch.dispatch_batch()
    incoming = services.store_incoming(service.pk, SENDER, "48500100200", "Odpowiedź Jana", None)
    then = timezone.now() - timedelta(days=400)
    Message.objects.filter(pk=message.pk).update(created_at=then, send_at=then)
    Recipient.objects.filter(message=message).update(status_at=then)
    IncomingMessage.objects.filter(pk=incoming.pk).update(received_at=then)
    retention.run()
    return message


def test_the_message_page_says_archived_instead_of_the_text_and_masks_the_numbers(
    service, archived
):
    page = reader(service).get(reverse("message_detail", args=[service.pk, archived.pk]))

    html = page.content.decode()
    assert "Tajny kod" not in html and NUMBER not in html
    assert "Archived" in html and "48******123" in html
    assert "only the first two and the last three digits are kept" in html
    assert "Delivered" in html  # the statuses stay


def test_the_message_page_in_polish_says_zarchiwizowano(service, archived):
    page = reader(service, "pl").get(reverse("message_detail", args=[service.pk, archived.pk]))

    assert "Zarchiwizowano" in page.content.decode()


def test_the_message_list_and_its_csv_say_archived(service, archived):
    client = reader(service)
    listing = client.get(reverse("message_list", args=[service.pk])).content.decode()
    assert "Tajny kod" not in listing and "Archived" in listing

    table = rows(client.get(reverse("message_list_csv", args=[service.pk])))
    text_column = table[0].index("Text")
    assert table[1][text_column] == "Archived"
    assert table[1][0] == str(archived.pk)

    polish = rows(
        reader(service, "pl").get(reverse("message_list_csv", args=[service.pk]) + "?format=excel"),
        delimiter=";",
    )
    assert polish[1][text_column] == "Zarchiwizowano"


def test_the_recipients_csv_holds_the_masked_number_and_the_status(service, archived):
    table = rows(
        reader(service).get(reverse("message_recipients_csv", args=[service.pk, archived.pk]))
    )

    assert table[1][1:3] == ["48******123", "DELIVERED"]
    assert NUMBER not in str(table)


def test_the_received_sms_page_and_csv_say_archived(service, archived):
    client = reader(service)
    html = client.get(reverse("incoming", args=[service.pk])).content.decode()
    assert "Odpowiedź" not in html and SENDER not in html
    assert "48******001" in html and "Archived" in html

    table = rows(client.get(reverse("incoming_csv", args=[service.pk])))
    assert table[1][1:] == ["48******001", "48500100200", "Archived"]


@pytest.mark.parametrize("query", [NUMBER, NUMBER[2:], "123", "Tajny"])
def test_searching_sent_messages_finds_nothing_by_what_was_archived(service, archived, query):
    found = reader(service).get(reverse("message_list", args=[service.pk]), {"q": query})

    assert f"/messages/{archived.pk}/" not in found.content.decode()


@pytest.mark.parametrize("query", [SENDER, "001", "48", "Odpowiedź"])
def test_searching_received_sms_finds_nothing_by_what_was_archived(service, archived, query):
    found = reader(service).get(reverse("incoming", args=[service.pk]), {"q": query})

    assert "48******001" not in found.content.decode()


def test_a_message_not_yet_archived_is_still_found_by_its_number(service, simulator):
    request = services.SendRequest(recipients=[NUMBER], text="Świeży")
    message = services.submit(service.pk, request).message
    dispatch.dispatch_batch()

    retention.run()
    found = reader(service).get(reverse("message_list", args=[service.pk]), {"q": NUMBER})

    assert f"/messages/{message.pk}/" in found.content.decode()
    assert "Świeży" in found.content.decode()
