"""Customers' own GSM devices (Dinstar, OpenVox, DBLTek) over their HTTP interfaces.

A customer's SIM port is reached through its alias in ``from`` (seed 001 §8d:
"definiujemy Alias Bramy w polu nadawcy"); ``Outgoing.port`` says which port
of the device sends it. The vendor's part limit (Dinstar and OpenVox 4 parts,
DBLTek 1; seed 001 §8d) is enforced when the message is accepted
(messaging.services.resolve_sender), so nothing longer reaches a driver.

Settings (``Gateway.settings``)::

    url             the device's base URL, e.g. "http://192.0.2.10/"
    username        its API login
    password        or password_env: the name of an environment variable
    verify_tls      false for a device with a self-signed certificate (default true)
    number_prefix   put before our 48XXXXXXXXX numbers (default "+": the SIM dials
                    internationally, so a Polish number is never read as a national one)
    batch_size      OpenVox, DBLTek: at most this many SMS per send (default 5)
    delivery_reports  Dinstar: the SIMs ask the network for delivery reports (default false)
    timezone        Dinstar: the device clock's zone (default settings.TIME_ZONE)

Never lost, never sent twice (SPEC §7):

- **Dinstar** tags every SMS with ``user_id`` = our instance id. Before sending,
  the device is asked which of the batch's instance ids it already holds (a
  worker killed after the device accepted, before the acceptance was recorded);
  those are reported QUEUED and not sent again. Reports are polled by the same
  ids (``api/query_sms_result``).
- **OpenVox** and **DBLTek** take one SMS per request and have no idempotency
  key: a worker killed between the device's answer and our record of it sends
  those SMS again when their claim lapses, and so does a request whose answer
  timed out after the device had sent it. The window is kept small: a send
  handles at most ``batch_size`` SMS, one by one, and stops at the first
  transport failure; the outcomes so far are returned and the rest released
  for a retry. Their answer only says that the SIM handed the SMS to the
  network ("sent"), so it is recorded as DELIVERED: the devices give no
  delivery report to wait for.

Every request has a 5 s connect and a 20 s read timeout, and no request is
started once the claim's lease could lapse before it ends (another worker
would claim the same recipients). Flash is not supported by these devices
and the sender alias is not sent: the SIM's own number is the sender.

Incoming SMS do not pass through here: the device (or the customer's relay)
posts them to ``incoming/<sms_hash>/`` with the alias as ``to_number``
(seed 001 §3a: "Numer telefonu odbiorcy lub Alias Bramy"). Seed 001 §8d warns
that a Dinstar may garble ``from_number`` when the caller ID (CLIP) is not a
phone number; it is stored as given.
"""

import base64
import http.client
import json
import logging
import ssl
import time
from collections import defaultdict
from datetime import datetime
from urllib.parse import quote, urlencode, urljoin, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings as django_settings
from django.utils import timezone

from messaging import gsm7, transitions
from messaging.models import Status
from messaging.transitions import Report

from ..models import Gateway
from .base import Driver, GatewayUnavailable, Outcome, Outgoing

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 20.0
MAX_ANSWER_BYTES = 256 * 1024
USER_AGENT = "smspanel-gsm/1"


class DeviceFailure(Exception):
    """The device did not answer, or refused the request as a whole: taken as not sent.

    A read that timed out may follow a send the device did make; Dinstar finds
    it again by user_id before resending, OpenVox and DBLTek cannot (see above).
    """


class DeviceRefused(DeviceFailure):
    """The device answered, with an error code for the whole request."""


def _digits(number) -> str:
    return "".join(ch for ch in str(number) if ch.isdigit())


