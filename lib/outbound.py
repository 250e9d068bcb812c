"""HTTP POSTs to customers' servers that cannot be turned against our own network.

The host is resolved once, every address it resolves to is checked, and the
connection is made to a checked address, then checked again as the socket's
peer: a name that resolves to a public address for the check and a private
one for the connection (DNS rebinding) never gets through. Loopback, private,
link-local (cloud metadata 169.254.169.254 included), multicast, reserved and
unspecified addresses are refused, IPv4 and IPv6 alike (an IPv4 address
embedded in IPv6, mapped, 6to4 or NAT64, is judged as itself), unless
``CALLBACK_ALLOW_PRIVATE`` is set (development and tests).

One POST takes at most ``TOTAL_TIMEOUT`` seconds however slowly the receiver
answers or its name resolves, so a worker's claim on its callbacks
(messaging.callbacks) outlasts it.
"""

import errno
import http.client
import io
import ipaddress
import os
import queue
import socket
import ssl
import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FuturesTimeout
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from django.conf import settings

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0  # for each read
TOTAL_TIMEOUT = 20.0  # for the whole POST: the DNS lookup, connecting, sending, the answer
MAX_RESPONSE_BYTES = 1024
USER_AGENT = "smspanel-callbacks/1"

# Failures after which a retry cannot help (seed 001 §5b: "CURL_28", no route).
_UNROUTABLE = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL}

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052: the IPv4 address is the last 32 bits
_SAFE_IN_PATH = "!#$%&'()*+,/:;=?@[]~"  # kept as they are; anything else non-ASCII is %-encoded


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
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip.sixtofour is not None:
            ip = ip.sixtofour
        elif ip in _NAT64:
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        elif ip.is_site_local:  # deprecated, but still routed inside some networks
            return False
    # Python 3.11 counts multicast and IPv4-compatible IPv6 (::/8, reserved) as global.
    return ip.is_global and not ip.is_multicast and not ip.is_reserved


