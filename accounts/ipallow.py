"""IP allowlist entries: parsing for the panel, matching for the API.

An entry is a single address (IPv4 or IPv6) or a CIDR range. The API asks
``address_allowed`` with the client address on every call.
"""

import ipaddress
from collections.abc import Iterable

from django.utils.translation import gettext as _

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class InvalidEntry(ValueError):
    """The text is not an address or a CIDR range; the message says what to fix."""


def parse_entry(text: str) -> Network:
    text = (text or "").strip()
    if not text:
        raise InvalidEntry(_("Enter an IPv4 or IPv6 address, or a range such as 192.0.2.0/24."))
    try:
        return ipaddress.ip_network(text, strict=True)
    except ValueError:
        pass
    try:
        loose = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise InvalidEntry(
            _(
                "“%(text)s” is not an IP address or CIDR range. "
                "Use for example 203.0.113.7, 2001:db8::1 or 192.0.2.0/24."
            )
            % {"text": text}
        ) from None
    raise InvalidEntry(
        _("“%(text)s” has bits set after the /%(prefix)d prefix; did you mean %(network)s?")
        % {"text": text, "prefix": loose.prefixlen, "network": loose}
    )


def canonical(text: str) -> str:
    """The stored form: a bare address for a single host, else ``net/prefix``."""
    network = parse_entry(text)
    if network.prefixlen == network.max_prefixlen:
        return str(network.network_address)
    return str(network)


def _client_address(address: str):
    address = (address or "").strip()
    if address.startswith("[") and address.endswith("]"):
        address = address[1:-1]
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    # An IPv4 client on a dual-stack socket shows up as ::ffff:a.b.c.d.
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def address_allowed(address: str, entries: Iterable[str | Network]) -> bool:
    """True when ``address`` falls in any entry. Malformed input never matches."""
    try:
        ip = _client_address(address)
    except ValueError:
        return False
    for entry in entries:
        try:
            network = entry if not isinstance(entry, str) else ipaddress.ip_network(entry)
        except ValueError:
            continue
        if network.version == ip.version and ip in network:
            return True
    return False


def address_group(address: str) -> str:
    """The group a client's failed logins are counted in.

    An IPv4 address is its own group; an IPv6 address counts as its /64, the
    smallest network a customer gets, in which it can take any address it
    likes. Text that is not an address is its own group.
    """
    try:
        ip = _client_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def _trusted(ip, proxies: Iterable[str]) -> bool:
    return address_allowed(str(ip), proxies)


def client_address(remote_addr: str, forwarded_for: str, trusted_proxies: Iterable[str]) -> str:
    """The address a request came from.

    The socket peer, unless that peer is one of our trusted proxies: then the
    X-Forwarded-For chain is read from the right, skipping our own proxies, and
    the first hop we did not add is the client. A header sent by anyone else is
    ignored, so it cannot be used to pass the allowlist.
    """
    proxies = list(trusted_proxies)
    if not proxies or not forwarded_for or not _trusted(remote_addr, proxies):
        return remote_addr
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        try:
            ip = _client_address(hop)
        except ValueError:
            return remote_addr  # a garbled chain: trust only what we saw
        if not _trusted(ip, proxies):
            return str(ip)
    return str(_client_address(hops[0])) if hops else remote_addr


def request_address(request) -> str:
    from django.conf import settings

    return client_address(
        request.META.get("REMOTE_ADDR", ""),
        request.META.get("HTTP_X_FORWARDED_FOR", ""),
        settings.TRUSTED_PROXIES,
    )
