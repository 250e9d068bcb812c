"""Every refusal of the send pipeline becomes words on the send form, never an error page.

``sending.refusal`` reads ``sending.REFUSALS`` by the refusal's class, or its
nearest ancestor's. The walk covers every ``SendError`` subclass found at run
time, so a refusal added later is checked without being listed here.
"""

import pytest

from accounts.models import ServiceState
from lib import classtable
from messaging import services
from messaging.models import Message
from panel import sending
from tests.refusals import each_refusal, refusal

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind", each_refusal())
def test_each_refusal_is_named_in_the_table_not_left_to_the_fallback(kind):
    assert classtable.nearest(sending.REFUSALS, kind) not in (None, services.SendError)


@pytest.mark.parametrize("kind", each_refusal())
def test_each_refusal_is_shown_on_the_form(kind, alice_client, service, monkeypatch):
    def refuse(service_id, key, request, answer_of):
        raise refusal(kind)

    monkeypatch.setattr(services, "submit_once", refuse)

    response = alice_client.post(
        f"/services/{service.pk}/send/",
        {"recipients": "501234567", "text": "Hi", "token": "refused"},
    )

    assert response.status_code == 200
    form = response.context["form"]
    ((field, shown),) = form.errors.items()
    assert field == "__all__" or field in form.fields
    assert shown[0] and "%(" not in shown[0]
    assert not Message.objects.exists()


def test_each_state_that_refuses_a_send_has_its_advice():
    assert set(sending.STATE_ADVICE) == set(ServiceState) - {ServiceState.ACTIVE}


def test_a_service_in_debt_is_told_to_top_up():
    field, text = sending.refusal(services.ServiceRefused(102))

    assert (field, text) == (None, "This service is in debt: top up its balance to send again.")


def test_no_funds_says_what_the_message_costs():
    exc = refusal(services.InsufficientFunds)

    assert sending.refusal(exc) == (
        None,
        "This message costs 1.50 PLN and the service has 0.20 PLN available: "
        "top up or send to fewer recipients.",
    )