def _same_number(theirs, ours: str) -> bool:
    # The device may echo "+48…", "48…" or the national 9 digits.
    return _digits(theirs)[-9:] == ours[-9:]


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _GsmDriver(Driver):
    """What the three devices share: HTTP to the device, and sending in steps."""

    def __init__(self, gateway):
        super().__init__(gateway)
        base = str(self.settings.get("url", "")).strip()
        self.base_url = base if base.endswith("/") else base + "/"

    # -- HTTP --------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        query: str = "",
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        """One request to the device; (HTTP status, body). DeviceFailure when no answer came."""
        url = urlsplit(urljoin(self.base_url, path))
        if url.scheme not in ("http", "https") or not url.hostname:
            raise DeviceFailure(f"the gateway's url {self.base_url!r} is not an http(s) URL")
        target = url.path or "/"
        if query:
            target += "?" + query
        if url.scheme == "https":
            context = ssl.create_default_context()
            if self.settings.get("verify_tls") is False:
                # A device on the customer's network with its self-signed certificate.
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            conn = http.client.HTTPSConnection(
                url.hostname, url.port, timeout=CONNECT_TIMEOUT, context=context
            )
        else:
            conn = http.client.HTTPConnection(url.hostname, url.port, timeout=CONNECT_TIMEOUT)
        try:
            conn.connect()
            conn.sock.settimeout(READ_TIMEOUT)
            conn.request(
                method,
                target,
                body=body,
                headers={"User-Agent": USER_AGENT, "Connection": "close", **(headers or {})},
            )
            response = conn.getresponse()
            return response.status, response.read(MAX_ANSWER_BYTES)
        except TimeoutError:
            raise DeviceFailure(f"{url.hostname}: timed out") from None
        except (OSError, http.client.HTTPException) as exc:
            raise DeviceFailure(f"{url.hostname}: {exc.__class__.__name__}: {exc}") from None
        finally:
            conn.close()

    def dial(self, number: str) -> str:
        """Our 48XXXXXXXXX as the SIM should dial it."""
        return str(self.settings.get("number_prefix", "+")) + number

    # -- sending in steps --------------------------------------------------------------

    def send_budget(self) -> float:
        """Seconds in which a send may still start a request.

        The batch's claim lasts DISPATCH_LEASE_SECONDS from the claim, and the
        dispatcher may spend part of it on other gateways: half of it, less
        one request at its slowest, leaves the claim alive until we return.
        """
        lease = django_settings.DISPATCH_LEASE_SECONDS
        return max(0.0, lease / 2 - (CONNECT_TIMEOUT + READ_TIMEOUT))

    def steps(self, batch: list[Outgoing]) -> list[list[Outgoing]]:
        """The batch cut into what one request sends."""
        raise NotImplementedError

    def send_step(self, items: list[Outgoing]) -> list[Outcome]:
        """Send one step; DeviceFailure when nothing of it was sent."""
        raise NotImplementedError

    def send(self, batch: list[Outgoing]) -> list[Outcome]:
        """Send step by step; stop at the first failure and return the outcomes so far.

        Recipients without an outcome are released by the dispatcher for a
        retry; GatewayUnavailable when nothing at all was sent.
        """
        outcomes: list[Outcome] = []
        started = time.monotonic()
        for items in self.steps(batch):
            if outcomes and time.monotonic() - started > self.send_budget():
                break  # the rest waits for the next claim
            try:
                outcomes += self.send_step(items)
            except DeviceFailure as exc:
                if not outcomes:
                    raise GatewayUnavailable(str(exc)) from None
                logger.warning(
                    "gateway %s failed after %d outcomes (%s); the rest waits",
                    self.gateway,
                    len(outcomes),
                    exc,
                )
                break
        return outcomes


class _OneByOneDriver(_GsmDriver):
    """A device that takes one SMS per GET and answers whether its SIM sent it."""

    poll_after = None
    path = ""  # of the send request, under the device's url

    def query(self, item: Outgoing) -> str:
        """The send request's query string for one SMS."""
        raise NotImplementedError

    def sent(self, body: bytes) -> bool:
        """Does the device's answer say its SIM sent the SMS?"""
        raise NotImplementedError

    def steps(self, batch):
        # No idempotency key: every SMS sent in this call is sent again if the
        # worker dies before the dispatcher records the outcomes, so few per call.
        size = max(1, int(self.settings.get("batch_size", 5)))
        return [[item] for item in batch[:size]]

    def send_step(self, items):
        (item,) = items
        status, body = self.request("GET", self.path, self.query(item))
        if not 200 <= status < 300:
            # Refused as a whole (a wrong login, no such page): not sent.
            raise DeviceFailure(f"HTTP {status}: {body[:200]!r}")
        if self.sent(body):
            return [Outcome(item.recipient_id, Status.DELIVERED, at=timezone.now())]
        logger.warning("gateway %s did not send %d: %r", self.gateway, item.recipient_id, body)
        return [Outcome(item.recipient_id, Status.REMOTE_ERROR)]


