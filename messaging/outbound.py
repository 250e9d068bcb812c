"""HTTP POSTs to customers' servers that cannot be turned against our own network.

The host is resolved once, every address it resolves to is checked, and the
connection is made to a checked address, then checked again as the socket's
peer: a name that resolves to a public address for the check and a private
one for the connection (DNS rebinding) never gets through. Loopback, private,
link-local (cloud metadata 169.254.169.254 included), multicast, reserved and
unspecified addresses are refused, IPv4 and IPv6 alike, unless
``CALLBACK_ALLOW_PRIVATE`` is set (development and tests).
"""

import errno
import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0
MAX_RESPONSE_BYTES = 1024
USER_AGENT = "smspanel-callbacks/1"

# Failures after which a retry cannot help (seed 001 §5b: "CURL_28", no route).
_UNROUTABLE = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL}


class DeliveryFailed(Exception):
    """The POST did not get an answer; ``final`` when retrying cannot help."""

    def __init__(self, reason: str, *, final: bool):
        super().__init__(reason)
        self.reason = reason
        self.final = final


@dataclass
class Response:
    status: int
    body: bytes  # at most MAX_RESPONSE_BYTES
    elapsed_ms: int


def address_allowed(address: str, allow_private: bool | None = None) -> bool:
    """May we connect to this IP address?"""
    if allow_private is None:
        allow_private = settings.CALLBACK_ALLOW_PRIVATE
    if allow_private:
        return True
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def post_form(url: str, body: bytes, headers: dict[str, str] | None = None) -> Response:
    """POST ``body`` (form-urlencoded) to ``url``; raise DeliveryFailed when no answer came."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DeliveryFailed("not an http(s) URL", final=True)
    host = parts.hostname
    port = parts.port or (443 if parts.scheme == "https" else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    started = time.monotonic()
    sock = _connect(host, port)
    try:
        if parts.scheme == "https":
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
        sock.settimeout(READ_TIMEOUT)
        conn = http.client.HTTPConnection(host, port, timeout=READ_TIMEOUT)
        conn.sock = sock  # already connected to the checked address
        all_headers = {
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            "User-Agent": USER_AGENT,
            "Connection": "close",
        }
        all_headers.update(headers or {})
        conn.request("POST", path, body=body, headers=all_headers)
        response = conn.getresponse()
        data = response.read(MAX_RESPONSE_BYTES)
        return Response(response.status, data, int((time.monotonic() - started) * 1000))
    except ssl.SSLError as exc:
        raise DeliveryFailed(f"TLS: {exc.reason or exc}", final=False) from None
    except TimeoutError:
        raise DeliveryFailed("timed out waiting for the answer", final=False) from None
    except (OSError, http.client.HTTPException) as exc:
        raise DeliveryFailed(f"connection failed: {exc.__class__.__name__}", final=False) from None
    finally:
        sock.close()


def _connect(host: str, port: int) -> socket.socket:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise DeliveryFailed(f"host {host!r} does not resolve", final=True) from None
    allowed = [info for info in infos if address_allowed(info[4][0])]
    if not allowed:
        shown = ", ".join(sorted({info[4][0] for info in infos}))
        raise DeliveryFailed(f"address not allowed: {shown}", final=True)
    last: DeliveryFailed | None = None
    for family, kind, proto, _name, sockaddr in allowed:
        sock = socket.socket(family, kind, proto)
        sock.settimeout(CONNECT_TIMEOUT)
        try:
            sock.connect(sockaddr)
        except TimeoutError:
            sock.close()
            last = DeliveryFailed(f"connect to {sockaddr[0]} timed out", final=False)
            continue
        except OSError as exc:
            sock.close()
            final = exc.errno in _UNROUTABLE
            reason = "no route to host" if final else f"connect failed: {exc.strerror}"
            last = DeliveryFailed(f"{reason} ({sockaddr[0]})", final=final)
            continue
        peer = sock.getpeername()[0]
        if not address_allowed(peer):
            sock.close()
            raise DeliveryFailed(f"address not allowed: {peer}", final=True)
        return sock
    raise last
