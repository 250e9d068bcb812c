"""The minute tick: catch-up work, and scheduled sends on their second."""

from datetime import timedelta

from django.utils import timezone

from gateways import tasks
from gateways.models import SimulatedSms
from messaging import services
from messaging.models import Recipient, Status


def test_tick_sends_a_scheduled_message_at_its_time_not_before(api_service, simulator, monkeypatch):
    monkeypatch.setattr(tasks, "TICK_BUDGET", 5.0)
    at = timezone.now() + timedelta(seconds=2)
    request = services.SendRequest(recipients=["48600100123"], text="Later", send_at=at)
    message = services.submit(api_service.pk, request).message
    done = tasks.tick()
    sent = SimulatedSms.objects.get()
    assert sent.sent_at >= at  # not before its time
    assert sent.sent_at - at < timedelta(seconds=2)  # and not a minute late
    assert done["dispatched"] == 1
    assert Recipient.objects.get(message=message).status == Status.DELIVERED


def test_tick_expires_recipients_no_report_came_for(api_service, simulator, settings):
    simulator.settings = {"delay": 3600}
    simulator.save()
    request = services.SendRequest(recipients=["48600100123"], text="Lost")
    message = services.submit(api_service.pk, request).message
    tasks.dispatcher.dispatch_batch()
    Recipient.objects.update(status_at=timezone.now() - timedelta(hours=49))
    api_service.refresh_from_db()
    before = api_service.balance
    assert tasks.tick()["expired"] == 1
    assert Recipient.objects.get(message=message).status == Status.EXPIRED
    api_service.refresh_from_db()
    assert api_service.balance == before + message.recipient_price  # refunded


def test_tick_releases_held_recipients(api_service, simulator):
    request = services.SendRequest(recipients=["48600100123"], text="Held")
    message = services.submit(api_service.pk, request).message
    api_service.block_by_customer()
    tasks.dispatcher.dispatch_batch()
    assert Recipient.objects.get(message=message).status == Status.ON_HOLD
    api_service.unblock_by_customer()
    done = tasks.tick()
    assert done["released"] == 1
    assert Recipient.objects.get(message=message).status == Status.DELIVERED
