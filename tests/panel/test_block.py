import pytest
from django.urls import reverse

from accounts.models import ServiceState

pytestmark = pytest.mark.django_db


def test_customer_blocks_and_unblocks_in_the_panel(alice_client, service):
    alice_client.post(reverse("service_block", args=[service.pk]), {"confirm": "yes"})
    service.refresh_from_db()
    assert service.state == ServiceState.BLOCKED_BY_CUSTOMER
    alice_client.post(reverse("service_unblock", args=[service.pk]))
    service.refresh_from_db()
    assert service.state == ServiceState.ACTIVE


def test_customer_cannot_unblock_a_staff_block_in_the_panel(alice_client, service):
    service.block_by_staff()
    response = alice_client.post(reverse("service_unblock", args=[service.pk]), follow=True)
    service.refresh_from_db()
    assert service.state == ServiceState.BLOCKED_BY_STAFF
    assert [m.level_tag for m in response.context["messages"]] == ["error"]


def test_block_asks_first(alice_client, service):
    response = alice_client.get(reverse("service_block", args=[service.pk]))
    assert "Yes, block the service" in response.content.decode()
    service.refresh_from_db()
    assert service.state == ServiceState.ACTIVE
