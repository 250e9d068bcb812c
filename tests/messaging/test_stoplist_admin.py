"""Staff keep the platform's stoplist in admin; customers' lists and the log are there too."""

import pytest

from messaging import stoplist
from messaging.models import StopChange, StopEntry, StopSettings, StopVia

pytestmark = pytest.mark.django_db


def test_staff_add_a_number_to_the_platform_list_and_it_is_logged(admin_client, admin_user):
    response = admin_client.post(
        "/admin/messaging/platformstopentry/add/", {"number": "+48 600 100 200"}
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    entry = StopEntry.objects.get()
    assert (entry.customer_id, entry.number) == (None, "48600100200")
    change = StopChange.objects.get()
    assert (change.customer_id, change.via, change.user) == (None, StopVia.ADMIN, admin_user)


def test_the_platform_list_refuses_what_is_not_a_mobile_number(admin_client):
    response = admin_client.post("/admin/messaging/platformstopentry/add/", {"number": "12345"})
    assert response.status_code == 200
    assert not StopEntry.objects.exists()


def test_staff_remove_a_platform_number_and_it_is_logged(admin_client):
    stoplist.add(None, ["600100200"], StopVia.ADMIN)
    entry = StopEntry.objects.get()

    admin_client.post(f"/admin/messaging/platformstopentry/{entry.pk}/delete/", {"post": "yes"})

    assert not StopEntry.objects.exists()
    assert StopChange.objects.filter(action="removed", via=StopVia.ADMIN).count() == 1


def test_the_lists_are_shown_apart(admin_client, service):
    stoplist.add(None, ["600100200"], StopVia.ADMIN)
    stoplist.add(service.customer_id, ["600100201"], StopVia.PANEL)

    platform = admin_client.get("/admin/messaging/platformstopentry/").content.decode()
    customers = admin_client.get("/admin/messaging/stopentry/").content.decode()
    assert "48600100200" in platform and "48600100201" not in platform
    assert "48600100201" in customers and "48600100200" not in customers
    assert service.customer.name in customers


def test_the_log_is_read_only(admin_client, service):
    stoplist.add(service.customer_id, ["600100201"], StopVia.PANEL)
    change = StopChange.objects.get()

    assert "48600100201" in admin_client.get("/admin/messaging/stopchange/").content.decode()
    assert admin_client.get("/admin/messaging/stopchange/add/").status_code == 403
    admin_client.post(f"/admin/messaging/stopchange/{change.pk}/delete/", {"post": "yes"})
    assert StopChange.objects.filter(pk=change.pk).exists()


def test_admin_refuses_an_answer_longer_than_one_sms(admin_client, service):
    """The answer is charged as one SMS: admin checks it as the panel does."""
    response = admin_client.post(
        "/admin/messaging/stopsettings/add/",
        {"customer": service.customer_id, "confirm": "on", "stop_text": "ą" * 71},
    )
    assert response.status_code == 200
    assert "must fit in one SMS" in response.content.decode()
    assert not StopSettings.objects.exists()
    admin_client.post(
        "/admin/messaging/stopsettings/add/",
        {"customer": service.customer_id, "confirm": "on", "stop_text": "ą" * 70},
    )
    assert StopSettings.objects.get().stop_text == "ą" * 70
