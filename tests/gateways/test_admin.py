"""Staff administer gateways, GSM ports and see callbacks with their attempts in admin."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from gateways.models import Driver, Gateway, GatewayPort
from messaging.models import Callback, CallbackAttempt


def test_gateway_pages_load(admin_client, simulator, service):
    device = Gateway.objects.create(name="Dinstar biuro", driver=Driver.DINSTAR)
    GatewayPort.objects.create(gateway=device, service=service, alias="biuro", port="1")
    for url in [
        "/admin/gateways/gateway/",
        f"/admin/gateways/gateway/{simulator.pk}/change/",
        f"/admin/gateways/gateway/{device.pk}/change/",
        "/admin/gateways/gatewayport/",
        "/admin/gateways/simulatedsms/",
    ]:
        assert admin_client.get(url).status_code == 200, url
    assert "biuro" in admin_client.get(f"/admin/gateways/gateway/{device.pk}/change/").text


def test_a_gsm_device_serves_no_route():
    gateway = Gateway(name="x", driver=Driver.OPENVOX, serves_standard=True)
    with pytest.raises(ValidationError):
        gateway.clean()


def test_ports_belong_to_gsm_devices(simulator, service):
    with pytest.raises(ValidationError):
        GatewayPort(gateway=simulator, service=service, alias="a", port="1").clean()


def test_callback_attempts_are_shown_to_staff(admin_client, service):
    call = Callback.objects.create(
        service=service, kind="report", url="https://example.com/dlr", body="status[]=1"
    )
    CallbackAttempt.objects.create(
        callback=call,
        url=call.url,
        http_status=503,
        error="answered 503, not OK",
        response_excerpt="Service Unavailable",
        at=timezone.now(),
    )
    assert admin_client.get("/admin/messaging/callback/").status_code == 200
    page = admin_client.get(f"/admin/messaging/callback/{call.pk}/change/").text
    assert "answered 503, not OK" in page and "Service Unavailable" in page
