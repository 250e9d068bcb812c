"""A text longer than its sender's route takes is refused with both figures, so each
door can word the refusal without counting the message again."""

import copy
import pickle
from decimal import Decimal

import pytest

from gateways.models import Driver, Gateway, GatewayPort
from messaging import services
from tests.messaging.test_gsm7 import GSM_TABLE

pytestmark = pytest.mark.django_db


def too_long(service, text, sender="") -> services.MessageTooLong:
    request = services.SendRequest(recipients=["501234567"], text=text, sender=sender)
    with pytest.raises(services.MessageTooLong) as refused:
        services.submit(service.pk, request)
    return refused.value


def test_the_refusal_names_the_parts_and_the_routes_limit(make_service):
    refused = too_long(make_service(balance=Decimal("10")), "x" * (GSM_TABLE[5] + 1))

    assert (refused.parts, refused.max_parts) == (7, 6)
    assert refused.detail == "7 parts; this route takes 6"


def test_an_own_port_refuses_by_its_vendors_limit(make_service):
    service = make_service(balance=Decimal("10"))
    device = Gateway.objects.create(name="one-part device", driver=Driver.DBLTEK)
    GatewayPort.objects.create(gateway=device, service=service, alias="biuro", port="1")

    refused = too_long(service, "x" * (GSM_TABLE[0] + 1), sender="biuro")

    assert (refused.parts, refused.max_parts) == (2, 1)


def test_the_estimate_holds_the_same_refusal(make_service):
    service = make_service(balance=Decimal("10"))
    request = services.SendRequest(recipients=["501234567"], text="x" * (GSM_TABLE[5] + 1))

    counted = services.estimate(service.pk, request)

    assert isinstance(counted.problem, services.MessageTooLong)
    assert (counted.problem.parts, counted.problem.max_parts) == (
        counted.parts,
        counted.max_parts,
    )


def test_the_refusal_survives_pickling_and_copying():
    refusal = services.MessageTooLong(7, 6)
    pickled = pickle.loads(pickle.dumps(refusal))  # noqa: S301 (our own bytes)
    for again in (pickled, copy.copy(refusal)):
        assert (again.parts, again.max_parts, again.detail) == (7, 6, refusal.detail)
