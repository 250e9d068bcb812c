"""getProgress of a personalised send: the extension ``recipient_texts`` lists the
recipients whose text is their own; absent for any other message (the seed's answer)."""

from decimal import Decimal

import pytest

from messaging import services

pytestmark = pytest.mark.django_db

UCS_2 = "ą" * 71


def personalised(service, texts):
    numbers = [f"4860010{i:04d}" for i in range(len(texts))]
    request = services.SendRequest(recipients=numbers, text="", texts=texts)
    return services.submit(service.pk, request).message


def test_a_personalised_send_lists_the_texts_that_differ(api, api_service):
    message = personalised(api_service, ["Hej", "Cześć Ania", "Hej", UCS_2])
    data = api(f"getProgress/{message.pk}/").json()
    assert data["error"] == "OK" and data["message_parts"] == 1
    assert data["recipient_texts"] == [
        {"number": "48600100001", "text": "Cześć Ania", "message_parts": 1},
        {"number": "48600100003", "text": UCS_2, "message_parts": 2},
    ]
    assert [r["number"] for r in data["recipient_list"]] == [f"4860010{i:04d}" for i in range(4)]


def test_xml_carries_them_too(api, api_service):
    message = personalised(api_service, ["Hej", "Cześć Ania", "Hej"])
    body = api(f"getProgress/{message.pk}/xml/").content.decode()
    assert "<recipient_texts>" in body and "Cześć Ania" in body


def test_an_ordinary_message_has_no_extension(api, api_service):
    accepted = services.submit(
        api_service.pk, services.SendRequest(recipients=["48600100001"], text="Hej")
    )
    data = api(f"getProgress/{accepted.message.pk}/").json()
    assert "recipient_texts" not in data


def test_another_customers_personalised_message_is_not_found(api, make_service):
    other = make_service(username="bob", balance=Decimal("10"))
    message = personalised(other, ["Hej", "Tajne Boba"])
    data = api(f"getProgress/{message.pk}/").json()
    assert data["error"] == "MESSAGE_ID_NOT_FOUND" and "Tajne" not in str(data)
