"""Every refusal of the send pipeline is answered to the mail's sender (Załącznik 1).

``intake._send_refusal`` reads ``intake.SEND_REFUSALS`` by the refusal's
class, or its nearest ancestor's. The walk covers every ``SendError`` subclass
found at run time, so a refusal added later is checked without being listed here.
"""

import pytest
from django.core import mail as outbox

from accounts.models import ServiceState
from lib import classtable
from mailbridge import intake, replies
from mailbridge.models import InboundMail, Outcome
from messaging import services
from tests.mailbridge.conftest import PASSWORD, SENDER, domain, mail
from tests.refusals import each_refusal, refusal

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind", each_refusal())
def test_each_refusal_is_named_in_the_table_not_left_to_the_fallback(kind):
    assert classtable.nearest(intake.SEND_REFUSALS, kind) not in (None, services.SendError)


@pytest.mark.parametrize("kind", each_refusal())
def test_each_refusal_is_recorded_and_answered(kind, mail_service, monkeypatch):
    def refuse(service_id, request):
        raise refusal(kind)

    monkeypatch.setattr(intake.services, "submit", refuse)

    intake.handle(
        mail(f"{PASSWORD}\n601123456\n---\nHej"),
        envelope_sender=SENDER,
        recipients=[f"box@{domain()}"],
    )

    row = InboundMail.objects.get()
    assert row.outcome == Outcome.REFUSED and row.reason
    replies.send_due()
    [reply] = outbox.outbox
    assert reply.to == [SENDER]


def test_a_service_refused_answers_its_state_code():
    answer = intake._send_refusal(services.ServiceRefused(104))

    assert (answer.reason, answer.code) == (intake.SERVICE_REFUSED, 104)
    assert "zdeaktywowana" in answer.detail


def test_each_state_that_refuses_a_send_has_its_annex_1_text():
    assert set(intake.STATE_TEXT) == set(ServiceState) - {ServiceState.ACTIVE}


def test_a_state_refusal_carries_the_state_as_its_code():
    answer = intake._state_refusal(ServiceState.IN_DEBT)

    assert answer == intake.Refusal(
        intake.SERVICE_REFUSED,
        "Wysłanie SMS nie jest możliwe: konto usługi jest w stanie debetu: brak środków na "
        "koncie lub usługa jest zadłużona.",
        102,
    )


def test_a_refusal_a_mail_cannot_cause_is_an_internal_error_1001(caplog):
    answer = intake._send_refusal(services.MessageInFlight("not final"))

    assert (answer.reason, answer.code) == ("internal", 1001)
    assert "MessageInFlight" in caplog.text
