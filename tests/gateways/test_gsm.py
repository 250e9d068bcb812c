"""Customers' own GSM devices (seed 001 §8d): aliases, part limits, the three drivers.

Every device is a real HTTP server on loopback (tests/gateways/fake_gsm.py)
that records what it was sent; nothing in the drivers is mocked.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts import apiauth
from accounts.models import LedgerEntry, LedgerKind, Route
from gateways import dispatch
from gateways.drivers import Outgoing, driver_for
from gateways.models import Driver, Gateway, GatewayPort
from messaging import transitions
from messaging.models import IncomingMessage, Message, Status

from .fake_gsm import (
    PASSWORD,
    USERNAME,
    Answer,
    FakeDblTek,
    FakeDinstar,
    FakeOpenVox,
    RefusingAddress,
)

pytestmark = pytest.mark.django_db

NUMBER = "48600100123"
POLISH = "Zażółć gęślą jaźń €"


@pytest.fixture
def dinstar():
    with FakeDinstar() as device:
        yield device


@pytest.fixture
def openvox():
    with FakeOpenVox() as device:
        yield device


@pytest.fixture
def dbltek():
    with FakeDblTek() as device:
        yield device


def own_port(service, driver, url, alias, port="1", **settings) -> GatewayPort:
    """A device with one SIM port of ``service`` under ``alias``."""
    gateway, _ = Gateway.objects.get_or_create(
        name=f"{driver} at {url}",
        defaults={
            "driver": driver,
            "settings": {"url": url, "username": USERNAME, "password": PASSWORD, **settings},
        },
    )
    return GatewayPort.objects.create(gateway=gateway, service=service, alias=alias, port=port)


def send(api, alias, text="Hi", to=NUMBER):
    return api("gateway/", to_list=to, message=text, **{"from": alias}).json()


def accepted(data) -> Message:
    assert data["error"] == "OK", data
    return Message.objects.get(pk=data["message_id"])


def statuses(message):
    return dict(message.recipients.values_list("number", "status"))


def refunds(service):
    return LedgerEntry.objects.filter(service=service, kind=LedgerKind.REFUND)


# -- 1. the alias routes to its port; Dinstar polled to DELIVERED -------------------------


def test_a_gsm_alias_is_sent_through_its_dinstar_port_and_polled_to_delivered(
    api, api_service, dinstar
):
    port = own_port(api_service, Driver.DINSTAR, dinstar.url, "biuro", port="2")

    message = accepted(send(api, "biuro"))

    assert (message.route, message.sender) == (Route.OWN_GATEWAY, "biuro")
    recipient = message.recipients.get()
    assert dispatch.dispatch_batch() == 1
    (sent,) = dinstar.to("/api/send_sms")
    assert sent.json == {
        "text": "Hi",
        "port": [2],
        "param": [{"number": "+48600100123", "user_id": recipient.pk}],
        "encoding": "gsm-7bit",
        "request_status_report": False,
    }
    recipient.refresh_from_db()
    assert recipient.status == Status.QUEUED
    assert recipient.gateway_id == port.gateway_id

    assert dispatch.poll_gateways() == 0  # the device is still SENDING
    assert dinstar.to("/api/query_sms_result")[-1].json == {"user_id": [recipient.pk]}
    dinstar.set_status("DELIVERED", count=1, succ_count=1, time="2024-05-06 12:34:56")
    assert dispatch.poll_gateways() == 1

    recipient.refresh_from_db()
    assert recipient.status == Status.DELIVERED
    # The device's clock is local (Europe/Warsaw, summer time).
    assert recipient.delivered_at == datetime(2024, 5, 6, 10, 34, 56, tzinfo=UTC)
    port.gateway.refresh_from_db()
    assert port.gateway.polled_at is not None


@pytest.mark.parametrize(
    ("device_says", "reports", "expected"),
    [
        ("SENT_OK", False, Status.DELIVERED),  # all a device without reports will say
        ("SENT_OK", True, Status.QUEUED),  # wait for the network's report
        ("DELIVERED", True, Status.DELIVERED),
        ("FAILED", False, Status.REMOTE_ERROR),
        ("SENDING", False, Status.QUEUED),
    ],
)
def test_dinstar_results_map_to_statuses(api, api_service, dinstar, device_says, reports, expected):
    own_port(api_service, Driver.DINSTAR, dinstar.url, "biuro", delivery_reports=reports)
    message = accepted(send(api, "biuro"))
    dispatch.dispatch_batch()
    assert dinstar.to("/api/send_sms")[0].json["request_status_report"] is reports

    dinstar.set_status(device_says)
    dispatch.poll_gateways()

    assert statuses(message) == {NUMBER: expected}
    refunded = refunds(api_service)
    assert refunded.count() == (1 if expected == Status.REMOTE_ERROR else 0)


def test_dinstar_groups_a_batch_by_port_and_text_32_numbers_a_request(api, api_service, dinstar):
    own_port(api_service, Driver.DINSTAR, dinstar.url, "sklep", port="1")
    own_port(api_service, Driver.DINSTAR, dinstar.url, "biuro", port="2")
    many = [f"486001{n:05d}" for n in range(33)]
    first = accepted(send(api, "sklep", text=POLISH, to=",".join(many)))
    second = accepted(send(api, "biuro", text=POLISH))

    assert dispatch.dispatch_batch() == 34

    requests = [r.json for r in dinstar.to("/api/send_sms")]
    assert sorted((r["port"], len(r["param"])) for r in requests) == [([1], 1), ([1], 32), ([2], 1)]
    assert {r["text"] for r in requests} == {POLISH}
    assert {r["encoding"] for r in requests} == {"unicode"}
    assert set(statuses(first).values()) == set(statuses(second).values()) == {Status.QUEUED}


def test_dinstar_does_not_send_again_what_a_dead_worker_sent(api, api_service, dinstar):
    port = own_port(api_service, Driver.DINSTAR, dinstar.url, "biuro", port="2")
    message = accepted(send(api, "biuro", to="48600100123,48600100124"))
    first = transitions.claim_due(10, dispatch.lease())
    # The worker sent, then died before recording the acceptance.
    outgoing = [Outgoing(c.recipient_id, c.number, c.text, c.sender, False, 1, "2") for c in first]
    driver_for(port.gateway).send(outgoing)
    assert len(dinstar.to("/api/send_sms")) == 1

    later = timezone.now() + dispatch.lease() + timedelta(seconds=1)
    assert dispatch.dispatch_batch(now=later) == 2

    assert len(dinstar.to("/api/send_sms")) == 1  # asked, found, not sent again
    assert set(statuses(message).values()) == {Status.QUEUED}


def test_dinstar_refusing_the_send_leaves_the_recipients_for_a_retry(api, api_service, dinstar):
    own_port(api_service, Driver.DINSTAR, dinstar.url, "biuro")
    dinstar.send_error_code = 500
    message = accepted(send(api, "biuro"))

    dispatch.dispatch_batch()

    recipient = message.recipients.get()
    assert recipient.status == Status.PENDING
    # Nothing went out: released (cancellable again), due again in 30 s.
    assert recipient.claimed_until is None
    assert timezone.now() < recipient.send_at <= timezone.now() + timedelta(seconds=31)


def test_dinstar_with_a_wrong_password_sends_nothing(api, api_service, dinstar):
    port = own_port(api_service, Driver.DINSTAR, dinstar.url, "biuro")
    port.gateway.settings["password"] = "wrong"
    port.gateway.save()
    message = accepted(send(api, "biuro"))

    dispatch.dispatch_batch()

    assert statuses(message) == {NUMBER: Status.PENDING}
    assert dinstar.sms == {}  # the device took nothing


# -- 2. vendor part limits at accept time --------------------------------------------------


@pytest.mark.parametrize(
    ("driver", "longest"),
    [(Driver.DINSTAR, 612), (Driver.OPENVOX, 612), (Driver.DBLTEK, 160)],
)
def test_the_vendors_part_limit_is_checked_when_the_message_is_accepted(
    api, api_service, driver, longest
):
    # seed 001 §8d: Dinstar and OpenVox 4 parts (612 GSM characters), DBLTek 1 (160).
    own_port(api_service, driver, "http://127.0.0.1:9/", "gsm")

    data = send(api, "gsm", text="a" * (longest + 1))

    assert (data["error"], data["error_from"]) == ("MESSAGE_TOO_LONG", "message")
    assert not Message.objects.exists()
    message = accepted(send(api, "gsm", text="a" * longest))
    assert message.parts == {612: 4, 160: 1}[longest]


def test_a_premium_sender_id_still_takes_six_parts(api, api_service):
    from accounts.models import SenderId, SenderStatus

    SenderId.objects.create(service=api_service, name="Firma", status=SenderStatus.ALLOWED)
    assert accepted(send(api, "Firma", text="a" * 918)).parts == 6


# -- 3. another customer's alias -----------------------------------------------------------


def test_another_customers_alias_is_refused_like_an_unknown_name(api, make_service):
    other = make_service(username="bob")
    own_port(other, Driver.DINSTAR, "http://127.0.0.1:9/", "sklep")

    theirs = send(api, "sklep")
    unknown = send(api, "nosuch")

    assert (theirs["error"], theirs["error_from"]) == ("SENDER_ID_NOT_REGISTERED", "from")
    assert theirs.keys() == unknown.keys()
    assert theirs["error_description"].replace("sklep", "X") == unknown[
        "error_description"
    ].replace("nosuch", "X")
    assert not Message.objects.exists()


def test_a_disabled_port_is_refused_at_accept_time(api, api_service):
    port = own_port(api_service, Driver.OPENVOX, "http://127.0.0.1:9/", "biuro")
    port.enabled = False
    port.save()

    assert send(api, "biuro")["error"] == "SENDER_ID_NOT_REGISTERED"


# -- 4. OpenVox and DBLTek -----------------------------------------------------------------


def test_openvox_sends_one_get_per_sms_and_records_delivered(api, api_service, openvox):
    port = own_port(api_service, Driver.OPENVOX, openvox.url, "biuro", port="gsm-1.2")
    message = accepted(send(api, "biuro", text=POLISH, to="48600100123,48600100124"))

    assert dispatch.dispatch_batch() == 2

    seen = openvox.to("/sendsms")
    assert [r.method for r in seen] == ["GET", "GET"]
    assert {r.query["phonenumber"] for r in seen} == {"+48600100123", "+48600100124"}
    assert seen[0].query == {
        "username": USERNAME,
        "password": PASSWORD,
        "phonenumber": seen[0].query["phonenumber"],
        "message": POLISH,
        "port": "gsm-1.2",
        "report": "JSON",
        "timeout": "0",
    }
    assert set(statuses(message).values()) == {Status.DELIVERED}
    assert set(message.recipients.values_list("gateway", flat=True)) == {port.gateway_id}
    assert not refunds(api_service).exists()


def test_dbltek_sends_one_get_per_sms_and_records_delivered(api, api_service, dbltek, monkeypatch):
    monkeypatch.setenv("DBLTEK_PASSWORD", PASSWORD)
    port = own_port(api_service, Driver.DBLTEK, dbltek.url, "biuro", port="3")
    port.gateway.settings = {
        "url": dbltek.url,
        "username": USERNAME,
        "password_env": "DBLTEK_PASSWORD",
    }
    port.gateway.save()
    message = accepted(send(api, "biuro", text=POLISH))

    assert dispatch.dispatch_batch() == 1

    (seen,) = dbltek.to("/cgi/WebCGI")
    assert seen.query == {
        "1500101": f"account={USERNAME}",
        "password": PASSWORD,
        "port": "3",
        "destination": "+48600100123",
        "content": POLISH,
    }
    assert statuses(message) == {NUMBER: Status.DELIVERED}


@pytest.mark.parametrize("driver", [Driver.OPENVOX, Driver.DBLTEK])
def test_a_device_that_did_not_send_is_remote_error_refunded_once(
    api, api_service, openvox, dbltek, driver
):
    device = openvox if driver == Driver.OPENVOX else dbltek
    device.failing = {"+48600100999"}
    own_port(api_service, driver, device.url, "biuro")
    before = api_service.balance
    message = accepted(send(api, "biuro", to="48600100123,48600100999"))

    dispatch.dispatch_batch()

    assert statuses(message) == {
        "48600100123": Status.DELIVERED,
        "48600100999": Status.REMOTE_ERROR,
    }
    (refund,) = refunds(api_service)
    assert refund.amount == message.recipient_price > 0
    api_service.refresh_from_db()
    assert api_service.balance == before - message.recipient_price
    # The same outcome again (a repeated poll, a retried record) refunds nothing more.
    failed = message.recipients.get(number="48600100999")
    assert transitions.apply_reports([transitions.Report(failed.pk, Status.REMOTE_ERROR)]) == []
    assert refunds(api_service).count() == 1


def test_openvox_sends_few_per_call_and_stops_at_a_failure(api, api_service, openvox):
    own_port(api_service, Driver.OPENVOX, openvox.url, "biuro", batch_size=3)
    numbers = [f"4860010012{n}" for n in range(5)]
    message = accepted(send(api, "biuro", to=",".join(numbers)))

    dispatch.dispatch_batch()

    # At most batch_size SMS a call: the rest is released for the next one.
    assert len(openvox.to("/sendsms")) == 3
    assert sorted(statuses(message).values()) == [Status.DELIVERED] * 3 + [Status.PENDING] * 2
    pending = message.recipients.filter(status=Status.PENDING)
    assert all(r.claimed_until <= timezone.now() + timedelta(seconds=31) for r in pending)

    # The device breaks down after one more SMS: one sent, the other waits.
    original = openvox.handle
    calls = []

    def breaking(seen):
        calls.append(seen)
        return original(seen) if len(calls) == 1 else Answer(503, b"busy")

    openvox.handle = breaking
    later = timezone.now() + timedelta(seconds=31)
    assert dispatch.dispatch_batch(now=later) == 2
    assert len(calls) == 2
    assert sorted(statuses(message).values()) == [Status.DELIVERED] * 4 + [Status.PENDING]


def test_no_request_starts_once_the_claim_could_lapse_before_it_ends(
    api, api_service, openvox, settings
):
    # A 50 s lease leaves no time after the first request (25 s at its slowest):
    # the rest is released rather than sent while another worker may claim it.
    settings.DISPATCH_LEASE_SECONDS = 50
    own_port(api_service, Driver.OPENVOX, openvox.url, "biuro")
    message = accepted(send(api, "biuro", to="48600100123,48600100124"))

    dispatch.dispatch_batch()

    assert len(openvox.to("/sendsms")) == 1
    assert sorted(statuses(message).values()) == [Status.DELIVERED, Status.PENDING]


# -- 5. a device that is down ---------------------------------------------------------------


@pytest.mark.parametrize("driver", [Driver.DINSTAR, Driver.OPENVOX, Driver.DBLTEK])
def test_a_device_that_is_down_leaves_the_recipients_pending_for_a_retry(api, api_service, driver):
    with RefusingAddress() as down:
        own_port(api_service, driver, down.url, "biuro")
        message = accepted(send(api, "biuro", to="48600100123,48600100124"))

        assert dispatch.dispatch_batch() == 2

    for recipient in message.recipients.all():
        assert recipient.status == Status.PENDING
        assert recipient.gateway_id is None
        # Released: due again in 30 s, not at the end of the 2-minute lease.
        assert recipient.claimed_until is None
        assert timezone.now() < recipient.send_at <= timezone.now() + timedelta(seconds=31)
    assert not refunds(api_service).exists()


def test_polling_a_dinstar_that_is_down_changes_nothing(api, api_service, dinstar):
    port = own_port(api_service, Driver.DINSTAR, dinstar.url, "biuro")
    message = accepted(send(api, "biuro"))
    dispatch.dispatch_batch()
    with RefusingAddress() as down:
        port.gateway.settings["url"] = down.url
        port.gateway.save()

        assert dispatch.poll_gateways() == 0

    assert statuses(message) == {NUMBER: Status.QUEUED}


# -- 6. incoming SMS from a device ---------------------------------------------------------


def test_incoming_sms_from_a_device_arrive_with_the_alias_as_to_number(client, api_service):
    own_port(api_service, Driver.DINSTAR, "http://127.0.0.1:9/", "biuro")
    sms_hash = apiauth.regenerate_sms_hash(api_service)

    # seed 001 §3a: to_number is "Numer telefonu odbiorcy lub Alias Bramy"; §8d: a
    # Dinstar may pass a caller ID that is not a number as it is.
    for sender in ("48600100123", "ORANGE"):
        data = client.post(
            f"/sms_api/incoming/{sms_hash}/",
            {"from_number": sender, "to_number": "biuro", "sms_message": "Odpowiedź: tak"},
        ).json()
        assert data == {"error": "OK"}

    stored = IncomingMessage.objects.filter(service=api_service).order_by("id")
    assert [(m.from_number, m.to_number, m.text) for m in stored] == [
        ("48600100123", "biuro", "Odpowiedź: tak"),
        ("ORANGE", "biuro", "Odpowiedź: tak"),
    ]


# -- 7. a port disabled after acceptance ---------------------------------------------------


@pytest.mark.parametrize("what", ["port", "gateway", "deleted"])
def test_a_port_gone_after_acceptance_is_remote_error_and_refunded(api, api_service, dinstar, what):
    port = own_port(api_service, Driver.DINSTAR, dinstar.url, "biuro")
    before = api_service.balance
    message = accepted(send(api, "biuro"))
    if what == "port":
        GatewayPort.objects.filter(pk=port.pk).update(enabled=False)
    elif what == "gateway":
        Gateway.objects.filter(pk=port.gateway_id).update(enabled=False)
    else:
        port.delete()

    assert dispatch.dispatch_batch() == 1

    assert statuses(message) == {NUMBER: Status.REMOTE_ERROR}
    assert dinstar.requests == []
    api_service.refresh_from_db()
    assert api_service.balance == before
    assert sum(e.amount for e in refunds(api_service)) == message.recipient_price > Decimal(0)
