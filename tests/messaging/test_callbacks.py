"""Delivery-report and incoming-SMS callbacks (seed 001 §3b, §5b), POSTed to a real server."""

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import pytest
from django.utils import timezone

from gateways import dispatch
from lib import outbound
from messaging import callbacks, services, transitions
from messaging.callbacks import deliver_due
from messaging.models import Callback, CallbackAttempt, CallbackState, Status
from messaging.transitions import Report
from tests.receiver import Receiver

FAILING = {"48600100000": "REJECTED", "48600100999": "EXPIRED", "48600100998": "REMOTE_ERROR"}
RETRY = timedelta(seconds=300)


@pytest.fixture
def allow_private(settings):
    settings.CALLBACK_ALLOW_PRIVATE = True


@pytest.fixture
def receiver(allow_private):
    with Receiver() as server:
        yield server


def send(service, numbers=("48600100123",), **fields):
    request = services.SendRequest(recipients=list(numbers), text="Test", **fields)
    message = services.submit(service.pk, request).message
    dispatch.dispatch_batch()
    return message


def records(body: bytes) -> list[list[str]]:
    return [record.split(",") for record in parse_qs(body.decode())["status[]"]]


def only_callback() -> Callback:
    return Callback.objects.get()


def test_reports_go_20_records_a_call_in_the_seeds_format(api_service, simulator, receiver):
    numbers = [*FAILING, *(f"4860020{n:04d}" for n in range(1, 23))]
    message = send(api_service, numbers, notify_url=receiver.url)
    assert deliver_due() == 2
    assert sorted(len(records(body)) for body in receiver.bodies) == [5, 20]  # concurrent POSTs
    got = {r[2]: r for body in receiver.bodies for r in records(body)}
    assert set(got) == set(numbers)
    for recipient in message.recipients.all():
        status = FAILING.get(recipient.number, "DELIVERED")
        at = int(recipient.delivered_at.timestamp()) if status == "DELIVERED" else -1
        assert got[recipient.number] == [
            str(message.pk),
            str(recipient.pk),
            recipient.number,
            status,
            str(at),
        ]
    # The raw body is the seed's example 8: status[]=… joined by &, brackets unencoded.
    assert sorted(b.decode().count("status[]=") for b in receiver.bodies) == [5, 20]
    assert set(Callback.objects.values_list("state", flat=True)) == {CallbackState.DELIVERED}


def test_report_callbacks_hold_at_most_20_records(api_service, simulator):
    numbers = [f"486001{n:05d}" for n in range(1, 26)]
    message = send(api_service, numbers, notify_url="https://example.com/dlr")
    calls = list(Callback.objects.filter(message=message).order_by("id"))
    assert [c.record_count for c in calls] == [20, 5]
    first = message.recipients.order_by("id").first()
    record = calls[0].body.split("&")[0]
    assert record == (
        f"status[]={message.pk},{first.pk},{first.number},DELIVERED,"
        f"{int(first.delivered_at.timestamp())}"
    )
    assert all(c.url == "https://example.com/dlr" for c in calls)


def test_no_callbacks_without_a_url(api_service, simulator):
    send(api_service, [*FAILING, "48600100123"])
    assert not Callback.objects.exists()


def test_the_services_callback_url_serves_messages_without_notify_url(
    api_service, simulator, allow_private
):
    with Receiver() as service_url, Receiver() as notify_url:
        api_service.callback_url = service_url.url
        api_service.save()
        plain = send(api_service, ["48600100123"])
        own = send(api_service, ["48600100124"], notify_url=notify_url.url)
        assert deliver_due() == 2
    assert [records(b)[0][0] for b in service_url.bodies] == [str(plain.pk)]
    assert [records(b)[0][0] for b in notify_url.bodies] == [str(own.pk)]


def test_each_post_is_signed_with_the_services_secret(api_service, simulator, receiver):
    send(api_service, notify_url=receiver.url)
    send(api_service, ["48600100124"], notify_url=receiver.url)
    old_secret = callbacks.signing_secret(api_service)
    deliver_due(limit=1)
    new_secret = callbacks.regenerate_signing_secret(api_service)
    assert new_secret != old_secret
    deliver_due()
    for request, secret in zip(receiver.requests, [old_secret, new_secret], strict=True):
        expected = hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
        assert request.headers[callbacks.SIGNATURE_HEADER] == f"sha256={expected}"


def test_an_answer_other_than_ok_is_retried_until_ok_then_never_again(
    api_service, simulator, allow_private
):
    with Receiver(answers=["ERROR", "OK"]) as receiver:
        send(api_service, notify_url=receiver.url)
        now = timezone.now()
        deliver_due(now=now)
        callback = only_callback()
        assert callback.state == CallbackState.PENDING
        assert callback.next_attempt_at == now + RETRY
        assert deliver_due(now=now + RETRY - timedelta(seconds=1)) == 0
        assert deliver_due(now=now + RETRY) == 1
        assert deliver_due(now=now + timedelta(days=1)) == 0
    assert len(receiver.bodies) == 2
    assert receiver.bodies[0] == receiver.bodies[1]
    assert only_callback().state == CallbackState.DELIVERED
    log = CallbackAttempt.objects.values_list("url", "http_status", "response_excerpt", "ok")
    assert list(log) == [(receiver.url, 200, "ERROR", False), (receiver.url, 200, "OK", True)]