class OpenVoxDriver(_OneByOneDriver):
    """OpenVox GSM gateways: ``GET sendsms?…&report=JSON`` per SMS (at most 4 parts, §8d).

    A "success" in the device's report means its SIM handed the SMS to the
    network, not that the phone received it; the device reports nothing
    later, so it is recorded as DELIVERED. "fail" is REMOTE_ERROR (refunded).
    """

    path = "sendsms"

    def query(self, item):
        return urlencode(
            {
                "username": self.settings.get("username", ""),
                "password": self.secret("password"),
                "phonenumber": self.dial(item.number),
                "message": item.text,
                "port": item.port,
                "report": "JSON",
                "timeout": "0",
            },
            quote_via=quote,
        )

    def sent(self, body):
        try:
            answer = json.loads(body.decode("utf-8", "replace"))
        except ValueError:
            return False
        results = []

        def walk(node):
            if isinstance(node, dict):
                if "result" in node:
                    results.append(str(node["result"]).strip().lower())
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)

        # {"message": …, "report": [{"<n>": [{"port": …, "phonenumber": …, "result": …}]}]};
        # a long text may be reported part by part: every part must have gone.
        walk(answer.get("report") if isinstance(answer, dict) else None)
        return bool(results) and all(result == "success" for result in results)


class DblTekDriver(_OneByOneDriver):
    """DBLTek GSM gateways: ``GET cgi/WebCGI?1500101=account=…`` per SMS (1 part only, §8d).

    ``Response: Success`` means the SIM sent it: recorded as DELIVERED (the
    device reports nothing later); ``Response: Error`` or anything else is
    REMOTE_ERROR (refunded).
    """

    path = "cgi/WebCGI"

    def query(self, item):
        # The command number leads the query: 1500101=account=<u>&password=<p>&…
        return "1500101=" + urlencode(
            {
                "account": self.settings.get("username", ""),
                "password": self.secret("password"),
                "port": item.port,
                "destination": self.dial(item.number),
                "content": item.text,
            },
            quote_via=quote,
        )

    def sent(self, body):
        return b"Response: Success" in body


