import re
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import (
    SENDER_OPERATORS,
    LedgerEntry,
    LedgerKind,
    OperatorStatus,
    SenderId,
    SenderOperatorStatus,
    SenderStatus,
)
from messaging.models import Message

pytestmark = pytest.mark.django_db


def test_new_sender_name_waits_for_moderation(alice_client, service):
    response = alice_client.post(
        reverse("sender_ids", args=[service.pk]), {"name": "MyShop", "comment": "orders"}
    )
    assert response.status_code == 302
    sender = service.sender_ids.get()
    assert sender.name == "MyShop"
    assert sender.status == SenderStatus.PENDING
    assert {getattr(sender, op) for op in SENDER_OPERATORS} == {OperatorStatus.AWAITING}


@pytest.mark.parametrize("bad", ["TwelveChars12", "Zażółć", "", "+48 601"])
def test_invalid_sender_name_is_refused(alice_client, service, bad):
    response = alice_client.post(reverse("sender_ids", args=[service.pk]), {"name": bad})
    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert not service.sender_ids.exists()


def test_phone_number_sender_and_duplicates(alice_client, service):
    url = reverse("sender_ids", args=[service.pk])
    alice_client.post(url, {"name": "48601234567"})
    response = alice_client.post(url, {"name": "48601234567"})
    assert response.status_code == 200
    assert service.sender_ids.count() == 1
    assert service.sender_ids.get().name == "48601234567"


# -- a phone number confirmed by the code sent to it ----------------------------------------


def code_sent_to(number: str) -> str:
    from gateways import dispatch
    from gateways.models import SimulatedSms

    dispatch.dispatch_batch()
    text = SimulatedSms.objects.filter(number=number).latest("sent_at").text
    return re.search(r"\b(\d{6})$", text).group(1)


def add_number(alice_client, service, number="48601234567"):
    alice_client.post(reverse("sender_ids", args=[service.pk]), {"name": number})
    return service.sender_ids.get(name=number)


def test_a_number_is_confirmed_with_the_code_sent_to_it(alice_client, service, simulator):
    sender = add_number(alice_client, service)
    page = alice_client.get(reverse("sender_ids", args=[service.pk])).content.decode()
    assert "Send the code" in page
    response = alice_client.post(
        reverse("sender_send_code", args=[service.pk, sender.pk]), follow=True
    )
    assert "Code sent by SMS to 48601234567" in response.content.decode()
    code = code_sent_to("48601234567")
    charge = LedgerEntry.objects.filter(service=service, kind=LedgerKind.CHARGE).get()
    assert charge.amount == Decimal("-0.07")  # charged like any SMS
    response = alice_client.post(
        reverse("sender_confirm", args=[service.pk, sender.pk]), {"code": code}, follow=True
    )
    assert "48601234567 is confirmed." in response.content.decode()
    sender.refresh_from_db()
    assert sender.confirmed_at is not None


def test_a_wrong_code_is_refused_and_tries_run_out(alice_client, service, simulator):
    sender = add_number(alice_client, service)
    alice_client.post(reverse("sender_send_code", args=[service.pk, sender.pk]))
    code = code_sent_to("48601234567")
    wrong = "000000" if code != "000000" else "111111"
    confirm = reverse("sender_confirm", args=[service.pk, sender.pk])
    first = alice_client.post(confirm, {"code": wrong}, follow=True).content.decode()
    assert "That is not the code" in first and "4 tries left" in first
    for _ in range(4):
        alice_client.post(confirm, {"code": wrong})
    last = alice_client.post(confirm, {"code": code}, follow=True).content.decode()
    assert "5 wrong codes" in last
    sender.refresh_from_db()
    assert sender.confirmed_at is None


def test_one_code_per_eight_hours(alice_client, service, simulator):
    sender = add_number(alice_client, service)
    url = reverse("sender_send_code", args=[service.pk, sender.pk])
    alice_client.post(url)
    again = alice_client.post(url, follow=True).content.decode()
    assert "less than 8 hours ago" in again
    assert Message.objects.filter(service=service).count() == 1


def test_a_code_that_cannot_be_paid_is_not_kept(alice_client, make_service, simulator):
    poor = make_service(username="poor")
    alice_client.force_login(poor.customer.user)
    sender = add_number(alice_client, poor)
    url = reverse("sender_send_code", args=[poor.pk, sender.pk])
    refused = alice_client.post(url, follow=True).content.decode()
    assert "The code could not be sent" in refused and "top up" in refused
    sender.refresh_from_db()
    assert sender.code_sent_at is None  # may be asked for again at once


def test_a_name_has_no_code(alice_client, service):
    alice_client.post(reverse("sender_ids", args=[service.pk]), {"name": "MyShop"})
    sender = service.sender_ids.get()
    response = alice_client.post(
        reverse("sender_send_code", args=[service.pk, sender.pk]), follow=True
    )
    assert "Only a Polish mobile number" in response.content.decode()


def operator_cells(page: str) -> list[list[str]]:
    """Each row's operator cell, as the text of its lines."""
    cells = re.findall(r'<td class="operators">(.*?)</td>', page, re.S)
    return [[re.sub(r"<[^>]+>", "", line) for line in cell.split("<br>")] for cell in cells]


