"""The send form's "To a group": a personalised send to one of the customer's contact
groups, its counter (range, skipped, STOP list, exact price, the first texts), its
refusals in words, and that one customer never reaches another's group."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import ledger
from contacts.models import Contact, ContactFields, ContactGroup
from messaging import gsm7, stoplist
from messaging.models import Message, Recipient, StopVia
from tests.panel.test_send import BOUNDARIES

pytestmark = pytest.mark.django_db

TEMPLATE = "Cześć {imie}, zapraszamy do {pole1}!"


def url(service, tail=""):
    return f"/services/{service.pk}/send/{tail}"


def make_group(customer, name, people):
    """``people``: (number, first name, field1) each."""
    group = ContactGroup.objects.create(customer=customer, name=name)
    contacts = Contact.objects.bulk_create(
        [
            Contact(customer=customer, number=number, first_name=first, field1=city)
            for number, first, city in people
        ]
    )
    group.contacts.add(*contacts)
    return group


@pytest.fixture
def group(service):
    ContactFields.objects.create(customer=service.customer, name1="Miasto")
    return make_group(
        service.customer,
        "Stali klienci",
        [
            ("48600100001", "Jan", "Kraków"),
            ("48600100002", "Ala", ""),
            ("48600100003", "Łucja", "Łódź"),
        ],
    )


def post(client, service, **fields):
    return client.post(url(service), fields)


def estimate(client, service, **fields):
    return client.post(url(service, "estimate/"), fields).json()


def sent_texts(message):
    """Each recipient's text as it went out, by number."""
    return {
        r.number: r.text or message.text
        for r in Recipient.objects.filter(message=message).order_by("id")
    }


# -- the form ------------------------------------------------------------------------------


def test_the_form_lists_the_customers_groups_with_their_counts(
    alice_client, service, group, make_service
):
    other = make_service(username="bob")
    make_group(other.customer, "Cudza grupa", [("48600100009", "Obcy", "")])
    page = alice_client.get(url(service)).content.decode()
    assert f'<option value="{group.pk}">Stali klienci (3 contacts)</option>' in page
    assert "Cudza grupa" not in page
    assert "Skip contacts without a value for a field used in the text" in page


def test_the_fields_are_listed_by_the_customers_names_in_each_language(
    alice_client, service, group
):
    english = alice_client.get(url(service)).content.decode()
    assert 'data-insert="{first_name}"' in english and 'data-insert="{field1}"' in english
    assert re.search(r'data-insert="\{field1\}">\{field1\}</button> Miasto', english)
    polish = alice_client.get(url(service), headers={"accept-language": "pl"})
    polish = polish.content.decode()
    assert 'data-insert="{imie}"' in polish and 'data-insert="{pole1}"' in polish
    assert re.search(r'data-insert="\{pole1\}">\{pole1\}</button> Miasto', polish)
    assert 'data-insert="{nazwisko}"' in polish and "{first_name}" not in polish


def test_without_groups_the_form_points_to_the_import(alice_client, service):
    page = alice_client.get(url(service)).content.decode()
    assert 'id="group-send-none"' in page and "/contacts/import/" in page
    assert 'name="group"' not in page and 'id="text-fields"' not in page


# -- sending -------------------------------------------------------------------------------


def test_a_group_send_gives_each_contact_their_own_text(alice_client, service, group):
    before = ledger.ledger_balance(service.pk)
    response = post(alice_client, service, group=group.pk, text=TEMPLATE, token="t1")
    message = Message.objects.get(service=service)
    assert response.status_code == 302
    assert response.url == f"/services/{service.pk}/messages/{message.pk}/"
    assert message.personalised
    assert sent_texts(message) == {
        "48600100001": "Cześć Jan, zapraszamy do Kraków!",
        "48600100002": "Cześć Ala, zapraszamy do !",
        "48600100003": "Cześć Łucja, zapraszamy do Łódź!",
    }
    assert ledger.ledger_balance(service.pk) == before - message.price
    # The message's page shows the recipients' own texts.
    page = alice_client.get(response.url).content.decode()
    assert "Cześć Łucja, zapraszamy do Łódź!" in page and "Cześć Ala, zapraszamy do !" in page


