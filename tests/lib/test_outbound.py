"""The SSRF-guarded HTTP client of callbacks, against a real server on loopback."""

import errno
import socket
import time

import pytest

from lib import outbound
from lib.outbound import DeliveryFailed, address_allowed, post_form
from tests.receiver import Receiver


@pytest.fixture
def receiver():
    with Receiver() as server:
        yield server


@pytest.fixture
def allow_private(settings):
    settings.CALLBACK_ALLOW_PRIVATE = True


def refused(url: str) -> DeliveryFailed:
    with pytest.raises(DeliveryFailed) as caught:
        post_form(url, b"a=1")
    return caught.value


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def resolve_to(monkeypatch, *addresses):
    """Make every name resolve to ``addresses`` in turn (the last repeats); count the calls."""
    calls = []
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        address = addresses[min(len(calls), len(addresses) - 1)]
        calls.append(host)
        return real(address, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return calls


def test_posts_the_body_and_headers_and_returns_the_answer(receiver, allow_private):
    response = post_form(receiver.url + "?x=1", b"a=1&b=2", {"X-Test": "yes"})
    assert (response.status, response.body) == (200, b"OK")
    [request] = receiver.requests
    assert request.path == "/callback?x=1"
    assert request.body == b"a=1&b=2"
    assert request.headers["X-Test"] == "yes"
    assert request.headers["Content-Type"].startswith("application/x-www-form-urlencoded")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/",
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:{port}/",
        "http://localhost:{port}/",
    ],
)
def test_private_addresses_are_refused_for_good_without_connecting(receiver, url):
    failure = refused(url.format(port=receiver.port))
    assert failure.final
    assert "not allowed" in failure.reason
    assert receiver.requests == []


@pytest.mark.parametrize(
    "address",
    [
        "::ffff:127.0.0.1",  # IPv4-mapped loopback
        "::ffff:10.0.0.1",
        "::7f00:1",  # IPv4-compatible loopback (reserved)
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "fd00::1",
        "fe80::1%eth0",
        "fec0::1",  # site-local
        "ff02::1",
        "224.0.0.1",
        "255.255.255.255",
        "0.0.0.0",  # noqa: S104 (refused, not bound)
        "::",
        "100.64.0.1",  # carrier-grade NAT
        "172.16.5.4",
        "192.168.1.1",
        "240.0.0.1",
    ],
)
def test_address_not_allowed(address):
    assert not address_allowed(address, allow_private=False)


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "2606:2800:220:1::1", "2002:5db8:d822::1", "64:ff9b::5db8:d822"]
)
def test_public_address_allowed(address):
    assert address_allowed(address, allow_private=False)


def test_the_setting_allows_private_addresses(settings):
    settings.CALLBACK_ALLOW_PRIVATE = True
    assert address_allowed("127.0.0.1")
    settings.CALLBACK_ALLOW_PRIVATE = False
    assert not address_allowed("127.0.0.1")


def test_a_name_resolving_to_loopback_is_refused_after_one_lookup(receiver, monkeypatch):
    calls = resolve_to(monkeypatch, "127.0.0.1", "93.184.216.34")
    failure = refused(f"http://callbacks.example.com:{receiver.port}/")
    assert failure.final
    assert calls == ["callbacks.example.com"]
    assert receiver.requests == []


def test_the_connection_goes_to_the_address_that_was_checked(receiver, allow_private, monkeypatch):
    # A rebinding resolver would answer differently the second time: never asked.
    calls = resolve_to(monkeypatch, "127.0.0.1", "10.0.0.1")
    response = post_form(f"http://rebind.example.com:{receiver.port}/", b"a=1")
    assert response.body == b"OK"
    assert calls == ["rebind.example.com"]
    assert receiver.requests[0].headers["Host"] == f"rebind.example.com:{receiver.port}"


def test_the_connected_peer_is_checked_again(receiver, monkeypatch):
    checked = []

    def allowed_once(address, allow_private=None):
        checked.append(address)
        return len(checked) == 1

    monkeypatch.setattr(outbound, "address_allowed", allowed_once)
    failure = refused(receiver.url)
    assert failure.final
    assert checked == ["127.0.0.1", "127.0.0.1"]
    assert receiver.requests == []


