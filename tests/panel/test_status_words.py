"""Recipient statuses in the reader's words on every page that shows one; the API name
only beside them, in a ``<code>``, for whoever reads the same status from the API."""

import re
from html.parser import HTMLParser

import pytest
from django.template import Context, Template
from django.test import Client
from django.utils import translation

from gateways import dispatch
from messaging import services
from messaging.models import Recipient, Status

pytestmark = pytest.mark.django_db

POLISH = {
    Status.PENDING: "Oczekuje",
    Status.QUEUED: "Wysłano do operatora",
    Status.DELIVERED: "Doręczono",
    Status.REJECTED: "Odrzucono",
    Status.CANCELLED: "Anulowano",
    Status.ON_HOLD: "Wstrzymano",
    Status.EXPIRED: "Wygasło",
    Status.REMOTE_ERROR: "Błąd operatora",
}
RAW = re.compile(r"\b(?:" + "|".join(s.value for s in Status) + r")\b")


class VisibleText(HTMLParser):
    """The text a reader sees: not inside <code>, <script>, <style> or <head>."""

    HIDDEN = {"code", "script", "style", "head", "template"}

    def __init__(self):
        super().__init__()
        self.hidden = 0
        self.parts = []

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.hidden += 1

    def handle_endtag(self, tag):
        if tag in self.HIDDEN:
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def visible(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join(parser.parts)


@pytest.fixture
def every_status(service, simulator):
    """A message with a recipient in each status."""
    message = services.submit(
        service.pk,
        services.SendRequest(recipients=[f"4860010{n:04d}" for n in range(8)], text="Hej"),
    ).message
    recipients = list(Recipient.objects.filter(message=message).order_by("id"))
    for recipient, status in zip(recipients, Status, strict=True):
        Recipient.objects.filter(pk=recipient.pk).update(status=status)
    return message


@pytest.mark.parametrize("language", ["pl", "en"])
def test_no_raw_status_name_outside_code_on_the_message_pages(service, every_status, language):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(service.customer.user)
    base = f"/services/{service.pk}/messages/"
    for url in (base, f"{base}?status=DELIVERED", f"{base}{every_status.pk}/"):
        html = client.get(url).content.decode()
        assert not RAW.findall(visible(html)), url
    detail = client.get(f"{base}{every_status.pk}/").content.decode()
    with translation.override(language):
        for status in Status:
            assert str(status.label) in visible(detail)
            assert f"<code>{status.value}</code>" in detail


def test_the_polish_words():
    with translation.override("pl"):
        assert {status: str(status.label) for status in Status} == POLISH


def test_the_filter_gives_the_words_and_the_api_name():
    with translation.override("pl"):
        rendered = Template("{% load panel_format %}{{ s|status }}|{{ s|status:'words' }}")
        html = rendered.render(Context({"s": "REMOTE_ERROR"}))
    assert html == (
        '<span class="status status-REMOTE_ERROR">Błąd operatora</span> '
        "<small><code>REMOTE_ERROR</code></small>|Błąd operatora"
    )


def test_a_real_send_reads_in_words(alice_client, service, simulator):
    message = services.submit(
        service.pk, services.SendRequest(recipients=["48600100123"], text="Hej")
    ).message
    dispatch.dispatch_batch()
    page = alice_client.get(f"/services/{service.pk}/messages/{message.pk}/").content.decode()
    assert "Delivered</span> <small><code>DELIVERED</code></small>" in page