def test_posted_twice_it_sends_once(alice_client, service, group):
    first = post(alice_client, service, group=group.pk, text=TEMPLATE, token="same")
    second = post(alice_client, service, group=group.pk, text=TEMPLATE, token="same")
    assert first.url == second.url
    assert Message.objects.filter(service=service).count() == 1


def test_the_charge_is_the_sum_of_each_recipients_price(alice_client, service):
    # Part boundaries: 160 GSM-7 characters are one part, 161 two; "Ł" makes UCS-2
    # (70 a part, 67 in a longer one): 160 characters are 3 parts.
    group = make_group(
        service.customer,
        "Granice",
        [
            ("48600100001", "Al", ""),  # 160: one part
            ("48600100002", "Ola", ""),  # 161: two parts
            ("48600100003", "Łu", ""),  # 160, UCS-2: three parts
        ],
    )
    template = "{imie}" + "x" * 158
    counted = estimate(alice_client, service, group=group.pk, text=template)
    assert (counted["parts_min"], counted["parts_max"]) == (1, 3)
    post(alice_client, service, group=group.pk, text=template, token="t2")
    message = Message.objects.get(service=service)
    by_number = {r.number: r for r in Recipient.objects.filter(message=message)}
    prices = {
        n: (r.price if r.price is not None else message.recipient_price)
        for n, r in by_number.items()
    }
    assert message.price == sum(prices.values())
    assert message.price == Decimal(counted["price"])
    parts = {n: (r.parts or message.parts) for n, r in by_number.items()}
    assert parts == {"48600100001": 1, "48600100002": 2, "48600100003": 3}


def test_skip_leaves_out_contacts_without_a_value(alice_client, service, group):
    counted = estimate(alice_client, service, group=group.pk, text=TEMPLATE, skip_missing="on")
    assert (counted["numbers"], counted["skipped"]) == (2, 1)
    assert "2 recipients from the group, 1 skipped" in counted["recipients_text"]
    post(alice_client, service, group=group.pk, text=TEMPLATE, skip_missing="on", token="t3")
    message = Message.objects.get(service=service)
    assert set(sent_texts(message)) == {"48600100001", "48600100003"}


# -- the counter ---------------------------------------------------------------------------


def test_the_counter_shows_the_range_recipients_price_and_first_texts(alice_client, service, group):
    stoplist.add(service.customer_id, ["48600100003"], StopVia.PANEL)
    counted = estimate(alice_client, service, group=group.pk, text=TEMPLATE)
    assert (counted["shortest"], counted["longest"]) == (26, 32)
    assert (counted["parts_min"], counted["parts_max"]) == (1, 1)
    assert counted["size_text"].startswith("26–32 characters · 1 part of at most")
    assert counted["recipients_text"] == "2 recipients from the group, 1 on the STOP list"
    assert counted["preview"][:2] == [
        "Cześć Jan, zapraszamy do Kraków!",
        "Cześć Ala, zapraszamy do !",
    ]
    assert counted["problem"] == ""
    # The exact sum, in the reader's money format.
    assert counted["price"] == "0.1400" and counted["price_shown"] == "0.1400 PLN"
    polish = alice_client.post(
        url(service, "estimate/"),
        {"group": group.pk, "text": TEMPLATE},
        headers={"accept-language": "pl"},
    ).json()
    assert polish["price_shown"] == "0,1400 zł"
    assert polish["size_text"].startswith("26–32 znaki · 1 część z najwyżej")


