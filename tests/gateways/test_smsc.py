"""The smsc driver against a fake SMSC upstream on loopback (tests/gateways/fake_smsc.py)."""

import dataclasses
import json
import socket
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from accounts.models import LedgerEntry, LedgerKind
from gateways import dispatch
from gateways.drivers import GatewayUnavailable, Outcome, Outgoing, driver_for
from gateways.drivers.smsc import map_status, send_outcome, status_reports
from gateways.models import Driver, Gateway
from messaging import services, transitions
from messaging.models import Status

from .fake_smsc import FakeSmsc

NUMBERS = ["48600100001", "48600100002", "48600100003"]


@pytest.fixture
def upstream():
    fake = FakeSmsc().start()
    yield fake
    fake.stop()


def make_gateway(url, **settings):
    return Gateway.objects.create(
        name="SMSC",
        driver=Driver.SMSC,
        serves_standard=True,
        serves_premium=True,
        settings={"url": url, "login": "upstream", "password": "secret", **settings},
    )


@pytest.fixture
def smsc(db, upstream):
    return make_gateway(upstream.url)


def send(service, numbers=NUMBERS, **fields):
    request = services.SendRequest(recipients=numbers, text="Test", **fields)
    return services.submit(service.pk, request).message


def recipients(message):
    return {r.number: r for r in message.recipients.all()}


def statuses(message):
    return dict(message.recipients.values_list("number", "status"))


def refunded(service):
    entries = LedgerEntry.objects.filter(service=service, kind=LedgerKind.REFUND)
    return sum(e.amount for e in entries)


def a_minute_later(gateway, upstream):
    """Move the gateway's last poll and the upstream's clock 61 seconds back in time."""
    Gateway.objects.filter(pk=gateway.pk).update(
        polled_at=Gateway.objects.get(pk=gateway.pk).polled_at - timedelta(seconds=61)
    )
    upstream.advance(61)


# -- sending ------------------------------------------------------------------------------


def test_dispatched_recipients_are_queued_with_the_gateway(api_service, smsc, upstream):
    message = send(api_service)
    assert dispatch.dispatch_batch() == 3
    for recipient in message.recipients.all():
        assert (recipient.status, recipient.gateway, recipient.gateway_ref) == (
            Status.QUEUED,
            smsc,
            "",
        )
        assert recipient.claimed_until is None
    sends = upstream.to("/sys/send.php")
    assert [r.fields for r in sends] == [
        {
            "login": "upstream",
            "psw": "secret",
            "phones": r.number,
            "mes": "Test",
            "id": str(r.pk),
            "fmt": "3",
            "charset": "utf-8",
        }
        for r in message.recipients.order_by("id")
    ]
    assert len({r.client_port for r in sends}) == 1  # one keep-alive connection
    assert sorted(upstream.sent) == sorted(str(r.pk) for r in message.recipients.all())


def test_sender_flash_and_the_password_from_the_environment(api_service, db, upstream, monkeypatch):
    monkeypatch.setenv("SMSC_TEST_PASSWORD", "secret")
    gateway = make_gateway(upstream.url, sender="Shop", password_env="SMSC_TEST_PASSWORD")
    gateway.settings.pop("password")
    gateway.save()
    message = send(api_service, numbers=["48600100001"], flash=True)
    dispatch.dispatch_batch()
    assert statuses(message) == {"48600100001": Status.QUEUED}
    fields = upstream.to("/sys/send.php")[0].fields
    assert (fields["psw"], fields["sender"], fields["flash"]) == ("secret", "Shop", "1")


@pytest.mark.parametrize("code", [6, 7, 8])
def test_a_refused_number_is_rejected_and_refunded(api_service, smsc, upstream, code):
    upstream.send_errors["48600100002"] = code
    before = api_service.balance
    message = send(api_service)
    dispatch.dispatch_batch()
    assert statuses(message) == {
        "48600100001": Status.QUEUED,
        "48600100002": Status.REJECTED,
        "48600100003": Status.QUEUED,
    }
    assert refunded(api_service) == message.recipient_price
    api_service.refresh_from_db()
    assert api_service.balance == before - 2 * message.recipient_price
    assert sorted(s.phone for s in upstream.sent.values()) == ["48600100001", "48600100003"]


