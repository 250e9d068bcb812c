import pytest

from lib.clientaddress import address_in, client_address


@pytest.mark.parametrize(
    ("address", "entries", "allowed"),
    [
        ("203.0.113.7", ["203.0.113.7"], True),
        ("203.0.113.8", ["203.0.113.7"], False),
        ("192.0.2.130", ["192.0.2.0/24"], True),
        ("192.0.3.1", ["192.0.2.0/24"], False),
        ("10.1.2.3", ["10.0.0.0/8"], True),
        ("2001:db8::1", ["2001:db8::1"], True),
        ("2001:db8::2", ["2001:db8::1"], False),
        ("2001:db8:0:1::55", ["2001:db8::/48"], True),
        ("2001:db9::1", ["2001:db8::/48"], False),
        ("::1", ["::1"], True),
        ("::1", ["127.0.0.1"], False),
        # An IPv4 client seen on a dual-stack socket.
        ("::ffff:127.0.0.1", ["127.0.0.1"], True),
        ("[2001:db8::1]", ["2001:db8::1"], True),
        ("203.0.113.7", [], False),
        ("not an ip", ["0.0.0.0/0"], False),
        ("", ["0.0.0.0/0"], False),
    ],
)
def test_address_in(address, entries, allowed):
    assert address_in(address, entries) is allowed


def test_forwarded_for_is_ignored_from_an_untrusted_peer():
    assert client_address("198.51.100.9", "127.0.0.1", []) == "198.51.100.9"
    assert client_address("198.51.100.9", "127.0.0.1", ["10.0.0.1"]) == "198.51.100.9"


def test_forwarded_for_is_read_from_a_trusted_proxy():
    assert client_address("10.0.0.1", "203.0.113.7", ["10.0.0.1"]) == "203.0.113.7"


def test_client_spoofing_in_front_of_a_trusted_proxy_gets_its_real_address():
    # The client sent "X-Forwarded-For: 127.0.0.1"; our proxy appended the real peer.
    chain = "127.0.0.1, 203.0.113.7"
    assert client_address("10.0.0.1", chain, ["10.0.0.0/8"]) == "203.0.113.7"


def test_chain_of_trusted_proxies_is_skipped():
    assert client_address("10.0.0.1", "203.0.113.7, 10.0.0.2", ["10.0.0.0/8"]) == "203.0.113.7"
    assert client_address("10.0.0.1", "garbage", ["10.0.0.0/8"]) == "10.0.0.1"