def test_the_preview_shows_the_first_five_texts(alice_client, service):
    people = [(f"4860010{i:04d}", f"Osoba{i}", "") for i in range(8)]
    group = make_group(service.customer, "Osiem", people)
    counted = estimate(alice_client, service, group=group.pk, text="Hej {imie}")
    assert counted["preview"] == [f"Hej Osoba{i}" for i in range(5)]
    assert counted["numbers"] == 8


def test_the_preview_without_javascript_is_escaped(alice_client, service):
    group = make_group(
        service.customer, "Html", [("48600100001", "<b>Jan</b><script>x()</script>", "")]
    )
    page = post(alice_client, service, group=group.pk, text="Hej {imie}", recount="1")
    html = page.content.decode()
    assert page.status_code == 200 and not Message.objects.exists()
    assert "Hej &lt;b&gt;Jan&lt;/b&gt;&lt;script&gt;x()&lt;/script&gt;" in html
    assert "<b>Jan</b>" not in html
    assert "1 recipient from the group" in html and "price 0.0700 PLN" in html


def test_recount_shows_the_counter_and_sends_nothing(alice_client, service, group):
    html = post(alice_client, service, group=group.pk, text=TEMPLATE, recount="1")
    html = html.content.decode()
    assert "26–32 characters" in html and "3 recipients from the group" in html
    assert "Cześć Łucja, zapraszamy do Łódź!" in html
    assert not Message.objects.exists()


def test_the_counter_and_the_send_cost_a_constant_number_of_queries(
    alice_client, service, make_service
):
    ledger.top_up(service.pk, Decimal("100"), note="test setup")

    def queries(n, name, prefix):
        people = [(f"{prefix}{i:06d}", f"Osoba{i}", "Miasto") for i in range(n)]
        group = make_group(service.customer, name, people)
        with CaptureQueriesContext(connection) as counted:
            estimate(alice_client, service, group=group.pk, text=TEMPLATE)
        with CaptureQueriesContext(connection) as sent:
            post(alice_client, service, group=group.pk, text=TEMPLATE, token=name)
        return [q["sql"] for q in counted], [q["sql"] for q in sent]

    def without_recipient_rows(statements):
        # SQLite's twin writes recipients in batches its variable limit allows (the
        # pipeline's own; PostgreSQL writes up to 500 in one statement).
        return [q for q in statements if not q.startswith('INSERT INTO "messaging_recipient"')]

    queries(1, "Rozgrzewka", "48603")  # the session and caches, read once
    (count5, send5), (count500, send500) = (
        queries(5, "Pięć", "48601"),
        queries(500, "Pięćset", "48602"),
    )
    assert len(count5) == len(count500)
    assert len(without_recipient_rows(send5)) == len(without_recipient_rows(send500))
    if connection.vendor == "postgresql":
        assert len(send5) == len(send500)
    assert Recipient.objects.count() == 1 + 5 + 500


# -- refusals ------------------------------------------------------------------------------


def refused(client, service, **fields):
    html = post(client, service, **fields).content.decode()
    assert not Message.objects.exists()
    return html


def test_a_text_too_long_names_the_contacts_number(alice_client, service):
    group = make_group(
        service.customer, "Długie", [("48600100001", "Jan", ""), ("48600100002", "x" * 100, "")]
    )
    text = "{imie}" + "a" * 850  # 853 fit six parts; 950 do not
    html = refused(alice_client, service, group=group.pk, text=text)
    assert "The text to 48600100002 takes 7 parts and this sender sends at most 6" in html
    counted = estimate(alice_client, service, group=group.pk, text=text)
    assert "48600100002" in counted["problem"] and counted["problem_field"] == "text"


def test_an_empty_group_is_refused_in_words(alice_client, service):
    group = make_group(service.customer, "Pusta", [])
    html = refused(alice_client, service, group=group.pk, text="Hej")
    assert "The group “Pusta” has no contacts" in html.replace("&ldquo;", "“").replace(
        "&rdquo;", "”"
    )


def test_every_contact_skipped_is_refused_in_words(alice_client, service, group):
    html = refused(alice_client, service, group=group.pk, text="{pole2}", skip_missing="on")
    assert "Every contact of the group lacks a value for a field the text uses" in html


