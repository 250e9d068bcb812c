"""The senders a service may send from: ``usable_senders`` lists exactly what
``resolve_sender`` accepts, routed the same way (SPEC §7, seed 001 §8d)."""

from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Route, SenderId, SenderStatus
from gateways.models import Driver, Gateway, GatewayPort
from messaging import services

pytestmark = pytest.mark.django_db


def senders_of_every_kind(service, other) -> list[str]:
    """Sender IDs of each status (numbers confirmed or not) and GSM ports enabled or
    not, of ``service`` and of ``other``; returns every name made."""
    confirmed = timezone.now()
    for name, status, confirmed_at in [
        ("Shop", SenderStatus.ALLOWED, None),
        ("Waiting", SenderStatus.PENDING, None),
        ("Off", SenderStatus.DISABLED, None),
        ("48501234567", SenderStatus.ALLOWED, None),
        ("48501234568", SenderStatus.ALLOWED, confirmed),
        ("48501234569", SenderStatus.PENDING, confirmed),
        ("48501234560", SenderStatus.DISABLED, confirmed),
    ]:
        SenderId.objects.create(
            service=service, name=name, status=status, confirmed_at=confirmed_at
        )
    SenderId.objects.create(service=other, name="Theirs", status=SenderStatus.ALLOWED)
    device = Gateway.objects.create(name="office device", driver=Driver.DINSTAR)
    for alias, owner, enabled in [
        ("biuro", service, True),
        ("dom", service, False),
        ("obcy", other, True),
    ]:
        GatewayPort.objects.create(
            gateway=device, service=owner, alias=alias, port=alias, enabled=enabled
        )
    return [*SenderId.objects.values_list("name", flat=True), "biuro", "dom", "obcy"]


def accepted_by_resolve_sender(service, names) -> set[str]:
    accepted = set()
    for name in names:
        try:
            services.resolve_sender(service.pk, name)
        except (services.SenderNotRegistered, services.SenderNotVerified):
            continue
        accepted.add(name)
    return accepted


def test_allowed_confirmed_senders_by_name_then_enabled_ports_by_alias(make_service):
    service, other = make_service(), make_service()
    senders_of_every_kind(service, other)

    assert services.usable_senders(service.pk) == [
        services.SenderRoute(Route.PREMIUM, "48501234568"),
        services.SenderRoute(Route.PREMIUM, "Shop"),
        services.SenderRoute(Route.OWN_GATEWAY, "biuro", max_parts=4),
    ]


def test_each_usable_sender_is_routed_as_resolve_sender_routes_it(make_service):
    service, other = make_service(), make_service()
    senders_of_every_kind(service, other)

    for route in services.usable_senders(service.pk):
        assert services.resolve_sender(service.pk, route.sender) == route


def test_usable_senders_are_exactly_those_resolve_sender_accepts(make_service):
    service, other = make_service(balance=Decimal("10")), make_service()
    names = senders_of_every_kind(service, other)

    usable = {route.sender for route in services.usable_senders(service.pk)}

    assert usable == accepted_by_resolve_sender(service, names)


def test_a_service_without_senders_has_none(make_service):
    assert services.usable_senders(make_service().pk) == []
