"""``manage.py seed_simulator``: every route gets a gateway, the simulator where none serves it."""

from io import StringIO

import pytest
from django.core.management import call_command

from gateways import dispatch
from gateways.health import routes_without_gateway
from gateways.models import Driver, Gateway
from messaging import services
from messaging.models import Status

pytestmark = pytest.mark.django_db


def run():
    out = StringIO()
    call_command("seed_simulator", stdout=out)
    return out.getvalue()


def test_on_a_new_database_the_simulator_serves_both_routes_and_delivers(api_service):
    output = run()
    gateway = Gateway.objects.get()
    assert (gateway.driver, gateway.enabled) == (Driver.SIMULATOR, True)
    assert gateway.serves_standard and gateway.serves_premium
    created = f"Created the simulator gateway ({gateway.pk}) for the standard and premium route."
    assert created in output
    assert routes_without_gateway() == []

    Gateway.objects.filter(pk=gateway.pk).update(settings={"delay": 0})
    request = services.SendRequest(recipients=["48600100123"], text="Hej")
    message = services.submit(api_service.pk, request).message
    dispatch.dispatch_batch()
    assert message.recipients.get().status == Status.DELIVERED


def test_a_route_that_has_a_gateway_is_left_to_it():
    upstream = Gateway.objects.create(name="Upstream", driver=Driver.SMSC, serves_standard=True)
    assert "for the premium route" in run()
    simulator = Gateway.objects.get(driver=Driver.SIMULATOR)
    assert (simulator.serves_standard, simulator.serves_premium) == (False, True)
    upstream.refresh_from_db()
    assert upstream.enabled and upstream.serves_standard and not upstream.serves_premium


def test_a_disabled_simulator_is_enabled_not_made_again():
    Gateway.objects.create(name="Simulator", driver=Driver.SIMULATOR, enabled=False)
    assert "Enabled the simulator gateway" in run()
    simulator = Gateway.objects.get()
    assert simulator.enabled and simulator.serves_standard and simulator.serves_premium


def test_nothing_to_do_when_every_route_is_served(simulator):
    assert "Every route has a gateway; nothing to do." in run()
    assert Gateway.objects.count() == 1
