"""The send form's counter as the customer reads it: neutral until something is
typed, the entries left out named with why, every count in correct plural forms."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def url(service, tail=""):
    return f"/services/{service.pk}/send/{tail}"


def estimate(client, service, **fields):
    return client.post(url(service, "estimate/"), fields).json()


def test_the_empty_form_opens_without_an_error(alice_client, service):
    html = alice_client.get(url(service)).content.decode()
    assert 'role="alert"' not in html
    assert "The counter shows parts and price as you type." in html


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"text": "Hi"}, "recipients"),
        ({"recipients": "501234567"}, "text"),
        ({"recipients": "501234567", "text": "Hi", "send_date": "2099-01-01"}, "send_date"),
    ],
)
def test_a_problem_names_its_field_so_the_counter_waits_for_it(
    alice_client, service, fields, field
):
    counted = estimate(alice_client, service, **fields)
    assert counted["problem"]
    assert counted["problem_field"] == field


def test_a_problem_of_no_field_is_named_at_once(alice_client, service):
    service.block_by_customer()
    counted = estimate(alice_client, service, recipients="501234567", text="Hi")
    assert "unblock it" in counted["problem"]
    assert counted["problem_field"] == ""


def numbers(n: int) -> str:
    return " ".join(f"50123{i:04d}" for i in range(n))


@pytest.mark.parametrize(
    ("n", "polish"),
    [
        (0, "0 poprawnych numerów"),
        (1, "1 poprawny numer"),
        (2, "2 poprawne numery"),
        (5, "5 poprawnych numerów"),
        (12, "12 poprawnych numerów"),
        (22, "22 poprawne numery"),
    ],
)
def test_valid_recipients_in_polish_plural_forms(service, n, polish):
    client = Client(HTTP_ACCEPT_LANGUAGE="pl")
    client.force_login(service.customer.user)
    counted = estimate(client, service, recipients=numbers(n), text="x")
    assert counted["recipients_text"] == polish


@pytest.mark.parametrize(("n", "english"), [(1, "1 valid recipient"), (2, "2 valid recipients")])
def test_valid_recipients_in_english_plural_forms(alice_client, service, n, english):
    counted = estimate(alice_client, service, recipients=numbers(n), text="x")
    assert counted["recipients_text"] == english


@pytest.mark.parametrize(
    ("dropped", "polish", "english"),
    [
        (1, "1 pominięty", "1 dropped"),
        (2, "2 pominięte", "2 dropped"),
        (5, "5 pominiętych", "5 dropped"),
        (22, "22 pominięte", "22 dropped"),
    ],
)
def test_dropped_entries_in_plural_forms(alice_client, service, dropped, polish, english):
    typed = "501234567 " + " ".join(["12"] * dropped)
    assert estimate(alice_client, service, recipients=typed, text="x")["recipients_text"] == (
        f"1 valid recipient, {english}"
    )
    polish_client = Client(HTTP_ACCEPT_LANGUAGE="pl")
    polish_client.force_login(service.customer.user)
    counted = estimate(polish_client, service, recipients=typed, text="x")
    assert counted["recipients_text"] == f"1 poprawny numer, {polish}"


@pytest.mark.parametrize(
    ("text", "polish", "english"),
    [
        ("a", "1 znak · GSM-7 · 1 część z najwyżej 6", "1 character · GSM-7 · 1 part of at most 6"),
        (
            "a" * 161,
            "161 znaków · GSM-7 · 2 części z najwyżej 6",
            "161 characters · GSM-7 · 2 parts of at most 6",
        ),
        (
            "ż" * 2,
            "2 znaki · UCS-2 · 1 część z najwyżej 6",
            "2 characters · UCS-2 · 1 part of at most 6",
        ),
    ],
)
def test_the_size_in_plural_forms(alice_client, service, text, polish, english):
    assert (
        estimate(alice_client, service, recipients="501234567", text=text)["size_text"] == english
    )
    polish_client = Client(HTTP_ACCEPT_LANGUAGE="pl")
    polish_client.force_login(service.customer.user)
    counted = estimate(polish_client, service, recipients="501234567", text=text)
    assert counted["size_text"] == polish


def test_the_page_without_javascript_counts_in_the_same_words(alice_client, service):
    service.block_by_customer()  # refused, so the page shows the counter as it stood
    refused = alice_client.post(url(service), {"recipients": "501234567, 12", "text": "Hi"})
    html = refused.content.decode()
    assert "2 characters · GSM-7 · 1 part of at most 6" in html
    assert "1 valid recipient, 1 dropped" in html


# -- the entries left out, named with why -------------------------------------------------


def test_the_entries_left_out_are_listed_with_why(alice_client, service):
    counted = estimate(
        alice_client, service, recipients="501234567, 123, +48 501-234-567; 222333444", text="x"
    )
    assert counted["recipients_text"] == "1 valid recipient, 3 dropped"
    assert counted["dropped_entries"] == [
        {"entry": "123", "why": "not a Polish mobile number"},
        {"entry": "+48 501-234-567", "why": "duplicate (sent once)"},
        {"entry": "222333444", "why": "not a Polish mobile number"},
    ]
    assert counted["dropped_more"] == ""
    # The API's field keeps counting only what is not a number, as the send does.
    assert counted["dropped"] == 2


def test_the_reasons_in_polish(service):
    client = Client(HTTP_ACCEPT_LANGUAGE="pl")
    client.force_login(service.customer.user)
    counted = estimate(client, service, recipients="501234567 501234567 12", text="x")
    assert [d["why"] for d in counted["dropped_entries"]] == [
        "powtórzony (wyślemy raz)",
        "to nie polski numer komórkowy",
    ]


@pytest.mark.parametrize(("left_out", "more"), [(20, ""), (21, "and 1 more"), (25, "and 5 more")])
def test_at_most_twenty_are_listed_and_the_rest_counted(alice_client, service, left_out, more):
    typed = " ".join(f"1{i:03d}" for i in range(left_out))
    counted = estimate(alice_client, service, recipients=typed, text="x")
    assert [d["entry"] for d in counted["dropped_entries"]] == [f"1{i:03d}" for i in range(20)]
    assert counted["dropped_more"] == more
    assert counted["recipients_text"] == f"0 valid recipients, {left_out} dropped"


@pytest.mark.parametrize(
    ("more", "polish"), [(1, "i 1 kolejny"), (2, "i 2 kolejne"), (5, "i 5 kolejnych")]
)
def test_and_more_in_polish(service, more, polish):
    client = Client(HTTP_ACCEPT_LANGUAGE="pl")
    client.force_login(service.customer.user)
    typed = " ".join(f"1{i:03d}" for i in range(20 + more))
    assert estimate(client, service, recipients=typed, text="x")["dropped_more"] == polish


def test_a_long_entry_is_cut_short(alice_client, service):
    counted = estimate(alice_client, service, recipients="9" * 200, text="x")
    assert len(counted["dropped_entries"][0]["entry"]) == 40


def test_the_page_without_javascript_lists_the_entries_left_out(alice_client, service):
    service.block_by_customer()
    refused = alice_client.post(url(service), {"recipients": "501234567 <b>x</b>", "text": "Hi"})
    html = refused.content.decode()
    assert "<li><code>&lt;b&gt;x&lt;/b&gt;</code> — not a Polish mobile number</li>" in html
    assert 'id="dropped" class="dropped" hidden' not in html


def test_nothing_left_out_nothing_listed(alice_client, service):
    html = alice_client.get(url(service)).content.decode()
    assert 'id="dropped" class="dropped" hidden' in html


def test_an_accepted_send_does_not_name_what_it_left_out(alice_client, service, monkeypatch):
    from messaging import numbers
    from messaging.models import Message

    def not_on_the_send(*args, **kwargs):
        raise AssertionError("dropped_entries() on an accepted send")

    monkeypatch.setattr(numbers, "dropped_entries", not_on_the_send)
    alice_client.post(url(service), {"recipients": "501234567, 12", "text": "x", "token": "t"})
    assert Message.objects.exists()
