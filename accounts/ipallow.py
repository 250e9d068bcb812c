"""IP allowlist entries as the panel and admin take them.

An entry is a single address (IPv4 or IPv6) or a CIDR range. The API matches
the client address against a service's entries with
``lib.clientaddress.address_in`` on every call.
"""

import ipaddress

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
