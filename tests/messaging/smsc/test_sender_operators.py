"""``senders.php operators=1`` answers seed 004's ten fields as stored, whatever staff set
at the platform's own operators (settings.SENDER_NAME_OPERATORS, SenderOperatorStatus)."""

import pytest
from django.test import override_settings

from accounts.models import (
    SENDER_OPERATORS,
    OperatorStatus,
    SenderId,
    SenderOperatorStatus,
    SenderStatus,
)

pytestmark = pytest.mark.django_db

SEED_STATUSES = dict(zip(SENDER_OPERATORS, [0, 1, 2, 3, 4, 5, 6, 0, 1, 2], strict=True))


@pytest.mark.parametrize("fmt", [0, 1, 2, 3])
def test_the_platforms_operator_statuses_leave_the_answer_as_it_was(smsc, api_service, fmt):
    shop = SenderId.objects.create(
        service=api_service, name="Shop", status=SenderStatus.ALLOWED, **SEED_STATUSES
    )
    new = SenderId.objects.create(service=api_service, name="New", status=SenderStatus.ALLOWED)
    before = smsc("senders", get=1, operators=1, fmt=fmt)
    listed_before = smsc("senders", get=1, all=1, fmt=fmt)

    for sender in (shop, new):
        for operator in ("orange", "play", "plus", "t-mobile", "mts"):
            SenderOperatorStatus.objects.create(
                sender=sender, operator=operator, status=OperatorStatus.REFUSED
            )
    # Even an operator configured under one of seed 004's codes stays off the wire.
    with override_settings(SENDER_NAME_OPERATORS={"mts": "MTS", "play": "Play"}):
        after = smsc("senders", get=1, operators=1, fmt=fmt)
        listed_after = smsc("senders", get=1, all=1, fmt=fmt)

    assert (after, listed_after) == (before, listed_before)


def test_a_new_name_answers_seed_004s_fields_at_0(smsc, api_service):
    name = SenderId.objects.create(service=api_service, name="New", status=SenderStatus.ALLOWED)
    SenderOperatorStatus.objects.create(sender=name, operator="play", status=2)

    answer = smsc("senders", get=1, operators=1, fmt=0)

    assert answer == "name = New, " + ", ".join(f"{op} = 0" for op in SENDER_OPERATORS)
