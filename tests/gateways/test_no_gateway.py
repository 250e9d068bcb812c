"""A route no enabled gateway serves is never silent, and the demo set-up always has one."""

import json
import logging
from io import StringIO

import pytest
from django.core import checks
from django.core.management import call_command
from django.utils import translation

from accounts.models import Route, Service
from gateways import dispatch
from gateways.models import Driver, Gateway
from messaging import services
from messaging.models import Recipient, Status

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def send(service, numbers=("48600100123",), sender=""):
    request = services.SendRequest(recipients=list(numbers), text="Hej", sender=sender)
    return services.submit(service.pk, request).message


def route_warnings():
    return [m for m in checks.run_checks() if m.id == "gateways.W001"]


def test_seed_demo_gives_the_routes_the_simulator_and_a_demo_send_is_delivered():
    demo = json.loads(run("seed_demo", "--json"))
    gateway = Gateway.objects.get(driver=Driver.SIMULATOR, enabled=True)
    assert gateway.serves_standard and gateway.serves_premium
    assert "simulator" in demo["gateways"]

    message = send(Service.objects.get(pk=demo["service_id"]))
    Gateway.objects.filter(pk=gateway.pk).update(settings={"delay": 0})
    dispatch.dispatch_batch()
    assert message.recipients.get().status == Status.DELIVERED


def test_seed_demo_leaves_a_route_that_has_a_gateway_alone():
    upstream = Gateway.objects.create(name="Upstream", driver=Driver.SMSC, serves_standard=True)
    run("seed_demo", "--json")
    simulator = Gateway.objects.get(driver=Driver.SIMULATOR)
    assert (simulator.serves_standard, simulator.serves_premium) == (False, True)
    upstream.refresh_from_db()
    assert upstream.enabled and upstream.serves_standard
    run("seed_demo", "--json")  # again: nothing more to do
    assert Gateway.objects.count() == 2


def test_check_warns_for_each_route_without_an_enabled_gateway_and_says_how_to_fix():
    warnings = route_warnings()
    assert sorted(w.obj for w in warnings) == ["route premium", "route standard"]
    assert all("seed_simulator" in w.hint and "Gateways" in w.hint for w in warnings)
    Gateway.objects.create(name="Off", driver=Driver.SIMULATOR, serves_standard=True, enabled=False)
    Gateway.objects.create(name="On", driver=Driver.SIMULATOR, serves_premium=True)
    assert [w.obj for w in route_warnings()] == ["route standard"]


def test_manage_py_check_prints_the_warning(capsys):
    call_command("check")
    printed = capsys.readouterr()
    assert "gateways.W001" in printed.err + printed.out
    assert "standard route" in printed.err + printed.out


def test_no_warning_when_every_route_is_served(simulator):
    assert route_warnings() == []


def test_admin_index_shows_what_waits_for_a_gateway(admin_client, api_service):
    send(api_service, ["48600100123", "48600100124"])
    page = admin_client.get("/admin/").text
    assert 'id="no-gateway-warning"' in page
    assert "No enabled gateway serves the standard route: 2 recipients wait." in page
    assert "No enabled gateway serves the premium route: 0 recipients wait." in page
    assert "/admin/gateways/gateway/" in page


def test_admin_banner_speaks_polish(admin_user, api_service):
    from django.test import Client

    send(api_service, ["48600100123"])
    client = Client(HTTP_ACCEPT_LANGUAGE="pl")
    client.force_login(admin_user)
    with translation.override("pl"):
        page = client.get("/admin/").text
    assert "Żadna włączona bramka nie obsługuje trasy standard: czeka 1 odbiorca." in page


def test_admin_index_has_no_banner_when_every_route_is_served(admin_client, simulator):
    assert 'id="no-gateway-warning"' not in admin_client.get("/admin/").text


def test_dispatch_logs_a_route_without_gateway_once_a_minute_not_per_recipient(
    api_service, caplog, monkeypatch
):
    monkeypatch.setattr(dispatch, "_no_gateway_logged", {})
    send(api_service, [f"486001001{n:02d}" for n in range(10)])
    with caplog.at_level(logging.WARNING, logger="gateways.dispatch"):
        assert dispatch.dispatch_batch(limit=5) == 5
        # Released with a later dispatch time: due again now, for the next batch.
        Recipient.objects.update(send_at=Recipient.objects.first().message.send_at)
        assert dispatch.dispatch_batch(limit=5) == 5
    lines = [r.getMessage() for r in caplog.records if "no enabled gateway" in r.getMessage()]
    assert len(lines) == 1
    assert "standard route" in lines[0] and "5 due recipient(s)" in lines[0]
    assert "seed_simulator" in lines[0]
    assert set(Recipient.objects.values_list("status", flat=True)) == {Status.PENDING}

    # A minute later it is said again.
    monkeypatch.setattr(
        dispatch, "_no_gateway_logged", {Route.STANDARD: -dispatch.NO_GATEWAY_LOG_SECONDS}
    )
    caplog.clear()
    Recipient.objects.update(send_at=Recipient.objects.first().message.send_at)
    with caplog.at_level(logging.WARNING, logger="gateways.dispatch"):
        dispatch.dispatch_batch(limit=5)
    assert sum("no enabled gateway" in r.getMessage() for r in caplog.records) == 1


def test_stuck_work_lists_recipients_waiting_for_a_gateway_with_the_reason(api_service):
    send(api_service, ["48600100123", "48600100124"])
    output = run("stuck_work")
    assert (
        "PENDING on the standard route (messages with an empty sender): 2 in 1 message(s), "
        "because no enabled gateway serves it." in output
    )
    assert "seed_simulator" in output
    for recipient in Recipient.objects.all():
        assert (
            f"recipient {recipient.pk} of message {recipient.message_id} to {recipient.number}: "
            "waiting for a gateway" in output
        )
    Gateway.objects.create(name="Sim", driver=Driver.SIMULATOR, serves_standard=True)
    assert "PENDING on the standard route" not in run("stuck_work")
