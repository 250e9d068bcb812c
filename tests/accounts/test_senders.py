"""A service's sender IDs as the doors list them (``accounts.senders.listed``) and their
operator columns (``SenderId.operator_statuses``, seed 004's ``operators=1``)."""

import pytest

from accounts import senders
from accounts.models import SENDER_OPERATORS, OperatorStatus, SenderId, SenderStatus

pytestmark = pytest.mark.django_db


def sender(service, name, status=SenderStatus.PENDING, **operators):
    return SenderId.objects.create(service=service, name=name, status=status, **operators)


def test_listed_are_the_services_own_by_name(make_service):
    service, other = make_service(), make_service()
    sender(service, "Zeta", SenderStatus.ALLOWED)
    sender(service, "Alpha", SenderStatus.DISABLED)
    sender(other, "Beta", SenderStatus.ALLOWED)

    assert [s.name for s in senders.listed(service.pk)] == ["Alpha", "Zeta"]


def test_listed_allowed_only_leaves_out_the_pending_and_disabled(make_service):
    service = make_service()
    sender(service, "Shop", SenderStatus.ALLOWED)
    sender(service, "Waiting", SenderStatus.PENDING)
    sender(service, "Off", SenderStatus.DISABLED)

    assert [s.name for s in senders.listed(service.pk, allowed_only=True)] == ["Shop"]


def test_operator_statuses_follow_the_seeds_order(make_service):
    statuses = {op: i % len(OperatorStatus) for i, op in enumerate(SENDER_OPERATORS)}
    found = sender(make_service(), "Shop", **statuses)

    assert found.operator_statuses() == tuple(statuses.items())
