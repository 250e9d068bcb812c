"""status.php of an archived message (messaging.retention): a number is found by its
masked form, the answer echoes the client's own number, the text is gone."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from messaging import retention
from messaging.models import Message, Recipient

from .conftest import DELIVERED, EXPIRED, REJECTED, deliver

pytestmark = pytest.mark.django_db


def age(message, days=400):
    then = timezone.now() - timedelta(days=days)
    Message.objects.filter(pk=message.pk).update(created_at=then, send_at=then)
    Recipient.objects.filter(message=message).update(status_at=then)


def archive(message, days=400):
    age(message, days)
    retention.run()


@pytest.fixture
def sent(api, api_service, simulator):
    answer = api("gateway/", to_list=f"{DELIVERED},{REJECTED},{EXPIRED}", message="Hej").json()
    deliver()
    return Message.objects.get(pk=answer["message_id"])


@pytest.mark.parametrize("detail", [0, 1, 2])
def test_status_php_answers_an_archived_number_as_before_but_the_text(smsc, sent, detail):
    def ask():
        return json.loads(smsc("status", id=sent.pk, phone=f"+{REJECTED}", fmt=3, all=detail))

    age(sent)
    before = ask()
    retention.run()
    after = ask()

    if detail:
        assert before["message"] == "Hej" and after["message"] == ""  # the text is gone
        assert after["phone"] == REJECTED  # the client's own number, as before
        before.pop("message"), after.pop("message")
    assert after == before


def test_status_php_does_not_find_a_number_the_archived_message_never_had(smsc, sent):
    archive(sent)

    answer = json.loads(smsc("status", id=sent.pk, phone="48600100555", fmt=3))

    assert answer["status"] == -3


def test_status_php_cannot_tell_apart_two_archived_numbers_that_mask_alike(api, simulator, smsc):
    twin = "48600200123"
    answer = api("gateway/", to_list=f"{DELIVERED},{twin}", message="Hej").json()
    deliver()
    message = Message.objects.get(pk=answer["message_id"])

    archive(message)

    for number in (DELIVERED, twin):
        assert json.loads(smsc("status", id=message.pk, phone=number, fmt=3))["status"] == -3
        assert smsc("status", id=message.pk, phone=number, **{"del": 1}).startswith("ERROR = 5")
    assert not message.recipients.deleted().exists()


def test_status_php_of_a_message_whose_text_only_is_archived_finds_the_number(smsc, sent, settings):
    settings.RETENTION_NUMBER_DAYS = 0
    archive(sent)

    answer = json.loads(smsc("status", id=sent.pk, phone=EXPIRED, fmt=3, all=1))

    assert answer["phone"] == EXPIRED and answer["status"] != -3 and answer["message"] == ""


def test_status_php_deletes_an_archived_number_named_in_clear(smsc, sent):
    archive(sent)

    assert "OK" in smsc("status", id=sent.pk, phone=REJECTED, **{"del": 1})

    assert json.loads(smsc("status", id=sent.pk, phone=REJECTED, fmt=3))["status"] == -3
    assert json.loads(smsc("status", id=sent.pk, phone=DELIVERED, fmt=3))["status"] != -3
    assert sent.recipients.deleted().get().number == "48******000"
