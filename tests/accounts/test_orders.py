"""Zamów usługę: at most MAX_PENDING_ORDERS services wait for activation, even when
orders arrive at once (the customer row is locked while one is counted and made)."""

import threading
import time

import pytest
from django.db import connection
from django.test import Client

from accounts import orders
from accounts.models import Service, ServiceKind, ServiceState


@pytest.mark.django_db
def test_an_order_waits_for_activation(service):
    ordered = orders.order_service(service.customer_id, "Sklep", ServiceKind.TWO_WAY)

    assert (ordered.customer_id, ordered.name) == (service.customer_id, "Sklep")
    assert (ordered.state, ordered.kind) == (ServiceState.NOT_ACTIVATED, ServiceKind.TWO_WAY)


@pytest.mark.django_db
def test_past_the_limit_an_order_is_refused_with_the_number_waiting(service):
    for n in range(orders.MAX_PENDING_ORDERS):
        orders.order_service(service.customer_id, f"S{n}", ServiceKind.ONE_WAY)

    with pytest.raises(orders.TooManyPending) as refused:
        orders.order_service(service.customer_id, "S9", ServiceKind.ONE_WAY)

    assert refused.value.waiting == orders.MAX_PENDING_ORDERS
    assert not Service.objects.filter(name="S9").exists()


@pytest.mark.django_db
def test_active_services_do_not_count_against_the_limit(service):
    # The fixture's service is active: three more may still wait.
    for n in range(orders.MAX_PENDING_ORDERS):
        orders.order_service(service.customer_id, f"S{n}", ServiceKind.ONE_WAY)
    assert service.customer.services.count() == orders.MAX_PENDING_ORDERS + 1


def _slow_service_insert(execute, sql, params, many, context):
    # Widens the race: every order counts before any of them has inserted.
    if sql.startswith('INSERT INTO "accounts_service"'):
        time.sleep(0.3)
    return execute(sql, params, many, context)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_six_orders_at_once_make_exactly_three_services(service):
    user = service.customer.user
    start, answers = threading.Barrier(6), []

    def order(n):
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(user)
        try:
            start.wait()
            with connection.execute_wrapper(_slow_service_insert):
                response = client.post("/services/order/", {"name": f"S{n}", "kind": "one_way"})
            answers.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=order, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    waiting = Service.objects.filter(customer=service.customer, state=ServiceState.NOT_ACTIVATED)
    assert waiting.count() == orders.MAX_PENDING_ORDERS
    assert sorted(answers) == [200] * 3 + [302] * 3  # three refused on the form, three placed
