"""getProgress of an archived message (messaging.retention): its statuses kept, its
numbers masked, and an ``archived`` extension naming what was archived."""

import json
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.utils import timezone

from messaging import retention, services
from messaging.models import Message, Recipient
from tests.messaging.smsc.conftest import DELIVERED, EXPIRED, REJECTED, deliver

pytestmark = pytest.mark.django_db


def archive(message, days=400):
    then = timezone.now() - timedelta(days=days)
    Message.objects.filter(pk=message.pk).update(created_at=then, send_at=then)
    Recipient.objects.filter(message=message).update(status_at=then)
    retention.run()


@pytest.fixture
def sent(api, api_service, simulator):
    answer = api("gateway/", to_list=f"{DELIVERED},{REJECTED},{EXPIRED}", message="Hej").json()
    deliver()
    return Message.objects.get(pk=answer["message_id"])


def test_get_progress_before_archiving_has_no_archived_field(api, sent):
    answer = api(f"getProgress/{sent.pk}/").json()

    assert "archived" not in answer
    assert {r["number"] for r in answer["recipient_list"]} == {DELIVERED, REJECTED, EXPIRED}


def test_get_progress_keeps_the_statuses_and_masks_the_numbers(api, sent):
    before = api(f"getProgress/{sent.pk}/").json()

    archive(sent)
    answer = api(f"getProgress/{sent.pk}/").json()

    assert answer["archived"] == ["text", "numbers"]
    for field in ("error", "message_id", "recipient_count", "success_count", "failure_count"):
        assert answer[field] == before[field]
    assert answer["recipient_list"] == [
        {"number": "48******123", "status": "DELIVERED"},
        {"number": "48******000", "status": "REJECTED"},
        {"number": "48******999", "status": "EXPIRED"},
    ]


def test_get_progress_in_xml_repeats_the_archived_element(api, sent, settings):
    settings.RETENTION_NUMBER_DAYS = 0  # numbers kept: only the text goes
    archive(sent)

    root = ET.fromstring(api(f"getProgress/{sent.pk}/xml/").content)

    assert [e.text for e in root.findall("archived")] == ["text"]
    assert {e.findtext("number") for e in root.findall("recipient_list")} == {
        DELIVERED,
        REJECTED,
        EXPIRED,
    }


def test_get_progress_of_a_large_message_is_not_answered_from_a_list_kept_from_before(
    api, sent, settings
):
    settings.PROGRESS_CACHE_MIN_RECIPIENTS = 1  # lists kept (on PostgreSQL) from 1 up
    api(f"getProgress/{sent.pk}/")  # the list is now kept, numbers in clear

    archive(sent)
    answer = api(f"getProgress/{sent.pk}/").json()

    assert DELIVERED not in json.dumps(answer)
    assert answer["success_count"] == 1


def test_get_progress_leaves_out_a_deleted_recipient_whose_mask_another_shares(
    api, api_service, simulator
):
    # Two numbers that mask alike: the deleted one is left out by its row.
    twin = "48600200123"
    answer = api("gateway/", to_list=f"{DELIVERED},{twin}", message="Hej").json()
    deliver()
    message = Message.objects.get(pk=answer["message_id"])
    services.delete_recipients(api_service.pk, [(message.pk, twin)])  # status.php del=1

    archive(message)
    answer = api(f"getProgress/{message.pk}/").json()

    assert answer["recipient_list"] == [{"number": "48******123", "status": "DELIVERED"}]
    assert answer["recipient_count"] == 1