def test_an_unresolvable_host_is_final():
    failure = refused("http://no-such-host.invalid/")
    assert failure.final
    assert "does not resolve" in failure.reason


@pytest.mark.parametrize(
    "url", ["ftp://example.com/", "http:///nohost", "http://example.com:99999/", "http://[::1/"]
)
def test_a_url_we_cannot_post_to_is_final(url):
    assert refused(url).final


def test_connection_refused_is_retried_later(allow_private):
    failure = refused(f"http://127.0.0.1:{closed_port()}/")
    assert not failure.final


def test_one_unreachable_address_does_not_give_up_on_the_others(allow_private, monkeypatch):
    # 192.0.2.1 (TEST-NET) cannot be reached from here; the refused one says "try later".
    real = socket.socket.connect
    port = closed_port()

    def connect(sock, address):
        if address[0] == "192.0.2.1":
            raise OSError(errno.ENETUNREACH, "Network is unreachable")
        return real(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)

    def two_addresses(host, port, *args, **kwargs):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("192.0.2.1", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", two_addresses)
    assert not refused(f"http://two.example.com:{port}/").final
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: two_addresses(*a, **k)[1:])
    assert refused(f"http://two.example.com:{port}/").final


def test_a_slow_receiver_times_out_and_is_retried_later(allow_private, monkeypatch):
    monkeypatch.setattr(outbound, "READ_TIMEOUT", 0.2)
    with Receiver(delay=1.0) as slow:
        failure = refused(slow.url)
    assert not failure.final
    assert "timed out" in failure.reason


def test_a_receiver_dripping_its_answer_is_cut_off_at_the_total_timeout(allow_private, monkeypatch):
    monkeypatch.setattr(outbound, "READ_TIMEOUT", 0.5)
    monkeypatch.setattr(outbound, "TOTAL_TIMEOUT", 0.6)
    with Receiver(drip=0.05) as dripping:  # each byte in time, the whole never
        started = time.monotonic()
        failure = refused(dripping.url)
    assert time.monotonic() - started < 1.5
    assert not failure.final


@pytest.mark.parametrize("length", [True, False])
def test_a_body_sent_after_the_head_is_read(allow_private, length):
    with Receiver(answers=["OK"], pause=0.1, length=length) as receiver:
        assert post_form(receiver.url, b"a=1").body == b"OK"


def test_only_the_start_of_a_long_answer_is_read(allow_private):
    with Receiver(answers=["x" * 100_000]) as chatty:
        response = post_form(chatty.url, b"a=1")
    assert response.body == b"x" * outbound.MAX_RESPONSE_BYTES


def test_non_ascii_host_and_path_are_encoded(allow_private, monkeypatch, receiver):
    calls = resolve_to(monkeypatch, "127.0.0.1")
    response = post_form(f"http://zażółć.example.com:{receiver.port}/ścieżka?q=ź", b"a=1")
    assert response.body == b"OK"
    assert calls == ["xn--za-6ja4f8n1l.example.com"]
    request = receiver.requests[0]
    assert request.path == "/%C5%9Bcie%C5%BCka?q=%C5%BA"
    assert request.headers["Host"] == f"xn--za-6ja4f8n1l.example.com:{receiver.port}"


def _lookup_in_child(result):
    result.put(outbound._resolver.submit(lambda: "answered").result(timeout=5))


def test_a_forked_worker_resolves_with_threads_of_its_own():
    # django-q2 forks its workers from a process that may have used the pool.
    import multiprocessing

    assert outbound._resolver.submit(lambda: "parent").result(timeout=5) == "parent"
    fork = multiprocessing.get_context("fork")
    result = fork.Queue()
    child = fork.Process(target=_lookup_in_child, args=(result,))
    child.start()
    child.join(10)
    assert child.exitcode == 0
    assert result.get(timeout=1) == "answered"
