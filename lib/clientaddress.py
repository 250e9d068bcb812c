"""Where a request comes from: the client address behind our proxies, matching it
against networks, and the group its failures are counted in."""

import ipaddress
from collections.abc import Iterable

from django.conf import settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_address(address: str) -> Address:
    """The address in ``address`` (brackets, zone and IPv4 mapping removed); ValueError if none."""
    address = (address or "").strip()
    if address.startswith("[") and address.endswith("]"):
        address = address[1:-1]
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    # An IPv4 client on a dual-stack socket shows up as ::ffff:a.b.c.d.
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def address_in(address: str, entries: Iterable[str | Network]) -> bool:
    """True when ``address`` falls in any entry. Malformed input never matches."""
    try:
        ip = parse_address(address)
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
        ip = parse_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def _trusted(ip, proxies: Iterable[str]) -> bool:
    return address_in(str(ip), proxies)


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
            ip = parse_address(hop)
        except ValueError:
            return remote_addr  # a garbled chain: trust only what we saw
        if not _trusted(ip, proxies):
            return str(ip)
    return str(parse_address(hops[0])) if hops else remote_addr


def request_address(request) -> str:
    """The client address of a Django request, through ``TRUSTED_PROXIES``."""
    return client_address(
        request.META.get("REMOTE_ADDR", ""),
        request.META.get("HTTP_X_FORWARDED_FOR", ""),
        settings.TRUSTED_PROXIES,
    )