class DinstarDriver(_GsmDriver):
    """Dinstar GSM gateways over their HTTP API (JSON; at most 4 parts, seed 001 §8d).

    ``POST api/send_sms`` with one text, one port and up to 32 numbers, each
    tagged ``user_id`` = our instance id; ``error_code`` 202 means queued on
    the device. ``POST api/query_sms_result`` by user_id gives each SMS's
    state: SENDING (no change), SENT_OK (DELIVERED, or with ``delivery_reports``
    wait for DELIVERED), DELIVERED, FAILED (REMOTE_ERROR).
    """

    poll_after = 5.0
    MAX_NUMBERS = 32  # per send_sms request (the device answers 413 beyond)
    MAX_QUERY = 100  # user_ids per query_sms_result request
    POLL_LIMIT = 2000  # queued recipients looked at per poll

    @property
    def delivery_reports(self) -> bool:
        return bool(self.settings.get("delivery_reports", False))

    def post(self, path: str, payload: dict) -> dict:
        """POST JSON with basic auth; the device's JSON answer (DeviceFailure if none)."""
        login = f"{self.settings.get('username', '')}:{self.secret('password')}"
        status, body = self.request(
            "POST",
            path,
            body=json.dumps(payload).encode(),
            headers={
                "Content-Type": "application/json",
                "Authorization": "Basic " + base64.b64encode(login.encode()).decode(),
            },
        )
        if status != 200:
            raise DeviceFailure(f"HTTP {status} from {path}: {body[:200]!r}")
        try:
            answer = json.loads(body.decode("utf-8", "replace"))
        except ValueError:
            raise DeviceFailure(f"{path} answered no JSON: {body[:200]!r}") from None
        if not isinstance(answer, dict):
            raise DeviceFailure(f"{path} answered {answer!r}")
        return answer

    def results(self, user_ids: list[int]) -> list[dict]:
        """What the device knows of these SMS (a list of result items)."""
        answer = self.post("api/query_sms_result", {"user_id": user_ids})
        if answer.get("error_code") not in (200, "200"):
            raise DeviceRefused(f"query_sms_result: error_code {answer.get('error_code')}")
        return [r for r in answer.get("result") or [] if isinstance(r, dict)]

    # -- send --------------------------------------------------------------------------

    def send(self, batch):
        outcomes = []
        for item in batch:
            if not str(item.port).strip().isdigit():
                # A misconfigured port: waiting will not mend it (like a disabled one).
                logger.error("gateway %s: port %r is not a number", self.gateway, item.port)
                outcomes.append(Outcome(item.recipient_id, Status.REMOTE_ERROR))
        batch = [o for o in batch if str(o.port).strip().isdigit()]
        if not batch:
            return outcomes
        try:
            known = self.already_sent(batch)
        except DeviceFailure as exc:
            raise GatewayUnavailable(str(exc)) from None
        outcomes += [Outcome(rid, Status.QUEUED) for rid in sorted(known)]
        rest = [o for o in batch if o.recipient_id not in known]
        if rest:
            try:
                outcomes += super().send(rest)
            except GatewayUnavailable:
                if not outcomes:
                    raise
        return outcomes

    def already_sent(self, batch: list[Outgoing]) -> set[int]:
        """Ids the device already holds: sent by a worker that died before recording it."""
        numbers = {o.recipient_id: o.number for o in batch}
        found = set()
        for ids in _chunks(list(numbers), self.MAX_QUERY):
            try:
                results = self.results(ids)
            except DeviceRefused as exc:
                # A device that cannot be asked (older firmware): send as if new.
                logger.warning("gateway %s: %s; sending unchecked", self.gateway, exc)
                return found
            for result in results:
                rid = _user_id(result)
                if rid in numbers and _same_number(result.get("number", ""), numbers[rid]):
                    found.add(rid)
        return found

    def steps(self, batch):
        groups = defaultdict(list)
        for item in batch:
            groups[(int(item.port), item.text)].append(item)
        return [chunk for items in groups.values() for chunk in _chunks(items, self.MAX_NUMBERS)]

    def send_step(self, items):
        text = items[0].text
        payload = {
            "text": text,
            "port": [int(items[0].port)],
            "param": [{"number": self.dial(o.number), "user_id": o.recipient_id} for o in items],
            # Without it a Latin text goes as UCS-2: 70 characters a part, not 160.
            "encoding": "gsm-7bit" if gsm7.is_gsm7(text) else "unicode",
            "request_status_report": self.delivery_reports,
        }
        answer = self.post("api/send_sms", payload)
        if answer.get("error_code") not in (202, "202"):
            raise DeviceRefused(f"send_sms: error_code {answer.get('error_code')}")
        return [Outcome(o.recipient_id, Status.QUEUED) for o in items]

    # -- reports -----------------------------------------------------------------------

    def poll(self, sent: list[int] | None = None) -> int:
        """Ask the device about every recipient still QUEUED on it; apply what is final."""
        queued = transitions.queued_at_gateway(self.gateway.pk, self.POLL_LIMIT)
        changed = 0
        for chunk in _chunks(queued, self.MAX_QUERY):
            numbers = {rid: number for rid, number, _ref in chunk}
            try:
                results = self.results(list(numbers))
            except DeviceFailure as exc:
                raise GatewayUnavailable(str(exc)) from None
            reports = self.reports(results, numbers)
            if reports:
                changed += len(transitions.apply_reports(reports))
        Gateway.objects.filter(pk=self.gateway.pk).update(polled_at=timezone.now())
        return changed

    def reports(self, results: list[dict], numbers: dict[int, str]) -> list[Report]:
        final = {
            "DELIVERED": Status.DELIVERED,
            "FAILED": Status.REMOTE_ERROR,
            # Without delivery reports SENT_OK is all the device will ever say.
            "SENT_OK": None if self.delivery_reports else Status.DELIVERED,
        }
        best: dict[int, Report] = {}
        for result in results:
            rid = _user_id(result)
            status = final.get(str(result.get("status", "")).upper())
            if rid not in numbers or status is None:
                continue  # SENDING, unknown, or another program's user_id
            if not _same_number(result.get("number", ""), numbers[rid]):
                continue
            at = self.device_time(result.get("time")) if status == Status.DELIVERED else None
            # One SMS sent twice (a resend by hand on the device): a delivery wins.
            if rid not in best or status == Status.DELIVERED:
                best[rid] = Report(rid, status, at)
        return list(best.values())

    def device_time(self, value) -> datetime | None:
        """The device's "YYYY-MM-DD HH:MM:SS", in its own clock's zone."""
        try:
            naive = datetime.strptime(str(value), "%Y-%m-%d %H:%M:%S")
            zone = ZoneInfo(str(self.settings.get("timezone") or django_settings.TIME_ZONE))
        except (ValueError, ZoneInfoNotFoundError):
            return None
        at = naive.replace(tzinfo=zone)
        return min(at, timezone.now())  # a device clock ahead of ours


def _user_id(result: dict) -> int | None:
    try:
        return int(result.get("user_id"))
    except (TypeError, ValueError):
        return None
