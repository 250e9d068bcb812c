import pytest
from django.urls import reverse

from accounts.models import SENDER_OPERATORS, OperatorStatus, SenderStatus

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