def test_the_configured_operators_statuses_are_shown_in_words(alice_client, service):
    alice_client.post(reverse("sender_ids", args=[service.pk]), {"name": "MyShop"})
    shop = service.sender_ids.get()
    SenderOperatorStatus.objects.create(sender=shop, operator="play", status=2)
    SenderOperatorStatus.objects.create(sender=shop, operator="t-mobile", status=3)
    service.sender_ids.update(mts=2, ua_int=3)  # seed 004's: SMSC's wire only
    url = reverse("sender_ids", args=[service.pk])

    polish = alice_client.get(url, HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    english = alice_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert operator_cells(polish) == [
        ["Orange: oczekuje", "Play: przyjęta", "Plus: oczekuje", "T-Mobile: odrzucona"]
    ]
    assert "<th>Rejestracja u operatorów</th>" in polish
    assert '<span title="zaakceptowana przez operatora">przyjęta</span>' in polish
    assert operator_cells(english)[0][1] == "Play: accepted"
    assert '<span title="accepted by the operator">accepted</span>' in english
    for page in (polish, english):
        for column in SENDER_OPERATORS:
            assert not re.search(rf"\b{column}\b", page), column


def test_another_markets_operators_are_shown_when_configured(alice_client, service, settings):
    settings.SENDER_NAME_OPERATORS = {"a1": "A1", "magenta": "Magenta"}
    alice_client.post(reverse("sender_ids", args=[service.pk]), {"name": "MyShop"})
    page = alice_client.get(
        reverse("sender_ids", args=[service.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    assert operator_cells(page) == [["A1: awaiting", "Magenta: awaiting"]]


def test_no_operator_column_when_none_is_configured(alice_client, service, settings):
    settings.SENDER_NAME_OPERATORS = {}
    alice_client.post(reverse("sender_ids", args=[service.pk]), {"name": "MyShop"})
    page = alice_client.get(
        reverse("sender_ids", args=[service.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    assert "MyShop" in page
    assert operator_cells(page) == [] and "Operator registration" not in page


def test_another_customers_sender_is_not_found(alice_client, service, make_service):
    other = make_service(username="bob")
    theirs = SenderId.objects.create(service=other, name="48601234567")
    for name in ("sender_send_code", "sender_confirm", "sender_delete"):
        assert alice_client.post(reverse(name, args=[service.pk, theirs.pk])).status_code == 404
        assert alice_client.post(reverse(name, args=[other.pk, theirs.pk])).status_code == 404
    assert SenderId.objects.filter(pk=theirs.pk).exists()


def test_remove_a_sender_name(alice_client, service):
    alice_client.post(reverse("sender_ids", args=[service.pk]), {"name": "MyShop"})
    sender = service.sender_ids.get()
    alice_client.post(reverse("sender_delete", args=[service.pk, sender.pk]), {"confirm": "yes"})
    assert not service.sender_ids.exists()


def test_the_code_sms_is_never_shown_to_the_customer(alice_client, service, simulator):
    from messaging.models import Source

    sender = add_number(alice_client, service)
    alice_client.post(reverse("sender_send_code", args=[service.pk, sender.pk]))
    code = code_sent_to("48601234567")
    message = Message.objects.get(service=service)
    assert message.source == Source.CODE and code in message.text  # staff see it in admin
    listing = alice_client.get(f"/services/{service.pk}/messages/").content.decode()
    assert code not in listing and "Kod potwierdzenia" not in listing
    page = alice_client.get(f"/services/{service.pk}/messages/{message.pk}/")
    assert page.status_code == 404
    csv = alice_client.get(f"/services/{service.pk}/messages/{message.pk}/recipients.csv")
    assert csv.status_code == 404


def test_a_code_the_network_did_not_deliver_can_be_asked_for_again(
    alice_client, service, simulator
):
    sender = add_number(alice_client, service, number="48601234000")  # simulator: REJECTED
    url = reverse("sender_send_code", args=[service.pk, sender.pk])
    alice_client.post(url)
    code_sent_to("48601234000")
    sender.refresh_from_db()
    assert (sender.code_sent_at, sender.code_digest) == (None, "")
    again = alice_client.post(url, follow=True).content.decode()
    assert "Code sent by SMS to 48601234000" in again


def test_a_number_spelt_with_spaces_is_a_number(alice_client, service):
    alice_client.post(reverse("sender_ids", args=[service.pk]), {"name": "601 234 567"})
    sender = service.sender_ids.get()
    assert sender.name == "601234567" and sender.is_phone


def test_the_wrong_code_message_is_polish_with_its_plural(service, simulator):
    from django.test import Client

    polish = Client()  # the panel's default language
    polish.force_login(service.customer.user)
    sender = add_number(polish, service)
    polish.post(reverse("sender_send_code", args=[service.pk, sender.pk]))
    code = code_sent_to("48601234567")
    wrong = "000000" if code != "000000" else "111111"
    confirm = reverse("sender_confirm", args=[service.pk, sender.pk])
    said = [polish.post(confirm, {"code": wrong}, follow=True).content.decode() for _ in range(4)]
    assert "To nie jest ten kod: zostały 4 próby." in said[0]
    assert "To nie jest ten kod: została 1 próba." in said[3]
    assert not any("tries left" in page or "wrong code" in page for page in said)


def test_a_code_typed_before_one_was_sent_is_refused_in_words(alice_client, service):
    sender = add_number(alice_client, service)
    confirm = reverse("sender_confirm", args=[service.pk, sender.pk])
    page = alice_client.post(confirm, {"code": "123456"}, follow=True).content.decode()
    assert "No code is waiting for this number: ask for one first." in page


def test_a_name_registered_meanwhile_is_refused_in_words(alice_client, service, monkeypatch):
    from accounts import senders

    def raced(*args, **kwargs):
        raise senders.NotSaved("MyShop is registered already")

    monkeypatch.setattr(senders, "add", raced)
    response = alice_client.post(reverse("sender_ids", args=[service.pk]), {"name": "MyShop"})
    assert response.context["form"].errors["name"] == [
        "You have already registered the sender name MyShop."
    ]