def test_a_reclaimed_recipient_the_upstream_has_is_not_sent_again(api_service, smsc, upstream):
    message = send(api_service, numbers=["48600100001"])
    lease = dispatch.lease()
    claimed = transitions.claim_due(10, lease)
    # The worker sent, then died before recording the acceptance.
    driver_for(smsc).send(
        [Outgoing(c.recipient_id, c.number, c.text, "", False, 1) for c in claimed]
    )
    assert statuses(message) == {"48600100001": Status.PENDING}
    later = timezone.now() + lease + timedelta(seconds=1)
    assert dispatch.dispatch_batch(now=later) == 1
    assert statuses(message) == {"48600100001": Status.QUEUED}
    recipient_id = str(message.recipients.get().pk)
    assert list(upstream.sent) == [recipient_id]
    assert upstream.sent[recipient_id].requests == 1  # looked up, not sent again
    lookups = upstream.to("/sys/status.php")
    assert [r.fields["id"] for r in lookups] == [recipient_id]
    assert refunded(api_service) == 0


def test_a_reclaimed_recipient_the_upstream_lacks_is_sent(api_service, smsc, upstream):
    message = send(api_service, numbers=["48600100001"])
    lease = dispatch.lease()
    transitions.claim_due(10, lease)  # the worker died before it sent anything
    later = timezone.now() + lease + timedelta(seconds=1)
    assert dispatch.dispatch_batch(now=later) == 1
    recipient_id = str(message.recipients.get().pk)
    assert upstream.sent[recipient_id].requests == 1
    assert statuses(message) == {"48600100001": Status.QUEUED}


def test_upstream_down_leaves_recipients_pending_for_a_retry(api_service, db):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    gateway = make_gateway(f"http://127.0.0.1:{port}/")
    message = send(api_service)
    assert dispatch.dispatch_batch() == 3
    for recipient in message.recipients.all():
        assert recipient.status == Status.PENDING
        assert recipient.claimed_until is None  # released: nothing went out
        assert recipient.send_at > timezone.now()  # due again later
    with pytest.raises(GatewayUnavailable):
        driver_for(gateway).send([Outgoing(1, "48600100001", "Test", "", False, 1)])


def test_an_account_error_before_any_send_makes_the_gateway_unavailable(
    api_service, smsc, upstream
):
    upstream.password = "changed"
    message = send(api_service)
    dispatch.dispatch_batch()
    assert set(statuses(message).values()) == {Status.PENDING}
    assert len(upstream.to("/sys/send.php")) == 1  # stopped at the first refusal
    assert all(r.claimed_until is None for r in message.recipients.all())
    assert all(r.send_at > timezone.now() for r in message.recipients.all())


def test_an_account_error_mid_batch_keeps_what_was_sent(api_service, smsc, upstream):
    upstream.send_errors["48600100002"] = 3  # insufficient funds upstream
    message = send(api_service)
    dispatch.dispatch_batch()
    assert statuses(message) == {
        "48600100001": Status.QUEUED,
        "48600100002": Status.PENDING,
        "48600100003": Status.PENDING,
    }
    assert len(upstream.to("/sys/send.php")) == 2
    waiting = message.recipients.filter(status=Status.PENDING)
    assert all(r.claimed_until > timezone.now() for r in waiting)
    assert refunded(api_service) == 0


def test_a_slow_batch_stops_within_the_dispatch_lease(api_service, smsc, upstream, settings):
    settings.DISPATCH_LEASE_SECONDS = 0  # every send after the first is past half the lease
    message = send(api_service)
    dispatch.dispatch_batch()
    assert statuses(message) == {
        "48600100001": Status.QUEUED,
        "48600100002": Status.PENDING,
        "48600100003": Status.PENDING,
    }
    assert len(upstream.to("/sys/send.php")) == 1


# -- polling ------------------------------------------------------------------------------


