"""May this service send after taking an amount: the Python rule, its Q and its SQL agree."""

from decimal import Decimal

import pytest
from django.db import connection

from accounts.models import Service, ServiceState

pytestmark = pytest.mark.django_db

CREDIT_LIMITS = [Decimal("0"), Decimal("2.5000")]
AMOUNTS = [Decimal("0"), Decimal("0.0700"), Decimal("0.7500")]
# Around the edge, where the balance after taking the amount is exactly -credit_limit.
OFFSETS = {"exactly at the limit": Decimal("0"), "0.0001 below": Decimal("-0.0001")}
OFFSETS |= {"0.0001 above": Decimal("0.0001"), "well above": Decimal("100")}


def _by_q(service: Service, amount: Decimal) -> bool:
    rows = Service.objects.filter(pk=service.pk)
    included = rows.filter(Service.may_send_after_q(amount)).exists()
    # The dispatcher's hold check excludes by the same Q.
    kept_by_exclude = not rows.exclude(Service.may_send_after_q(amount)).exists()
    return included if included is kept_by_exclude else None


def _by_sql(service: Service, amount: Decimal) -> bool:
    condition = Service.may_send_after_sql("%(amount)s")
    query = f"SELECT {condition} FROM accounts_service s WHERE s.id = %(id)s"  # noqa: S608 - a constant fragment
    with connection.cursor() as cursor:
        cursor.execute(query, {"amount": amount, "id": service.pk})
        return cursor.fetchone()[0]


@pytest.mark.parametrize(
    "spelling",
    [pytest.param(_by_q, id="q"), pytest.param(_by_sql, id="sql", marks=pytest.mark.postgres)],
)
def test_every_spelling_of_may_send_after_agrees_with_the_python_rule(make_service, spelling):
    service = make_service()
    disagree = []
    for state in ServiceState:
        for credit_limit in CREDIT_LIMITS:
            for amount in AMOUNTS:
                for label, offset in OFFSETS.items():
                    balance = amount - credit_limit + offset
                    Service.objects.filter(pk=service.pk).update(
                        state=state, balance=balance, credit_limit=credit_limit
                    )
                    service.refresh_from_db()
                    expected = state == ServiceState.ACTIVE and offset >= 0
                    in_python = service.may_send_after(amount)
                    spelled = spelling(service, amount)
                    if not (in_python is spelled is expected):
                        case = (state.name, str(credit_limit), str(amount), label)
                        disagree.append((case, in_python, spelled))
                    if amount == 0:
                        # The refusal codes rest on the rule at amount 0: the
                        # state's own code, then 102 for an active service below
                        # its credit limit.
                        refusal = None if expected else int(state) or 102
                        assert service.sending_refusal() == refusal, (state, label)
                        assert service.may_send is expected
    assert disagree == []
