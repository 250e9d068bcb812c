"""The list of sent messages: each message's result (delivered, failed, waiting,
cancelled) and what came back to the balance, in the reader's words, and the list as
CSV and Excel (PL) with the filters it was shown with."""

import csv
import io
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from gateways import dispatch
from messaging import services
from panel import history

pytestmark = pytest.mark.django_db


def send(service, numbers, text="Hej", send_at=None):
    request = services.SendRequest(recipients=numbers, text=text, send_at=send_at)
    return services.submit(service.pk, request).message


@pytest.fixture
def sent(service, simulator):
    """Delivered and rejected (dispatched), cancelled before its time, still waiting."""
    mixed = send(service, ["48600100123", "48600100000"], "Promocja")
    dispatch.dispatch_batch()
    later = timezone.now() + timedelta(days=1)
    cancelled = send(service, ["48600100001", "48600100002", "48600100003"], "Jutro", later)
    services.cancel(service.pk, cancelled.pk)
    waiting = send(service, ["48600100004"], "Za chwilę")
    return {"mixed": mixed, "cancelled": cancelled, "waiting": waiting}


def reader(service, language="pl"):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(service.customer.user)
    return client


def test_each_message_has_its_outcome(service, sent):
    page = reader(service).get(f"/services/{service.pk}/messages/")
    outcomes = {message.pk: outcome for message, outcome in page.context["rows"]}
    mixed, cancelled, waiting = (outcomes[sent[k].pk] for k in ("mixed", "cancelled", "waiting"))
    assert (mixed.delivered, mixed.failed, mixed.waiting, mixed.cancelled) == (1, 1, 0, 0)
    assert mixed.refunded == sent["mixed"].recipient_price  # the rejected one
    assert (cancelled.cancelled, cancelled.waiting) == (3, 0)
    assert cancelled.refunded == sent["cancelled"].price
    assert (waiting.waiting, waiting.delivered, waiting.refunded) == (1, 0, 0)


def test_the_outcome_reads_in_polish_with_cancelled_and_refunded_marked(service, sent):
    html = reader(service).get(f"/services/{service.pk}/messages/").content.decode()
    assert "doręczono: 1" in html and "nieudane: 1" in html
    assert "anulowano: 3" in html and "oczekuje: 1" in html
    assert "zwrócono 0,2100 zł" in html  # three cancelled at 0.07
    assert "zwrócono 0,0700 zł" in html  # the rejected one
    row = html[html.index(f">{sent['cancelled'].pk}</a>") - 200 :]
    assert '<tr class="cancelled">' in row[:200]
    assert html.count('<tr class="cancelled">') == 1


def test_the_outcome_reads_in_english(service, sent):
    html = reader(service, "en").get(f"/services/{service.pk}/messages/").content.decode()
    assert "delivered: 1" in html and "cancelled: 3" in html
    assert "refunded 0.2100 PLN" in html


def test_outcomes_of_a_page_take_one_query(service, sent, django_assert_num_queries):
    messages = list(history.Message.objects.filter(service=service))
    with django_assert_num_queries(1):
        found = history.with_outcomes(messages)
    assert len(found) == 3


def rows(response, delimiter=","):
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:]), delimiter=delimiter))


def test_the_list_as_csv_with_each_outcome(service, sent):
    found = rows(reader(service, "en").get(f"/services/{service.pk}/messages.csv"))
    by_id = {int(row[0]): row for row in found[1:]}
    assert set(by_id) == {m.pk for m in sent.values()}
    mixed = by_id[sent["mixed"].pk]
    assert mixed[3:8] == ["HTTP API", "", "Promocja", "2", "1"]
    assert mixed[8:] == ["0.1400", "0.0700", "1", "1", "0", "0"]
    assert by_id[sent["cancelled"].pk][8:] == ["0.2100", "0.2100", "0", "0", "0", "3"]
    assert by_id[sent["waiting"].pk][10:] == ["0", "0", "1", "0"]


def test_the_list_as_csv_follows_the_filter_and_excel_has_decimal_commas(service, sent):
    url = f"/services/{service.pk}/messages.csv"
    found = rows(reader(service).get(url, {"q": "Jutro", "format": "excel"}), ";")
    assert [row[0] for row in found[1:]] == [str(sent["cancelled"].pk)]
    assert found[1][8:10] == ["0,2100", "0,2100"]


def test_the_list_links_its_exports_with_its_filter(service, sent):
    html = reader(service).get(f"/services/{service.pk}/messages/", {"q": "Jutro"}).content
    html = html.decode()
    assert f'href="/services/{service.pk}/messages.csv?q=Jutro"' in html
    assert f'href="/services/{service.pk}/messages.csv?q=Jutro&amp;format=excel"' in html
