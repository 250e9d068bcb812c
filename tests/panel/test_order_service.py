"""Zamów usługę: a customer orders a service, staff activate it, the customer is told;
the dashboard says what each state asks of the customer; moderation notices."""

import pytest
from django.urls import reverse

from accounts.models import (
    Customer,
    SenderId,
    SenderStatus,
    Service,
    ServiceKind,
    ServiceState,
)
from mailbridge import outbound
from mailbridge.models import OutboundKind, OutboundMail

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(service):
    user = service.customer.user
    user.email = "alice@example.com"
    user.save()
    return service


def test_an_ordered_service_waits_for_activation(alice_client, alice):
    page = alice_client.get("/services/order/", HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    assert "Zamów usługę" in page
    response = alice_client.post("/services/order/", {"name": "Sklep", "kind": "two_way"})
    assert response.status_code == 302
    ordered = Service.objects.get(name="Sklep")
    assert ordered.customer == alice.customer
    assert (ordered.state, ordered.kind) == (ServiceState.NOT_ACTIVATED, ServiceKind.TWO_WAY)
    dashboard = alice_client.get("/").content.decode()
    assert "Waiting for activation by our staff" in dashboard


def test_staff_activate_it_and_the_customer_gets_an_email(alice_client, admin_client, alice):
    alice_client.post("/services/order/", {"name": "Sklep", "kind": "one_way"})
    ordered = Service.objects.get(name="Sklep")
    admin_client.post(
        reverse("admin:accounts_service_changelist"),
        {"action": "activate", "_selected_action": [ordered.pk]},
    )
    ordered.refresh_from_db()
    assert ordered.state == ServiceState.ACTIVE
    notice = OutboundMail.objects.get(kind=OutboundKind.NOTICE)
    assert (notice.to, notice.service_id) == ("alice@example.com", ordered.pk)
    assert "Sklep" in notice.subject and "aktywowana" in notice.body
    from django.core import mail

    assert outbound.send_due() == 1  # the workers' outbox run sends it
    [sent] = mail.outbox
    assert sent.to == ["alice@example.com"] and "aktywowana" in sent.body
    assert "Ready to send." in alice_client.get("/").content.decode()


def test_a_reactivation_after_debt_sends_no_activation_notice(alice):
    Service.objects.filter(pk=alice.pk).update(state=ServiceState.IN_DEBT)
    alice.refresh_from_db()
    alice.activate()
    assert not OutboundMail.objects.exists()


def test_at_most_three_orders_wait_at_once(alice_client, alice):
    for n in range(3):
        alice_client.post("/services/order/", {"name": f"S{n}", "kind": "one_way"})
    refused = alice_client.post("/services/order/", {"name": "S4", "kind": "one_way"})
    assert refused.status_code == 200
    assert "3 services waiting for activation already" in refused.content.decode()
    assert not Service.objects.filter(name="S4").exists()


def test_a_login_without_a_customer_cannot_order(client, django_user_model):
    user = django_user_model.objects.create_user("nobody", password="pw")
    client.force_login(user)
    assert client.get("/services/order/").status_code == 404


def test_ordering_needs_a_login_and_csrf(client, alice):
    from django.test import Client

    response = client.post("/services/order/", {"name": "X", "kind": "one_way"})
    assert response.status_code == 302 and "/login/" in response["Location"]
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice.customer.user)
    assert strict.post("/services/order/", {"name": "X", "kind": "one_way"}).status_code == 403
    assert not Service.objects.filter(name="X").exists()


@pytest.mark.parametrize(
    ("state", "advice"),
    [
        (ServiceState.ACTIVE, "Ready to send."),
        (ServiceState.NOT_ACTIVATED, "Waiting for activation"),
        (ServiceState.IN_DEBT, "Top up the balance"),
        (ServiceState.BLOCKED_BY_CUSTOMER, "Unblock it yourself"),
        (ServiceState.BLOCKED_BY_STAFF, "Contact us."),
    ],
)
def test_the_dashboard_says_what_to_do_in_each_state(alice_client, alice, state, advice):
    Service.objects.filter(pk=alice.pk).update(state=state)
    assert advice in alice_client.get("/").content.decode()


