"""The dashboard answers "how am I doing": per service this month's SMS, spending and
delivery rate, the last sends with their results, and what needs attention, each item
linked to the page that fixes it."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import senders
from accounts.models import SenderStatus, Service, ServiceState
from gateways import dispatch
from messaging import services
from messaging.models import Callback, CallbackKind, CallbackState

pytestmark = pytest.mark.django_db


def reader(service, language="pl"):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(service.customer.user)
    return client


def send(service, numbers, text="Hej"):
    return services.submit(service.pk, services.SendRequest(recipients=numbers, text=text)).message


def overview(service, language="pl"):
    response = reader(service, language).get(reverse("dashboard"))
    assert response.status_code == 200
    return response.context["overview"], response.content.decode()


def test_this_months_sms_spending_and_delivery_rate(service, simulator):
    send(service, ["48600100123", "48600100124", "48600100000"])  # the last is rejected
    dispatch.dispatch_batch()
    send(service, ["48600100125"])  # still waiting
    found, html = overview(service)
    [summary] = found.services
    month = summary.month
    assert (month.sent, month.delivered, month.failed) == (4, 2, 1)
    assert month.spent == Decimal("0.2100")  # four at 0.07, the rejected one refunded
    assert month.delivery_rate == 66  # 2 of 3 finished, rounded down
    assert "66%" in html and "2 z 3 zakończonych" in html
    assert "0,21 zł" in html


def test_the_delivery_rate_waits_for_a_finished_recipient(service):
    send(service, ["48600100125"])
    found, html = overview(service, "en")
    assert found.services[0].month.delivery_rate is None
    assert found.services[0].month.sent == 1


def test_the_last_sends_are_the_customers_own_with_their_results(service, make_service, simulator):
    second = make_service(customer=service.customer, name="Druga", balance=Decimal("5"))
    stranger = make_service(username="mallory", balance=Decimal("5"))
    mine = [send(service, ["48600100123"], f"Moja {n}") for n in range(4)]
    other = send(second, ["48600100000"], "Z drugiej")
    send(stranger, ["48600100124"], "Cudza")
    dispatch.dispatch_batch()
    found, html = overview(service)
    shown = [message.pk for message, _outcome in found.last_sends]
    assert shown == [other.pk] + [m.pk for m in reversed(mine)]  # newest first, five
    assert "Cudza" not in html
    outcome = dict((m.pk, o) for m, o in found.last_sends)[other.pk]
    assert (outcome.failed, outcome.delivered) == (1, 0)
    assert reverse("message_detail", args=[second.pk, other.pk]) in html
    assert "nieudane: 1" in html


def test_a_confirmation_code_is_not_a_send_the_customer_sees(service, simulator):
    number = senders.add(service.pk, "48600100200")
    services.send_sender_code(service.pk, number.pk)
    found, _html = overview(service)
    assert found.last_sends == []


def attention(service, language="pl"):
    found, html = overview(service, language)
    return {item.url: (item.text, item.level) for item in found.attention}, html


def test_nothing_needs_attention_on_a_healthy_service(service):
    found, html = overview(service)
    assert found.attention == []
    assert 'id="attention"' not in html


def test_a_low_balance_and_a_blocked_service_need_attention(service, make_service):
    Service.objects.filter(pk=service.pk).update(
        low_balance_threshold=Decimal("20"), state=ServiceState.BLOCKED_BY_CUSTOMER
    )
    items, html = attention(service)
    assert items[reverse("balance_history", args=[service.pk])] == (
        "Saldo 10,00 zł jest poniżej progu powiadomienia 20,00 zł.",
        "bad",
    )
    assert items[reverse("service", args=[service.pk])][0].startswith("Zablokowano usługę")
    assert 'id="attention"' in html and "Wymaga Twojej uwagi" in html


def test_a_balance_run_out_needs_attention(service):
    Service.objects.filter(pk=service.pk).update(state=ServiceState.IN_DEBT)
    items, _html = attention(service, "en")
    assert items[reverse("balance_history", args=[service.pk])][0].startswith(
        "The balance has run out"
    )


def test_a_service_waiting_for_activation_is_news_not_a_fault(service):
    Service.objects.filter(pk=service.pk).update(state=ServiceState.NOT_ACTIVATED)
    items, _html = attention(service, "en")
    assert items[reverse("service", args=[service.pk])][1] == "info"


def test_sender_names_waiting_for_moderation_or_a_code(service):
    senders.add(service.pk, "Kwiaty")
    senders.add(service.pk, "Bukiety")
    senders.add(service.pk, "48600100200")
    allowed = senders.add(service.pk, "Stara")
    type(allowed).objects.filter(pk=allowed.pk).update(status=SenderStatus.ALLOWED)
    found, _html = overview(service)
    texts = sorted(item.text for item in found.attention)
    assert texts == [
        "Nazwy nadawcy Bukiety, Kwiaty czekają na moderację przez nasz zespół.",
        "Potwierdź numer 48600100200 kodem, który wysłaliśmy na niego SMS-em.",
    ]
    assert {item.url for item in found.attention} == {reverse("sender_ids", args=[service.pk])}


def test_many_waiting_names_are_counted_not_listed(service):
    for name in ("Alfa", "Beta", "Gamma", "Delta", "Epsilon"):
        senders.add(service.pk, name)
    found, _html = overview(service, "en")
    [item] = found.attention
    assert item.text == (
        "The sender names Alfa, Beta, Delta and 2 more are waiting for moderation by our staff."
    )


def test_an_interface_switched_off_needs_attention(service):
    Service.objects.filter(pk=service.pk).update(smsc_api_enabled=False)
    items, _html = attention(service, "en")
    assert items[reverse("service", args=[service.pk])] == (
        "The SMSC API is switched off: its calls are refused.",
        "bad",
    )


def failing(service, state, attempts, finished_days_ago=None):
    finished = None
    if finished_days_ago is not None:
        finished = timezone.now() - timedelta(days=finished_days_ago)
    return Callback.objects.create(
        service=service,
        kind=CallbackKind.REPORT,
        url="https://example.com/sms",
        body="",
        state=state,
        attempts=attempts,
        finished_at=finished,
    )


def test_a_failing_callback_url_needs_attention(service, make_service):
    failing(service, CallbackState.PENDING, 0)  # not tried yet: fine
    failing(service, CallbackState.DELIVERED, 1, 0)
    failing(service, CallbackState.GIVEN_UP, 9, 30)  # a month ago: over
    assert overview(service)[0].attention == []
    failing(service, CallbackState.PENDING, 2)
    failing(service, CallbackState.PENDING, 1)
    failing(service, CallbackState.GIVEN_UP, 9, 1)
    stranger = make_service(username="mallory")
    failing(stranger, CallbackState.GIVEN_UP, 9, 1)
    items, _html = attention(service)
    assert items == {
        reverse("callback_url", args=[service.pk]): (
            "Twój callback URL nie odpowiada: 2 callbacki czekają na kolejną próbę; "
            "1 porzucony w ostatnich 7 dniach.",
            "bad",
        )
    }


def test_the_dashboards_queries_do_not_grow_with_the_sends(
    service, simulator, django_assert_max_num_queries
):
    for n in range(30):
        send(service, ["48600100123", "48600100000"], f"Wiadomość {n}")
    dispatch.dispatch_batch()
    client = reader(service)
    # The month's closed days are counted once (messaging.usage) and kept: in one
    # statement, however many days there are.
    with django_assert_max_num_queries(14):
        assert client.get(reverse("dashboard")).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("dashboard")).status_code == 200