def test_an_empty_text_for_a_contact_names_the_number(alice_client, service, group):
    html = refused(alice_client, service, group=group.pk, text="{pole1}")
    assert "The text to 48600100002 is empty" in html


def test_no_text_at_all_asks_for_one(alice_client, service, group):
    html = refused(alice_client, service, group=group.pk, text="  ")
    assert "Type the text of the message." in html and "is empty" not in html


def test_every_contact_on_the_stop_list_is_refused_in_words(alice_client, service, group):
    stoplist.add(service.customer_id, ["48600100001", "48600100002", "48600100003"], "panel")
    html = refused(alice_client, service, group=group.pk, text=TEMPLATE)
    assert "Every contact of the group is on the STOP list" in html


def test_insufficient_funds_names_the_exact_price(make_service, client):
    poor = make_service(username="poor", balance=Decimal("0.10"))
    group = make_group(poor.customer, "Trzy", [(f"4860010000{i}", "Jan", "") for i in range(3)])
    client.force_login(poor.customer.user)
    html = refused(client, poor, group=group.pk, text="Hej {imie}")
    assert "This message costs 0.2100 PLN and the service has 0.10 PLN available" in html


def test_a_group_and_typed_numbers_at_once_are_refused(alice_client, service, group):
    html = refused(alice_client, service, group=group.pk, recipients="501234567", text="Hej")
    assert "Send either to a group or to the numbers typed, not both" in html
    counted = estimate(alice_client, service, group=group.pk, recipients="501234567", text="H")
    assert counted["problem_field"] == "group" and "not both" in counted["problem"]


# -- isolation -----------------------------------------------------------------------------


def test_another_customers_group_is_a_form_error(alice_client, service, group, make_service):
    other = make_service(username="bob", balance=Decimal("10"))
    theirs = make_group(other.customer, "Cudza", [("48600100009", "Obcy", "Sekret")])
    html = refused(alice_client, service, group=theirs.pk, text=TEMPLATE)
    assert "Select a valid choice" in html
    counted = estimate(alice_client, service, group=theirs.pk, text=TEMPLATE)
    assert counted["numbers"] == 0 and counted["preview"] == []
    assert "Obcy" not in str(counted) and "Sekret" not in str(counted)
    assert not Recipient.objects.filter(number="48600100009").exists()


# -- the counter agrees with the charge, on the part boundaries -----------------------------


# Those whose longer text still fits the six parts the standard route takes.
FITTING = [t for t in BOUNDARIES if gsm7.count_parts(t + "y").parts <= 6]


@pytest.mark.parametrize("text", FITTING, ids=lambda t: f"{t[0]}x{len(t)}")
def test_the_group_counter_agrees_with_the_message_sent(alice_client, service, text):
    # Two contacts: one gets the boundary text itself, the other one character more
    # (the next part, or the next encoding, for some).
    ledger.top_up(service.pk, Decimal("100"), note="test")
    group = make_group(
        service.customer, "Granica", [("48600100001", "", ""), ("48600100002", "y", "")]
    )
    template = "{imie}" + text
    counted = estimate(alice_client, service, group=group.pk, text=template)
    post(alice_client, service, group=group.pk, text=template, token="agree")
    message = Message.objects.get()
    recipients = list(Recipient.objects.filter(message=message))
    parts = [r.parts or message.parts for r in recipients]
    prices = [message.recipient_price if r.price is None else r.price for r in recipients]
    assert (counted["parts_min"], counted["parts_max"]) == (min(parts), max(parts))
    assert (counted["shortest"], counted["longest"]) == (len(text), len(text) + 1)
    assert Decimal(counted["price"]) == message.price == sum(prices)
    assert counted["numbers"] == message.recipient_count == 2
    service.refresh_from_db()
    assert Decimal(counted["balance_after"]) == service.balance
