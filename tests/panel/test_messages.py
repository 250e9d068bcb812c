"""The customer's pages for sent messages, received SMS and callback signing."""

from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import ServiceKind
from gateways import dispatch
from messaging import callbacks, services
from messaging.models import Callback, CallbackAttempt, IncomingMessage, Source


def send(service, **fields):
    request = services.SendRequest(recipients=["48600100123", "48600100000"], text="Hej", **fields)
    return services.submit(service.pk, request).message


def test_message_page_shows_statuses_and_callback_attempts(alice_client, service, simulator):
    message = send(service, notify_url="https://example.com/dlr")
    dispatch.dispatch_batch()
    call = Callback.objects.get(message=message)
    CallbackAttempt.objects.create(
        callback=call,
        url=call.url,
        http_status=500,
        error="answered 500, not OK",
        response_excerpt="boom",
        at=timezone.now(),
    )
    page = alice_client.get(f"/services/{service.pk}/messages/{message.pk}/").content.decode()
    assert "48600100123" in page and "DELIVERED" in page and "REJECTED" in page
    assert "https://example.com/dlr" in page and "answered 500, not OK" in page


@pytest.mark.parametrize(
    "source, language, label",
    [
        (Source.SMSC, "en", "SMSC API"),
        (Source.SMSC, "pl", "API SMSC"),
        (Source.API, "en", "HTTP API"),
        (Source.PANEL, "pl", "panel"),
    ],
)
def test_message_page_names_what_the_message_came_through(
    alice_client, service, source, language, label
):
    message = send(service, source=source)

    url = f"/services/{service.pk}/messages/{message.pk}/"
    page = alice_client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert f"({label})" in page


def test_message_list_shows_only_this_services_messages(alice_client, service, make_service):
    mine = send(service)
    other = make_service(username="bob", balance=Decimal("10"))
    theirs = send(other)
    page = alice_client.get(f"/services/{service.pk}/messages/").content.decode()
    assert f"/messages/{mine.pk}/" in page
    assert f"/messages/{theirs.pk}/" not in page


def test_another_customers_message_is_not_found(alice_client, service, make_service):
    other = make_service(username="bob", balance=Decimal("10"))
    theirs = send(other)
    assert alice_client.get(f"/services/{service.pk}/messages/{theirs.pk}/").status_code == 404
    assert alice_client.get(f"/services/{other.pk}/messages/{theirs.pk}/").status_code == 404


def test_customer_injects_an_incoming_sms_on_the_simulator(alice_client, service, simulator):
    assert service.kind == ServiceKind.TWO_WAY
    service.callback_url = "https://example.com/in"
    service.save()
    response = alice_client.post(
        f"/services/{service.pk}/incoming/",
        {"from_number": "48600100200", "to_number": "biuro", "text": "Zażółć"},
    )
    assert response.status_code == 302
    sms = IncomingMessage.objects.get(service=service)
    assert (sms.from_number, sms.to_number, sms.text) == ("48600100200", "biuro", "Zażółć")
    assert Callback.objects.get(incoming=sms).url == "https://example.com/in"
    call = Callback.objects.get(incoming=sms)
    CallbackAttempt.objects.create(
        callback=call,
        url=call.url,
        http_status=200,
        response_excerpt="NOPE",
        error="answered 200, not OK",
        at=timezone.now(),
    )
    page = alice_client.get(f"/services/{service.pk}/incoming/").content.decode()
    assert "Zażółć" in page and "answered 200, not OK" in page
    assert "incoming/&lt;SMS hash&gt;/" in page  # shown as text, not taken for a tag


def test_no_injection_without_the_simulator_or_for_one_way(alice_client, service, make_service):
    page = alice_client.get(f"/services/{service.pk}/incoming/").content.decode()
    assert "Simulate an incoming SMS" not in page
    alice_client.post(
        f"/services/{service.pk}/incoming/",
        {"from_number": "48600100200", "to_number": "x", "text": "x"},
    )
    assert not IncomingMessage.objects.exists()


def test_signing_secret_is_shown_and_can_be_replaced(alice_client, service):
    before = callbacks.signing_secret(service)
    page = alice_client.get(f"/services/{service.pk}/api/callback/").content.decode()
    assert before in page and "X-Signature" in page
    alice_client.post(f"/services/{service.pk}/api/callback/signing-secret/", {"confirm": "yes"})
    service.refresh_from_db()
    after = callbacks.signing_secret(service)
    assert after != before
    assert after in alice_client.get(f"/services/{service.pk}/api/callback/").content.decode()


def test_signing_secret_is_not_stored(service):
    secret = callbacks.signing_secret(service)
    service.refresh_from_db()
    stored = [str(getattr(service, f.attname)) for f in service._meta.concrete_fields]
    assert not any(secret in value for value in stored)


def test_staff_inject_an_incoming_sms_in_admin(admin_client, service):
    url = "/admin/messaging/incomingmessage/inject/"
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(
        url,
        {"service": service.pk, "from_number": "48600100200", "to_number": "48500", "text": "Hi"},
    )
    assert response.status_code == 302
    assert IncomingMessage.objects.get(service=service).text == "Hi"


def test_admin_refuses_injection_into_a_one_way_service(admin_client, make_service):
    one_way = make_service(username="carol", kind=ServiceKind.ONE_WAY)
    response = admin_client.post(
        "/admin/messaging/incomingmessage/inject/",
        {"service": one_way.pk, "from_number": "48600100200", "to_number": "1", "text": "Hi"},
    )
    assert response.status_code == 200  # the form again, with the error
    assert not IncomingMessage.objects.exists()


@pytest.mark.parametrize(
    "language, said",
    [
        ("en", "1 recipient deleted through the SMSC API (its price is in the total above)"),
        ("pl", "1 odbiorca usunięty przez API SMSC (jego cena jest wliczona w sumę powyżej)"),
    ],
)
def test_a_recipient_deleted_through_the_smsc_api_is_not_shown(
    alice_client, service, simulator, language, said
):
    message = send(service)  # 48600100123 delivered, 48600100000 rejected
    dispatch.dispatch_batch()
    services.delete_recipients(service.pk, [(message.pk, "48600100000")])
    url = f"/services/{service.pk}/messages/"

    page = alice_client.get(f"{url}{message.pk}/", HTTP_ACCEPT_LANGUAGE=language)
    text = page.content.decode()
    assert "48600100123" in text and "48600100000" not in text
    assert [n for n, _ in page.context["counts"]] == ["DELIVERED"]
    assert said in text
    exported = b"".join(alice_client.get(f"{url}{message.pk}/recipients.csv").streaming_content)
    assert b"48600100123" in exported and b"48600100000" not in exported

    def found(**query):
        return [m.pk for m in alice_client.get(url, query).context["page"].object_list]

    assert found(q="48600100123") == [message.pk]
    assert found(q="48600100000") == []
    assert found(status="REJECTED") == []
