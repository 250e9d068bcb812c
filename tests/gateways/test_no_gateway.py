"""A route no enabled gateway serves is never silent: check, admin, dispatcher log.

That the demo set-up always has one is tested beside seed_demo and
seed_simulator; stuck_work's listing beside stuck_work.
"""

import logging

import pytest
from django.core import checks
from django.core.management import call_command
from django.utils import translation

from accounts.models import Route
from gateways import dispatch
from gateways.models import Driver, Gateway
from messaging import services
from messaging.models import Recipient, Status

pytestmark = pytest.mark.django_db


def send(service, numbers=("48600100123",), sender=""):
    request = services.SendRequest(recipients=list(numbers), text="Hej", sender=sender)
    return services.submit(service.pk, request).message


def route_warnings():
    return [m for m in checks.run_checks() if m.id == "gateways.W001"]


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
