"""``manage.py stuck_work``: background work that is not moving, listed and stopped."""

from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from gateways import dispatch
from gateways.models import Driver, Gateway
from messaging import services
from messaging.models import Callback, CallbackState, Recipient, Status


def run(*args):
    out = StringIO()
    call_command("stuck_work", *args, stdout=out)
    return out.getvalue()


def send(service, numbers, **fields):
    request = services.SendRequest(recipients=numbers, text="Hej", **fields)
    return services.submit(service.pk, request).message


def test_stuck_work_lists_and_expires_old_queued_recipients(api_service, simulator):
    simulator.settings = {"delay": 3600}
    simulator.save()
    before = api_service.balance
    message = send(api_service, ["48600100123", "48600100124"])
    dispatch.dispatch_batch()
    Recipient.objects.update(status_at=timezone.now() - timedelta(hours=49))
    output = run()
    assert "QUEUED over 48 h without a report: 2 in 1 message(s)" in output
    output = run("--expire-queued")
    assert "expired 2 recipient(s)" in output
    assert set(message.recipients.values_list("status", flat=True)) == {Status.EXPIRED}
    api_service.refresh_from_db()
    assert api_service.balance == before  # charged, then refunded once
    assert "expired 0 recipient(s)" in run("--expire-queued")


def test_stuck_work_reports_undispatched_and_gives_up_old_callbacks(api_service):
    send(api_service, ["48600100123"])  # no gateway: stays PENDING
    Recipient.objects.update(send_at=timezone.now() - timedelta(minutes=30))
    Callback.objects.create(
        service=api_service,
        kind="incoming",
        url="https://example.com/in",
        body="x=1",
        created_at=timezone.now() - timedelta(hours=50),
    )
    output = run("--give-up-callbacks")
    assert "due over 10 min ago, not dispatched: 1 in 1 message(s)" in output
    assert "callbacks retrying: 1 to https://example.com/in" in output
    assert "gave up 1 callback(s) older than 48 h" in output
    assert Callback.objects.get().state == CallbackState.GIVEN_UP


def test_stuck_work_lists_recipients_waiting_for_a_gateway_with_the_reason(api_service):
    send(api_service, ["48600100123", "48600100124"])
    output = run()
    assert (
        "PENDING on the standard route (messages with an empty sender): 2 in 1 message(s), "
        "because no enabled gateway serves it." in output
    )
    assert "seed_simulator" in output
    for recipient in Recipient.objects.all():
        assert (
            f"recipient {recipient.pk} of message {recipient.message_id} to {recipient.number}: "
            "waiting for a gateway" in output
        )
    Gateway.objects.create(name="Sim", driver=Driver.SIMULATOR, serves_standard=True)
    assert "PENDING on the standard route" not in run()