def test_one_mass_request_applies_every_status(api_service, smsc, upstream):
    numbers = ["48600100001", "48600100002", "48600100003", "48600100004", "48600100005"]
    before = api_service.balance
    message = send(api_service, numbers=numbers)
    dispatch.dispatch_batch()
    by_number = recipients(message)
    delivered_at = 1_700_000_000
    upstream.statuses.update(
        {
            str(by_number["48600100001"].pk): (1, 0, delivered_at),
            str(by_number["48600100002"].pk): (22, 0, delivered_at),  # wrong number
            str(by_number["48600100003"].pk): (3, 0, delivered_at),  # expired
            str(by_number["48600100004"].pk): (20, 13, delivered_at),  # subscriber blocked
            # 48600100005: still with the operator (0)
        }
    )
    assert driver_for(smsc).poll() == 4
    polls = upstream.to("/sys/status.php")
    assert len(polls) == 1
    ordered = message.recipients.order_by("id")
    assert polls[0].fields["id"] == ",".join(str(r.pk) for r in ordered)
    assert polls[0].fields["phone"] == ",".join(r.number for r in ordered)
    assert (polls[0].fields["fmt"], polls[0].fields["all"]) == ("3", "0")
    assert statuses(message) == {
        "48600100001": Status.DELIVERED,
        "48600100002": Status.REJECTED,
        "48600100003": Status.EXPIRED,
        "48600100004": Status.REMOTE_ERROR,
        "48600100005": Status.QUEUED,
    }
    delivered = message.recipients.get(number="48600100001")
    assert delivered.delivered_at == datetime.fromtimestamp(delivered_at, tz=UTC)
    assert refunded(api_service) == 3 * message.recipient_price
    # A minute later only the one still queued is asked for; nothing is refunded twice.
    upstream.statuses[str(by_number["48600100002"].pk)] = (1, 0, delivered_at)
    a_minute_later(smsc, upstream)
    assert driver_for(smsc).poll() == 0
    last = upstream.to("/sys/status.php")[-1].fields
    assert (last["id"], last["phone"]) == (f"{by_number['48600100005'].pk},", "48600100005,")
    assert refunded(api_service) == 3 * message.recipient_price
    api_service.refresh_from_db()
    assert api_service.balance == before - 2 * message.recipient_price
    assert upstream.errors == []


def test_polls_at_most_once_a_minute_across_drivers(api_service, smsc, upstream):
    message = send(api_service, numbers=["48600100001", "48600100002"])
    dispatch.dispatch_batch()
    assert driver_for(smsc).poll() == 0  # all still with the operator
    assert driver_for(smsc).poll() == 0
    # Another process, with its own copy of the gateway row.
    assert driver_for(Gateway.objects.get(pk=smsc.pk)).poll() == 0
    assert len(upstream.to("/sys/status.php")) == 1
    a_minute_later(smsc, upstream)
    upstream.statuses[str(message.recipients.order_by("id").first().pk)] = (1, 0, 1_700_000_000)
    assert driver_for(smsc).poll() == 1
    assert len(upstream.to("/sys/status.php")) == 2
    assert upstream.errors == []  # never refused with error 9


def test_poll_interval_cannot_go_below_a_minute(api_service, db, upstream):
    gateway = make_gateway(upstream.url, poll_interval=5)
    send(api_service, numbers=["48600100001"])
    dispatch.dispatch_batch()
    driver_for(gateway).poll()
    Gateway.objects.filter(pk=gateway.pk).update(polled_at=timezone.now() - timedelta(seconds=30))
    driver_for(gateway).poll()
    assert len(upstream.to("/sys/status.php")) == 1


def test_nothing_queued_asks_nothing_and_keeps_the_minute(smsc, upstream):
    assert driver_for(smsc).poll() == 0
    assert upstream.requests == []
    smsc.refresh_from_db()
    assert smsc.polled_at is None


def test_error_9_from_status_php_waits_for_the_next_minute(api_service, smsc, upstream):
    message = send(api_service, numbers=["48600100001", "48600100002"])
    dispatch.dispatch_batch()
    upstream.statuses.update({str(r.pk): (1, 0, 1_700_000_000) for r in message.recipients.all()})
    # Another client of the same upstream account made this minute's mass request.
    body = b"login=upstream&psw=secret&phone=48600100009,&id=1,&fmt=3"
    url = upstream.url + "sys/status.php"
    with urllib.request.urlopen(url, body, timeout=5) as answer:  # noqa: S310 (loopback)
        assert isinstance(json.load(answer), list)
    assert driver_for(smsc).poll() == 0
    assert upstream.errors == [("/sys/status.php", 9)]
    assert set(statuses(message).values()) == {Status.QUEUED}
    a_minute_later(smsc, upstream)
    assert driver_for(smsc).poll() == 2
    assert set(statuses(message).values()) == {Status.DELIVERED}


def test_poll_with_the_upstream_down_is_unavailable_and_waits_a_minute(api_service, smsc, upstream):
    send(api_service, numbers=["48600100001"])
    dispatch.dispatch_batch()
    upstream.stop()
    with pytest.raises(GatewayUnavailable):
        driver_for(smsc).poll()
    assert driver_for(smsc).poll() == 0  # the minute was taken: no retry before the next


# -- the tables ---------------------------------------------------------------------------

EXPECTED = {
    -3: None,
    -2: None,
    -1: None,
    0: None,
    1: Status.DELIVERED,
    2: Status.DELIVERED,
    3: Status.EXPIRED,
    4: Status.DELIVERED,
    22: Status.REJECTED,
    23: Status.REJECTED,
    24: Status.REMOTE_ERROR,
    25: Status.REJECTED,
}


