"""Wyślij SMS: the form, its refusals in words, the counter against what is charged,
double posts, scheduling and cancelling from the message page."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts import ledger
from accounts.models import LedgerEntry, LedgerKind, SenderId, SenderStatus, ServiceState
from messaging import services
from messaging.models import ContentRule, Message, RuleKind, Source, Status
from tests.messaging.test_gsm7 import GSM_TABLE, UCS_TABLE
from tests.messaging.test_usable_senders import senders_of_every_kind

pytestmark = pytest.mark.django_db


def url(service, tail=""):
    return f"/services/{service.pk}/send/{tail}"


def post(client, service, **fields):
    fields.setdefault("token", "t-" + str(len(fields)) + str(timezone.now().timestamp()))
    return client.post(url(service), fields)


def errors_of(response) -> str:
    return " ".join(str(e) for errs in response.context["form"].errors.values() for e in errs)


# -- the page ---------------------------------------------------------------------------------


def test_the_tab_is_linked_from_the_service_in_polish(alice_client, service):
    page = alice_client.get(f"/services/{service.pk}/", HTTP_ACCEPT_LANGUAGE="pl")
    assert url(service) in page.content.decode()
    form = alice_client.get(url(service), HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    for label in ("Wyślij SMS", "Odbiorcy", "Treść"):
        assert label in form, label
    assert 'data-parts="0"' in form and 'aria-live="polite"' in form


def test_english_labels(alice_client, service):
    form = alice_client.get(url(service)).content.decode()
    for label in ("Send SMS", "Recipients", "Text", "Flash SMS", "Express", "Remove Polish"):
        assert label in form, label


def test_the_sender_list_holds_only_allowed_and_confirmed_senders(alice_client, service):
    SenderId.objects.create(service=service, name="Shop", status=SenderStatus.ALLOWED)
    SenderId.objects.create(service=service, name="Waiting", status=SenderStatus.PENDING)
    SenderId.objects.create(service=service, name="48501234567", status=SenderStatus.ALLOWED)
    SenderId.objects.create(
        service=service,
        name="48501234568",
        status=SenderStatus.ALLOWED,
        confirmed_at=timezone.now(),
    )
    choices = [
        value
        for value, _ in alice_client.get(url(service)).context["form"].fields["sender"].choices
    ]
    assert choices == ["", "48501234568", "Shop"]  # by name


def test_the_sender_list_offers_exactly_what_submit_accepts(alice_client, service, make_service):
    ledger.top_up(service.pk, Decimal("100"), note="test")
    names = senders_of_every_kind(service, make_service())
    offered = {
        value
        for value, _ in alice_client.get(url(service)).context["form"].fields["sender"].choices
    }
    accepted = set()
    for name in ["", *names]:
        request = services.SendRequest(recipients=["501234567"], text="x", sender=name)
        try:
            services.submit(service.pk, request)
        except (services.SenderNotRegistered, services.SenderNotVerified):
            continue
        accepted.add(name)

    assert offered == accepted == {"", "48501234568", "Shop", "biuro"}


def test_another_customers_service_is_not_found(alice_client, make_service):
    other = make_service(username="bob", balance=Decimal("10"))
    assert alice_client.get(url(other)).status_code == 404
    assert post(alice_client, other, recipients="501234567", text="x").status_code == 404
    assert alice_client.post(url(other, "estimate/"), {"text": "x"}).status_code == 404
    message = Message.objects.create(
        service=other,
        source=Source.API,
        text="x",
        encoding="GSM-7",
        parts=1,
        route="standard",
        send_at=timezone.now(),
        recipient_count=0,
        recipient_price=0,
        price=0,
    )
    cancel = alice_client.post(f"/services/{other.pk}/messages/{message.pk}/cancel/")
    assert cancel.status_code == 404
    assert (
        alice_client.post(
            f"/services/{service_id_of(alice_client)}/messages/{message.pk}/cancel/"
        ).status_code
        == 404
    )


def service_id_of(client):
    from accounts.models import Service

    return Service.objects.get(customer__user__username="alice").pk


def test_signed_out_visitors_are_sent_to_log_in(client, service):
    response = client.get(url(service))
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert client.post(url(service, "estimate/"), {"text": "x"}).status_code == 302


def test_the_form_needs_its_csrf_token(service):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    strict.force_login(service.customer.user)
    response = strict.post(url(service), {"recipients": "501234567", "text": "Hi"})
    assert response.status_code == 403
    assert not Message.objects.exists()


# -- sending ----------------------------------------------------------------------------------


def test_a_send_goes_through_the_pipeline_and_shows_the_message(alice_client, service):
    response = post(
        alice_client,
        service,
        recipients="501 234 567, +48 501 234 568\n0501234569",
        text="Dzień dobry",
    )
    message = Message.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/services/{service.pk}/messages/{message.pk}/"
    assert message.source == Source.PANEL
    assert sorted(message.recipients.values_list("number", flat=True)) == [
        "48501234567",
        "48501234568",
        "48501234569",
    ]
    assert LedgerEntry.objects.filter(kind=LedgerKind.CHARGE, amount=-message.price).exists()
    page = alice_client.get(response["Location"]).content.decode()
    assert "Message accepted." in page and "Dzień dobry" in page


def test_the_same_form_posted_twice_sends_once(alice_client, service):
    fields = {"recipients": "501234567", "text": "Once", "token": "abc123"}
    first = alice_client.post(url(service), fields)
    second = alice_client.post(url(service), fields)
    assert Message.objects.count() == 1
    assert first["Location"] == second["Location"]
    service.refresh_from_db()
    assert service.balance == Decimal("10.00") - Message.objects.get().price


def test_a_file_of_numbers(alice_client, service):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("numbers.txt", b"501234567\r\n48 501-234-568\r\nnot a number\r\n")
    response = alice_client.post(
        url(service), {"recipients_file": upload, "text": "From a file", "token": "f1"}
    )
    assert response.status_code == 302
    assert Message.objects.get().recipient_count == 2


def test_flash_express_and_polish_characters_removed(alice_client, service):
    post(
        alice_client,
        service,
        recipients="501234567",
        text="Zażółć gęślą",
        flash="on",
        express="on",
        remove_special="on",
    )
    message = Message.objects.get()
    assert (message.text, message.flash, message.express) == ("Zazolc gesla", True, True)
    assert message.recipient_price == Decimal("0.1050")  # 1.5 × 0.07


def test_a_scheduled_send_in_warsaw_time_and_its_cancel_with_refund(alice_client, service):
    tomorrow = (timezone.localtime() + timedelta(days=1)).date()
    post(
        alice_client,
        service,
        recipients="501234567,501234568",
        text="Later",
        send_date=tomorrow.isoformat(),
        send_time="09:30",
    )
    message = Message.objects.get()
    local = timezone.localtime(message.send_at)
    assert (local.date(), local.hour, local.minute) == (tomorrow, 9, 30)
    assert str(local.tzinfo) == "Europe/Warsaw"
    page = alice_client.get(f"/services/{service.pk}/messages/{message.pk}/").content.decode()
    assert "Cancel what has not been sent" in page
    response = alice_client.post(
        f"/services/{service.pk}/messages/{message.pk}/cancel/", {"confirm": "yes"}, follow=True
    )
    assert "2 recipients cancelled; 0.14 PLN returned" in response.content.decode()
    assert set(message.recipients.values_list("status", flat=True)) == {Status.CANCELLED}
    service.refresh_from_db()
    assert service.balance == Decimal("10.00")


# -- refusals, each in words on its field ---------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"recipients": "12345", "text": "x"}, "recipients", "at least one valid Polish mobile"),
        ({"recipients": "", "text": "x"}, "recipients", "at least one valid Polish mobile"),
        ({"recipients": "501234567", "text": "  "}, "text", "Type the text"),
        (
            {"recipients": "501234567", "text": "x" * (GSM_TABLE[5] + 1)},
            "text",
            "takes 7 parts and this sender sends at most 6",
        ),
        (
            {"recipients": "501234567", "text": "x", "sender": "Nope"},
            "sender",
            "Select a valid choice",
        ),
        (
            {"recipients": "501234567", "text": "x", "send_time": "10:00"},
            "send_date",
            "Give the date as well",
        ),
    ],
)
def test_refusals_say_what_to_fix(alice_client, service, fields, field, words):
    response = post(alice_client, service, **fields)
    assert response.status_code == 200
    assert words in " ".join(response.context["form"].errors[field])
    assert not Message.objects.exists()


def test_too_far_ahead(alice_client, service):
    later = (timezone.localtime() + timedelta(days=100)).date()
    response = post(
        alice_client,
        service,
        recipients="501234567",
        text="x",
        send_date=later.isoformat(),
        send_time="10:00",
    )
    assert "at most 3 months ahead" in " ".join(response.context["form"].errors["send_date"])


def test_not_enough_money_names_the_price_and_what_is_available(alice_client, service):
    ledger.adjust(service.pk, Decimal("-9.95"), note="test")
    response = post(alice_client, service, recipients="501234567", text="x")
    assert "costs 0.07 PLN and the service has 0.05 PLN available" in errors_of(response)
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    ("state", "words"),
    [
        (ServiceState.NOT_ACTIVATED, "not activated yet"),
        (ServiceState.BLOCKED_BY_CUSTOMER, "unblock it"),
        (ServiceState.BLOCKED_BY_STAFF, "contact us"),
    ],
)
def test_a_service_that_may_not_send_says_what_to_do(alice_client, service, state, words):
    type(service).objects.filter(pk=service.pk).update(state=state)
    assert words in errors_of(post(alice_client, service, recipients="501234567", text="x"))


def test_a_content_warning_offers_send_anyway_and_then_sends(alice_client, service):
    ContentRule.objects.create(kind=RuleKind.WORD, pattern="wygrałeś", enabled=True)
    refused = post(alice_client, service, recipients="501234567", text="Wygrałeś nagrodę")
    assert "Operators may block this text" in errors_of(refused)
    assert 'name="force"' in refused.content.decode()
    assert 'name="force"' not in alice_client.get(url(service)).content.decode()
    post(alice_client, service, recipients="501234567", text="Wygrałeś nagrodę", force="on")
    assert Message.objects.get().forced


# -- the counter agrees with what is charged ---------------------------------------------------


BOUNDARIES = [
    *(("x" * n) for n in GSM_TABLE),
    *(("x" * (n + 1)) for n in GSM_TABLE[:5]),
    *(("ż" * n) for n in UCS_TABLE),
    *(("ż" * (n + 1)) for n in UCS_TABLE[:5]),
    "€" * 80,
    "€" * 80 + "a",
    "a" * 160 + "ą",
]


@pytest.mark.parametrize("text", BOUNDARIES, ids=lambda t: f"{t[0]}x{len(t)}")
def test_the_counter_agrees_with_the_message_sent(alice_client, service, text):
    ledger.top_up(service.pk, Decimal("100"), note="test")
    counted = alice_client.post(
        url(service, "estimate/"), {"recipients": "501234567 501234568", "text": text}
    ).json()
    post(alice_client, service, recipients="501234567 501234568", text=text)
    message = Message.objects.get()
    assert (counted["parts"], counted["encoding"]) == (message.parts, message.encoding)
    assert Decimal(counted["price"]) == message.price
    assert counted["numbers"] == message.recipient_count == 2
    service.refresh_from_db()
    assert Decimal(counted["balance_after"]) == service.balance


def test_the_counter_names_the_character_that_forced_ucs2_and_dropped_numbers(
    alice_client, service
):
    counted = alice_client.post(
        url(service, "estimate/"),
        {"recipients": "501234567, 123, 48501234567", "text": "Dzień", "express": "on"},
    ).json()
    assert counted["ucs2_because"] == "ń"
    assert (counted["numbers"], counted["dropped"]) == (1, 1)
    assert counted["express"] is True
    assert counted["price"] == "0.1050"
    assert counted["max_parts"] == 6


def test_the_counter_says_what_would_be_refused(alice_client, service):
    counted = alice_client.post(url(service, "estimate/"), {"text": "Hi"}).json()
    assert "valid Polish mobile number" in counted["problem"]
    assert not Message.objects.exists()


def test_the_page_without_javascript_shows_the_counter_after_a_refusal(alice_client, service):
    response = post(alice_client, service, recipients="12", text="a" * 161)
    assert re.search(r'data-parts="2"', response.content.decode())


def test_an_accepted_send_is_not_counted_first(alice_client, service, monkeypatch):
    def no_estimate(*args):
        raise AssertionError("estimate() before submit")

    monkeypatch.setattr(services, "estimate", no_estimate)
    post(alice_client, service, recipients="501234567", text="x")
    assert Message.objects.exists()


def test_too_many_recipients(alice_client, service, settings):
    settings.MAX_RECIPIENTS_PER_MESSAGE = 2
    response = post(alice_client, service, recipients="501234567 501234568 501234569", text="x")
    assert "At most 2 recipients in one message" in " ".join(
        response.context["form"].errors["recipients"]
    )
    assert not Message.objects.exists()


def test_a_file_too_large(alice_client, service, monkeypatch):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from panel import sending

    monkeypatch.setattr(sending, "MAX_FILE_BYTES", 10)
    upload = SimpleUploadedFile("numbers.txt", b"501234567\n501234568\n")
    response = alice_client.post(url(service), {"recipients_file": upload, "text": "x"})
    assert "split it into smaller ones" in " ".join(
        response.context["form"].errors["recipients_file"]
    )
