from decimal import Decimal

import pytest

from accounts import ledger
from accounts.models import ServiceState, StateChangeRefused

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("state", "refusal"),
    [
        (ServiceState.ACTIVE, None),
        (ServiceState.NOT_ACTIVATED, 101),
        (ServiceState.IN_DEBT, 102),
        (ServiceState.SUSPENDED, 103),
        (ServiceState.DEACTIVATED, 104),
        (ServiceState.BLOCKED_BY_CUSTOMER, 105),
        (ServiceState.BLOCKED_BY_STAFF, 106),
    ],
)
def test_every_state_maps_to_its_refusal_code(make_service, state, refusal):
    service = make_service(state=state)
    assert service.sending_refusal() == refusal
    assert service.may_send is (refusal is None)


def test_active_service_below_its_credit_limit_is_in_debt(make_service):
    service = make_service(balance=Decimal("1.00"), credit_limit=Decimal("5.00"))
    ledger.adjust(service.pk, Decimal("-6.50"), note="staff correction")
    service.refresh_from_db()
    assert service.balance == Decimal("-5.50")
    assert service.sending_refusal() == 102


def test_customer_blocks_and_unblocks_own_service(make_service):
    service = make_service()
    service.block_by_customer()
    service.refresh_from_db()
    assert service.state == ServiceState.BLOCKED_BY_CUSTOMER
    assert service.sending_refusal() == 105
    service.unblock_by_customer()
    service.refresh_from_db()
    assert service.state == ServiceState.ACTIVE


def test_customer_cannot_lift_a_staff_block(make_service):
    service = make_service()
    service.block_by_staff()
    with pytest.raises(StateChangeRefused):
        service.unblock_by_customer()
    service.refresh_from_db()
    assert service.state == ServiceState.BLOCKED_BY_STAFF


def test_staff_block_overrides_a_customer_block_and_customer_cannot_lift_it(make_service):
    service = make_service()
    service.block_by_customer()
    service.block_by_staff()
    with pytest.raises(StateChangeRefused):
        service.unblock_by_customer()
    service.unblock_by_staff()
    service.refresh_from_db()
    assert service.state == ServiceState.ACTIVE


@pytest.mark.parametrize(
    "state",
    [
        ServiceState.NOT_ACTIVATED,
        ServiceState.DEACTIVATED,
        ServiceState.BLOCKED_BY_STAFF,
        ServiceState.BLOCKED_BY_CUSTOMER,
    ],
)
def test_customer_can_block_only_an_active_service(make_service, state):
    service = make_service(state=state)
    with pytest.raises(StateChangeRefused):
        service.block_by_customer()
    service.refresh_from_db()
    assert service.state == state


def test_stale_object_cannot_unblock_after_staff_block(make_service):
    service = make_service()
    service.block_by_customer()
    stale = type(service).objects.get(pk=service.pk)
    service.block_by_staff()
    # The stale copy still says 105, but the conditional update sees 106.
    with pytest.raises(StateChangeRefused):
        stale.unblock_by_customer()
    assert type(service).objects.get(pk=service.pk).state == ServiceState.BLOCKED_BY_STAFF


def test_activation_records_the_time(make_service):
    service = make_service(state=ServiceState.NOT_ACTIVATED)
    service.activate()
    service.refresh_from_db()
    assert service.state == ServiceState.ACTIVE
    assert service.activated_at is not None
    with pytest.raises(StateChangeRefused):
        service.activate()


def test_a_service_made_active_directly_records_the_time(make_service):
    # Staff creating an active service in admin, or seed_demo: not through activate().
    service = make_service(state=ServiceState.ACTIVE)
    assert type(service).objects.get(pk=service.pk).activated_at is not None
    waiting = make_service(state=ServiceState.NOT_ACTIVATED)
    assert type(waiting).objects.get(pk=waiting.pk).activated_at is None