def test_staff_moderation_tells_the_customer(admin_client, alice):
    shop = SenderId.objects.create(service=alice, name="Shop")
    other = SenderId.objects.create(service=alice, name="Other")
    admin_client.post(
        reverse("admin:accounts_senderid_changelist"),
        {"action": "allow", "_selected_action": [shop.pk, other.pk]},
    )
    notice = OutboundMail.objects.get(kind=OutboundKind.NOTICE)
    assert "- Shop: dopuszczona do użytku" in notice.body
    assert "- Other: allowed" in notice.body
    # Allowing again changes nothing and tells nothing.
    admin_client.post(
        reverse("admin:accounts_senderid_changelist"),
        {"action": "allow", "_selected_action": [shop.pk]},
    )
    assert OutboundMail.objects.filter(kind=OutboundKind.NOTICE).count() == 1


def test_editing_the_status_in_admin_tells_the_customer_too(admin_client, alice):
    shop = SenderId.objects.create(service=alice, name="Shop")
    response = admin_client.post(
        reverse("admin:accounts_senderid_change", args=[shop.pk]),
        {
            "service": alice.pk,
            "name": "Shop",
            "status": SenderStatus.DISABLED,
            "comment": "",
            "operator_registrations-TOTAL_FORMS": "0",
            "operator_registrations-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert "- Shop: wyłączona" in OutboundMail.objects.get(kind=OutboundKind.NOTICE).body


# A customer whose language is kept (Customer.language) is told in it alone, whatever
# language the staff member reads admin in; one whose language is not known ("") in both.


def speaking(alice, language):
    Customer.objects.filter(pk=alice.customer.pk).update(language=language)


@pytest.mark.parametrize(
    ("language", "subject", "body"),
    [
        (
            "pl",
            "Usługa Sklep jest aktywna",
            "Usługa Sklep (#{}) została aktywowana i może wysyłać SMS.\n",
        ),
        ("en", "Service Sklep is active", "Service Sklep (#{}) is now active and can send SMS.\n"),
        (
            "",
            "Usługa Sklep jest aktywna / Service Sklep is active",
            "Usługa Sklep (#{0}) została aktywowana i może wysyłać SMS.\n\n"
            "Service Sklep (#{0}) is now active and can send SMS.\n",
        ),
    ],
)
def test_the_activation_notice_is_in_the_customers_language(
    admin_client, alice, make_service, language, subject, body
):
    speaking(alice, language)
    ordered = make_service(customer=alice.customer, state=ServiceState.NOT_ACTIVATED, name="Sklep")
    admin_client.post(
        reverse("admin:accounts_service_changelist"),
        {"action": "activate", "_selected_action": [ordered.pk]},
    )
    notice = OutboundMail.objects.get(kind=OutboundKind.NOTICE)
    assert (notice.subject, notice.body) == (subject, body.format(ordered.pk))


@pytest.mark.parametrize(
    ("language", "subject", "body"),
    [
        (
            "pl",
            "Nazwy nadawcy usługi {}",
            "Moderacja nazw nadawcy usługi {} (#{}):\n- Shop: wyłączona\n",
        ),
        (
            "en",
            "Sender names of service {}",
            "Sender names of service {} (#{}):\n- Shop: disabled\n",
        ),
        (
            "",
            "Nazwy nadawcy usługi {0} / Sender names of service {0}",
            "Moderacja nazw nadawcy usługi {0} (#{1}):\n- Shop: wyłączona\n\n"
            "Sender names of service {0} (#{1}):\n- Shop: disabled\n",
        ),
    ],
)
def test_the_moderation_notice_is_in_the_customers_language(
    admin_client, alice, language, subject, body
):
    speaking(alice, language)
    shop = SenderId.objects.create(service=alice, name="Shop")
    admin_client.post(
        reverse("admin:accounts_senderid_changelist"),
        {"action": "disable", "_selected_action": [shop.pk]},
    )
    notice = OutboundMail.objects.get(kind=OutboundKind.NOTICE)
    assert notice.subject == subject.format(alice.name)
    assert notice.body == body.format(alice.name, alice.pk)