def post_form(url: str, body: bytes, headers: dict[str, str] | None = None) -> Response:
    """POST ``body`` (form-urlencoded) to ``url``; raise DeliveryFailed when no answer came."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        host = parts.hostname.encode("idna").decode("ascii") if parts.hostname else ""
    except (ValueError, UnicodeError):  # a port out of range, a broken IPv6 literal or IDN
        raise DeliveryFailed("not a URL we can POST to", final=True) from None
    if parts.scheme not in ("http", "https") or not host:
        raise DeliveryFailed("not an http(s) URL", final=True)
    path = quote((parts.path or "/") + (f"?{parts.query}" if parts.query else ""), _SAFE_IN_PATH)
    started = time.monotonic()
    deadline = started + TOTAL_TIMEOUT
    sock = _connect(host, port, deadline)
    try:
        if parts.scheme == "https":
            sock.settimeout(_remaining(deadline, CONNECT_TIMEOUT))
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
        # The class only decides the Host header (":443" is left out for https).
        kind = (
            http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        )
        conn = kind(host, port, timeout=READ_TIMEOUT)
        conn.sock = _DeadlineSocket(sock, deadline)  # already connected to the checked address
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


def _remaining(deadline: float, limit: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    return min(limit, left)


class _DeadlineSocket:
    """What http.client needs of a socket, each read and write bounded by the deadline.

    A per-operation timeout alone lets a receiver that drips one byte at a
    time hold the POST (and the worker) for as long as it likes.
    """

    def __init__(self, sock: socket.socket, deadline: float):
        self._sock = sock
        self._deadline = deadline

    def sendall(self, data) -> None:
        self._sock.settimeout(_remaining(self._deadline, READ_TIMEOUT))
        self._sock.sendall(data)

    def recv_into(self, buffer) -> int:
        self._sock.settimeout(_remaining(self._deadline, READ_TIMEOUT))
        return self._sock.recv_into(buffer)

    def makefile(self, mode: str = "rb", *args, **kwargs):
        return io.BufferedReader(_DeadlineReader(self))

    def close(self) -> None:
        # http.client closes the connection as soon as it has the headers of a
        # "Connection: close" answer, before the body is read; post_form closes
        # the socket when it is done (a real socket waits for its makefile too).
        pass


class _DeadlineReader(io.RawIOBase):
    def __init__(self, sock: _DeadlineSocket):
        self._sock = sock

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        return self._sock.recv_into(buffer)


class DaemonPool:
    """A fixed set of daemon threads running calls, each answered by a Future.

    Daemon threads (unlike concurrent.futures' pools, which a process joins at
    exit): a process that stops (a worker stopped for a deploy) never waits
    for a POST or a lookup that hangs; the callback it was for is tried again
    when its claim lapses. The threads start on first use in each process:
    a forked worker inherits none of its parent's threads.
    """

    def __init__(self, size: int, name: str):
        self.size = size
        self.name = name
        self._pid = None
        self._lock = threading.Lock()
        self._calls: queue.SimpleQueue = queue.SimpleQueue()

    def submit(self, func, *args) -> Future:
        if self._pid != os.getpid():
            self._start()
        future: Future = Future()
        self._calls.put((future, func, args))
        return future

    def _start(self) -> None:
        with self._lock:
            if self._pid == os.getpid():
                return
            self._calls = queue.SimpleQueue()
            for n in range(self.size):
                threading.Thread(
                    target=self._serve, args=(self._calls,), daemon=True, name=f"{self.name}-{n}"
                ).start()
            self._pid = os.getpid()

    @staticmethod
    def _serve(calls: queue.SimpleQueue) -> None:
        while True:
            future, func, args = calls.get()
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(func(*args))
            except BaseException as exc:
                future.set_exception(exc)


# getaddrinfo takes no timeout: lookups run here, and a POST waits for its own
# only as long as its deadline allows. Enough threads that lookups hanging on
# a dead resolver do not hold up the others (callback workers run at most
# CALLBACK_CONCURRENCY POSTs at once).
_resolver = DaemonPool(32, "resolve")


def _resolve(host: str, port: int, deadline: float):
    lookup = _resolver.submit(lambda: socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
    try:
        return lookup.result(timeout=max(0.0, deadline - time.monotonic()))
    except FuturesTimeout:
        raise DeliveryFailed(f"looking up {host!r} timed out", final=False) from None
    except (socket.gaierror, UnicodeError):
        raise DeliveryFailed(f"host {host!r} does not resolve", final=True) from None


def _connect(host: str, port: int, deadline: float) -> socket.socket:
    infos = _resolve(host, port, deadline)
    allowed = [info for info in infos if address_allowed(info[4][0])]
    if not allowed:
        shown = ", ".join(sorted({info[4][0] for info in infos}))
        raise DeliveryFailed(f"address not allowed: {shown}", final=True)
    failures: list[DeliveryFailed] = []
    for family, kind, proto, _name, sockaddr in allowed:
        try:
            timeout = _remaining(deadline, CONNECT_TIMEOUT)
        except TimeoutError:
            break
        try:
            sock = socket.socket(family, kind, proto)
        except OSError as exc:  # e.g. no IPv6 on this host
            failures.append(DeliveryFailed(f"no socket for {sockaddr[0]}: {exc}", final=True))
            continue
        sock.settimeout(timeout)
        try:
            sock.connect(sockaddr)
        except TimeoutError:
            sock.close()
            failures.append(DeliveryFailed(f"connect to {sockaddr[0]} timed out", final=False))
            continue
        except OSError as exc:
            sock.close()
            final = exc.errno in _UNROUTABLE
            reason = "no route to host" if final else f"connect failed: {exc.strerror}"
            failures.append(DeliveryFailed(f"{reason} ({sockaddr[0]})", final=final))
            continue
        peer = sock.getpeername()[0]
        if not address_allowed(peer):
            sock.close()
            raise DeliveryFailed(f"address not allowed: {peer}", final=True)
        return sock
    if not failures:
        raise DeliveryFailed("timed out connecting", final=False)
    # Give up for good only when no address could ever answer (seed 001 §5b: no route);
    # one that refused or timed out may answer later.
    retryable = [f for f in failures if not f.final]
    raise retryable[0] if retryable else failures[-1]
