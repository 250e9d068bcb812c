"""Staff see messages, recipients and incoming SMS read-only."""

from decimal import Decimal

import pytest

from messaging import services


@pytest.mark.django_db
def test_message_pages_load_and_cannot_be_edited(admin_client, make_service):
    service = make_service(balance=Decimal("1"))
    message = services.submit(
        service.pk, services.SendRequest(recipients=["601345345"], text="Dzień dobry")
    ).message
    services.store_incoming(service.pk, "48601345345", "48500000000", "Odpowiedź", None)
    for url in [
        "/admin/messaging/message/",
        f"/admin/messaging/message/{message.pk}/change/",
        "/admin/messaging/recipient/",
        "/admin/messaging/incomingmessage/",
        "/admin/messaging/contentrule/",
    ]:
        response = admin_client.get(url)
        assert response.status_code == 200, url
    page = admin_client.get(f"/admin/messaging/message/{message.pk}/change/").content.decode()
    assert "Dzień dobry" in page
    assert 'name="_save"' not in page
    assert admin_client.get("/admin/messaging/message/add/").status_code == 403