@pytest.mark.parametrize("code", [c for c in range(-3, 26) if c != 20])
def test_map_status(code):
    # Codes seed 003 does not list (5–19, 21) change nothing.
    assert map_status(code, 0) == EXPECTED.get(code)
    assert map_status(code, 1) == EXPECTED.get(code)


@pytest.mark.parametrize(
    ("err", "expected"),
    [
        (1, Status.REJECTED),
        (0, Status.REMOTE_ERROR),
        (6, Status.REMOTE_ERROR),
        (13, Status.REMOTE_ERROR),
    ],
)
def test_map_status_unable_to_deliver_depends_on_err(err, expected):
    assert map_status(20, err) == expected


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({"id": "17", "cnt": 1}, Outcome(17, Status.QUEUED)),
        ({"id": 17, "cnt": 2}, Outcome(17, Status.QUEUED)),
        ({"id": "abc", "cnt": 1}, Outcome(17, Status.QUEUED, "abc")),
        ({"error": "duplicate", "error_code": 9, "id": "17"}, Outcome(17, Status.QUEUED)),
        ({"error": "too many requests", "error_code": 9}, None),
        ({"error": "forbidden", "error_code": 6, "id": 17}, Outcome(17, Status.REJECTED)),
        ({"error": "invalid number", "error_code": 7, "id": 17}, Outcome(17, Status.REJECTED)),
        ({"error": "undeliverable", "error_code": 8}, Outcome(17, Status.REJECTED)),
        ({"error": "parameters", "error_code": 1}, None),
        ({"error": "login", "error_code": 2}, None),
        ({"error": "no money", "error_code": 3, "id": 17}, None),
        ({"error": "ip blocked", "error_code": 4}, None),
        ({"cnt": 1}, None),
        ([], None),
    ],
)
def test_send_outcome(answer, expected):
    assert send_outcome(17, answer) == expected


def test_status_reports_skip_unknown_ids_and_unchanged_statuses():
    answer = [
        {"status": 1, "last_timestamp": 1_700_000_000, "err": 0, "id": "5", "phone": "486"},
        {"status": 0, "last_timestamp": 1_700_000_000, "err": 0, "id": "6", "phone": "486"},
        {"status": 22, "last_timestamp": 0, "err": 0, "id": "99", "phone": "486"},
        {"status": "20", "last_timestamp": "1700000001", "err": "1", "id": 7, "phone": "486"},
    ]
    reports = status_reports(answer, {"5": 5, "6": 6, "7": 7})
    assert [(r.recipient_id, r.status) for r in reports] == [
        (5, Status.DELIVERED),
        (7, Status.REJECTED),
    ]
    assert reports[0].at == datetime.fromtimestamp(1_700_000_000, tz=UTC)


# -- retries: look the id up first, unless the upstream answers repeats itself -------------


def retried(recipient_id=424242, number="48600100001"):
    return Outgoing(
        recipient_id=recipient_id,
        number=number,
        text="Test",
        sender="",
        flash=False,
        parts=1,
        retry=True,
    )


def test_a_retry_is_looked_up_before_it_is_sent_again(db, upstream):
    gateway = make_gateway(upstream.url)
    outcomes = driver_for(gateway).send([retried()])
    assert [o.status for o in outcomes] == [Status.QUEUED]
    assert len(upstream.to("/sys/status.php")) == 1
    assert len(upstream.to("/sys/send.php")) == 1  # not known there yet: sent


def test_with_repeats_answered_a_retry_is_simply_sent_again(db, upstream):
    gateway = make_gateway(upstream.url, repeats_answered=True)
    outcomes = driver_for(gateway).send([retried()])
    assert [o.status for o in outcomes] == [Status.QUEUED]
    assert upstream.to("/sys/status.php") == []
    assert len(upstream.to("/sys/send.php")) == 1


def test_with_repeats_answered_a_retry_of_a_sent_id_is_not_looked_up(db, upstream):
    # The upstream has the id already: it is asked to send it again, trusted to
    # answer with its first answer (this fake, like SMSC, sends it twice instead).
    gateway = make_gateway(upstream.url, repeats_answered=True)
    first = retried()
    driver_for(gateway).send([dataclasses.replace(first, retry=False)])
    outcomes = driver_for(gateway).send([first])
    assert [(o.status, o.ref) for o in outcomes] == [(Status.QUEUED, "")]
    assert upstream.to("/sys/status.php") == []
    assert upstream.sent[str(first.recipient_id)].requests == 2
