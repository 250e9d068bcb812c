"""``manage.py resend_callbacks``: a message's delivery reports are queued again."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from gateways import dispatch
from messaging import services
from messaging.models import Callback, CallbackState


def run(*args):
    out = StringIO()
    call_command("resend_callbacks", *args, stdout=out)
    return out.getvalue()


def test_resend_callbacks_queues_delivered_ones_again(api_service, simulator):
    request = services.SendRequest(
        recipients=["48600100123"], text="Hej", notify_url="https://example.com/dlr"
    )
    message = services.submit(api_service.pk, request).message
    dispatch.dispatch_batch()
    Callback.objects.update(state=CallbackState.DELIVERED, finished_at=timezone.now())
    output = run(str(message.pk))
    assert f"message {message.pk}: 1 callback(s) queued again" in output
    assert Callback.objects.get().state == CallbackState.PENDING


def test_resend_callbacks_refuses_an_unknown_message(db):
    with pytest.raises(CommandError, match="no such message: 999"):
        run("999")