def test_records_that_change_later_go_in_a_new_callback_only(api_service, receiver):
    request = services.SendRequest(recipients=["48600100123", "48600100124"], text="Hi")
    message = services.submit(api_service.pk, request).message
    message.notify_url = receiver.url
    message.save()
    first, second = message.recipients.order_by("id")
    transitions.apply_reports([Report(first.pk, Status.DELIVERED)])
    deliver_due()
    transitions.apply_reports([Report(second.pk, Status.EXPIRED)])
    deliver_due()
    assert [[r[1] for r in records(body)] for body in receiver.bodies] == [
        [str(first.pk)],
        [str(second.pk)],
    ]


@pytest.mark.parametrize(
    "answer, ok",
    [
        ("OK", True),
        ("OK\n", True),
        ("OK\r\n", True),
        ("ok?", False),
        ("FAIL", False),
        ("ok", False),
        ("OK OK", False),
        ("", False),
        ((500, "OK"), False),
        ((302, "OK"), False),
    ],
)
def test_only_an_ok_body_with_success_status_counts(
    api_service, simulator, allow_private, answer, ok
):
    with Receiver(answers=[answer]) as receiver:
        send(api_service, notify_url=receiver.url)
        deliver_due()
    expected = CallbackState.DELIVERED if ok else CallbackState.PENDING
    assert only_callback().state == expected
    assert CallbackAttempt.objects.get().ok is ok


def test_retries_every_5_minutes_for_2_hours_then_gives_up(api_service, simulator, allow_private):
    with Receiver(answers=["ERROR"]) as receiver:
        send(api_service, notify_url=receiver.url)
        callback = only_callback()
        at = callback.created_at
        while deliver_due(now=at):
            at += RETRY
        assert deliver_due(now=callback.created_at + timedelta(days=1)) == 0
    callback.refresh_from_db()
    assert callback.state == CallbackState.GIVEN_UP
    assert callback.attempts == len(receiver.requests) == 25  # at 0, 5, 10, …, 120 minutes
    assert callback.finished_at == callback.created_at + timedelta(hours=2)


def test_an_unresolvable_host_is_given_up_after_one_attempt(api_service, simulator):
    send(api_service, notify_url="http://no-such-host.invalid/dlr")
    assert deliver_due() == 1
    assert deliver_due(now=timezone.now() + timedelta(minutes=10)) == 0
    callback = only_callback()
    assert (callback.state, callback.attempts) == (CallbackState.GIVEN_UP, 1)
    attempt = CallbackAttempt.objects.get()
    assert attempt.url == "http://no-such-host.invalid/dlr"
    assert (attempt.ok, attempt.http_status) == (False, None)
    assert "does not resolve" in attempt.error


def test_a_refused_connection_is_retried(api_service, simulator, allow_private):
    with Receiver() as gone:
        url = gone.url
    send(api_service, notify_url=url)
    deliver_due()
    callback = only_callback()
    assert callback.state == CallbackState.PENDING
    assert "connect failed" in CallbackAttempt.objects.get().error


def test_the_incoming_sms_callback_carries_the_text_in_utf8(service, receiver):
    service.callback_url = receiver.url
    service.save()
    received_at = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    services.store_incoming(
        service.pk, "48600100200", "48500000000", "Zażółć gęślą jaźń", received_at
    )
    assert deliver_due() == 1
    [request] = receiver.requests
    assert parse_qs(request.body.decode("utf-8")) == {
        "from_number": ["48600100200"],
        "to_number": ["48500000000"],
        "sms_message": ["Zażółć gęślą jaźń"],
        "sms_date": [str(int(received_at.timestamp()))],
    }
    assert request.headers["Content-Type"].endswith("charset=utf-8")


def test_no_incoming_callback_without_a_callback_url(service):
    services.store_incoming(service.pk, "48600100200", "48500000000", "Hej", None)
    assert not Callback.objects.exists()


def test_without_the_setting_a_loopback_receiver_is_given_up_untouched(
    api_service, simulator, settings
):
    with Receiver() as receiver:
        send(api_service, notify_url=receiver.url)
        settings.CALLBACK_ALLOW_PRIVATE = False
        deliver_due()
    assert receiver.requests == []
    assert only_callback().state == CallbackState.GIVEN_UP
    assert "not allowed" in CallbackAttempt.objects.get().error


def test_resend_delivers_the_reports_again(api_service, simulator, receiver):
    message = send(api_service, ["48600100123", "48600100000"], notify_url=receiver.url)
    deliver_due()
    assert callbacks.resend_message(message.pk) == 1
    assert deliver_due() == 1
    assert len(receiver.bodies) == 2
    assert receiver.bodies[0] == receiver.bodies[1]


def test_an_answer_with_a_nul_byte_is_recorded(api_service, simulator, allow_private):
    # PostgreSQL text cannot hold NUL: the attempt must still be written.
    with Receiver(answers=["\x00OK"]) as receiver:
        send(api_service, notify_url=receiver.url)
        deliver_due()
    assert CallbackAttempt.objects.get().response_excerpt == "\ufffdOK"
    assert only_callback().state == CallbackState.PENDING


def test_no_post_starts_that_could_outlast_the_claim(
    api_service, simulator, allow_private, monkeypatch, settings
):
    settings.CALLBACK_CONCURRENCY = 1  # one POST after the other
    monkeypatch.setattr(callbacks, "CLAIM_SECONDS", 1.5)
    monkeypatch.setattr(outbound, "TOTAL_TIMEOUT", 0.9)
    with Receiver(delay=0.7) as slow:
        for number in ["48600100123", "48600100124"]:
            send(api_service, [number], notify_url=slow.url)
        assert deliver_due() == 1  # the second is given back, not left claimed
        assert Callback.objects.filter(claimed_until__isnull=False).count() == 0
        assert deliver_due() == 1
    assert len(slow.requests) == 2
    assert set(Callback.objects.values_list("state", flat=True)) == {CallbackState.DELIVERED}
