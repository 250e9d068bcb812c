"""An upstream speaking the SMSC HTTP protocol: send.php per recipient, status.php in bulk.

Settings (Gateway.settings): ``url`` (the base, e.g. ``https://smsc.ru/``; the
endpoints are ``sys/send.php`` and ``sys/status.php`` under it), ``login``,
``password`` or ``password_env``, optional ``sender`` (used when a message has
none), ``poll_interval`` (seconds between status polls, at least 60) and
``repeats_answered`` (true for an upstream that answers a repeated ``id`` with
its first answer, as this platform's own send.php does: a retry is then just
sent again, see below).

Sending: one POST to send.php per recipient, all over one keep-alive
connection. SMSC lets the client choose a message's id, so the recipient's
instance id goes as ``id`` and doubles as the idempotency key: an upstream
that refuses a repeated id with error 9 naming that id is taken as having
accepted it (the first request got through; a worker died before recording
it). send.php's error codes:
- 6 (message forbidden by its text or sender), 7 (invalid number format),
  8 (cannot be delivered to this number): that recipient is REJECTED;
- 1 (parameters), 2 (login), 3 (no funds upstream), 4 (IP blocked), 5 (date),
  9 without an id (too many requests), anything unknown, and a connection
  that fails: the batch stops there. If nothing was answered yet the gateway
  is unavailable; otherwise the answers so far are returned and the
  dispatcher releases the rest for a later retry. So does a batch still
  sending when half the dispatcher's lease has passed.

Retries (``Outgoing.retry``: a recipient a dead worker may have sent already):
the real SMSC does not refuse a repeated id, it sends it again, so by default
the driver first asks status.php about the id and records the recipient as
QUEUED without sending when the upstream knows it. With ``repeats_answered``
(default false) there is no lookup: the retry is simply sent again, and the
upstream's own dedupe (this platform's send.php: the same ``id`` from the same
login within a day gets the first answer and sends nothing) gives back the
first answer, recorded as QUEUED with the upstream's id as the gateway ref.
There the lookup would be meaningless anyway: its ids are its own message
ids, not ours, and could even match another message of the account.

Reports: status.php, polled within the limits of seed 003 ("the server does
not accept more than five identical requests for the status of the same
message or more than one mass request within a minute", error 9 otherwise).
Each poll is ONE mass request for every recipient still QUEUED here (phones
and ids comma-separated, in the same order), at most once a ``poll_interval``
per gateway across all processes: the right to poll is taken by one atomic
UPDATE of ``Gateway.polled_at``. A mass request never repeats within the
minute, so the five-identical-requests limit cannot be reached either.
"""

import http.client
import json
import logging
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from messaging import transitions
from messaging.models import Status
from messaging.transitions import Report

from ..models import Gateway
from .base import Driver, GatewayUnavailable, Outcome, Outgoing

logger = logging.getLogger(__name__)

SEND_PATH = "sys/send.php"
STATUS_PATH = "sys/status.php"
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 15.0
FMT_JSON = 3  # fmt=3: answers in JSON (seed 003)

# seed 003: "more than one mass request within a minute" is refused with error 9.
MIN_POLL_INTERVAL = 60.0
# Recipients asked for in one mass request (the oldest QUEUED first).
POLL_LIMIT = 5000

# -- send.php error codes -------------------------------------------------------------------

TOO_MANY_REQUESTS = 9  # with our id in the answer: that id was already sent (a repeat)
# That recipient cannot be sent, whatever we do: 6 forbidden text or sender,
# 7 invalid number format, 8 cannot be delivered to this number.
REJECTING_SEND_ERRORS = frozenset({6, 7, 8})

# -- status.php (seed 003, "Status codes") ---------------------------------------------------

NOT_FOUND = -3  # status.php: no such message for this phone and id

# SMSC status code → ours; None: no change yet (the recipient stays QUEUED).
STATUS_BY_CODE: dict[int, str | None] = {
    -3: None,  # message not found (not yet known, or archived after a day)
    -2: None,  # stopped (a paused mailing)
    -1: None,  # waiting to be sent
    0: None,  # transferred to the operator
    1: Status.DELIVERED,
    2: Status.DELIVERED,  # read
    3: Status.EXPIRED,
    4: Status.DELIVERED,  # the subscriber clicked the link it carried
    22: Status.REJECTED,  # wrong number
    23: Status.REJECTED,  # banned: flood, blacklist, spam filter, sender ID
    24: Status.REMOTE_ERROR,  # insufficient funds at the upstream: not the number's fault
    25: Status.REJECTED,  # the number does not take SMS, or no route to its operator
}
# 20, "unable to deliver": the number is at fault only when the subscriber
# does not exist (err 1, seed 003 "Error codes in the status"); blocked,
# offline, roaming and the like are the network's.
UNABLE_TO_DELIVER = 20
UNABLE_TO_DELIVER_BY_ERR: dict[int, str] = {1: Status.REJECTED}


def map_status(status: int, err: int = 0) -> str | None:
    """Our status for an SMSC status code and error code; None when nothing changes yet."""
    if status == UNABLE_TO_DELIVER:
        return UNABLE_TO_DELIVER_BY_ERR.get(err, Status.REMOTE_ERROR)
    return STATUS_BY_CODE.get(status)


def send_outcome(recipient_id: int, answer) -> Outcome | None:
    """What one send.php answer (fmt=3) says of one recipient; None: stop the batch."""
    if not isinstance(answer, dict):
        return None
    names_ours = "id" in answer and str(answer["id"]) == str(recipient_id)
    if "error_code" not in answer and "error" not in answer:
        if "id" not in answer:
            return None
        # The upstream keeps our id; keep its own only if it chose another.
        return Outcome(recipient_id, Status.QUEUED, "" if names_ours else str(answer["id"]))
    code = _int(answer.get("error_code"))
    if code == TOO_MANY_REQUESTS and names_ours:
        return Outcome(recipient_id, Status.QUEUED)  # already sent under this id
    if code in REJECTING_SEND_ERRORS:
        return Outcome(recipient_id, Status.REJECTED)
    return None


def status_reports(answer, recipient_by_ref: dict[str, int]) -> list[Report]:
    """Reports from a status.php answer (fmt=3, all=0: a list with each item's id and phone)."""
    items = answer if isinstance(answer, list) else [answer]
    reports = []
    for item in items:
        if not isinstance(item, dict):
            continue
        recipient_id = recipient_by_ref.get(str(item.get("id", "")))
        code = _int(item.get("status"))
        if recipient_id is None or code is None:
            continue
        status = map_status(code, _int(item.get("err")) or 0)
        if status is not None:
            reports.append(Report(recipient_id, status, _timestamp(item.get("last_timestamp"))))
    return reports


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _timestamp(value) -> datetime | None:
    seconds = _int(value)
    return datetime.fromtimestamp(seconds, tz=UTC) if seconds and seconds > 0 else None


def _describe(answer) -> str:
    if isinstance(answer, dict) and "error_code" in answer:
        return f"error {answer.get('error_code')} ({answer.get('error', '')})"
    return f"unexpected answer {str(answer)[:100]!r}"


# -- HTTP -----------------------------------------------------------------------------------


class UpstreamFailure(Exception):
    """The upstream could not be reached, or did not answer in its protocol."""


class _TimedConnection(http.client.HTTPConnection):
    # ``timeout`` bounds the connect; once connected, reads may take longer.
    def connect(self):
        super().connect()
        self.sock.settimeout(READ_TIMEOUT)


class _TimedHTTPSConnection(http.client.HTTPSConnection):
    def connect(self):
        super().connect()
        self.sock.settimeout(READ_TIMEOUT)


class Upstream:
    """One keep-alive connection to an SMSC-style server, for one batch or one poll."""

    def __init__(self, url: str):
        parts = urlsplit(url or "")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise GatewayUnavailable(f"the smsc url {url!r} is not an http(s) URL")
        connection_class = _TimedHTTPSConnection if parts.scheme == "https" else _TimedConnection
        self.connection = connection_class(parts.hostname, parts.port, timeout=CONNECT_TIMEOUT)
        self.base = parts.path if parts.path.endswith("/") else parts.path + "/"

    def post(self, path: str, fields: dict):
        """POST form-encoded fields; returns the decoded JSON answer."""
        body = urlencode(fields).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        try:
            self.connection.request("POST", self.base + path, body, headers)
            response = self.connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise UpstreamFailure(f"{type(exc).__name__}: {exc}") from exc
        if response.status != 200:
            raise UpstreamFailure(f"HTTP {response.status}")
        try:
            return json.loads(data.decode("utf-8"))
        except ValueError as exc:
            raise UpstreamFailure(f"not JSON: {data[:100]!r}") from exc

    def close(self):
        self.connection.close()


# -- the driver -----------------------------------------------------------------------------


class SmscDriver(Driver):
    poll_after = MIN_POLL_INTERVAL

    @property
    def poll_interval(self) -> float:
        return max(MIN_POLL_INTERVAL, float(self.settings.get("poll_interval", MIN_POLL_INTERVAL)))

    @property
    def repeats_answered(self) -> bool:
        """The upstream dedupes by our id (this platform's send.php): a retry is sent
        again and gets the first answer, with the upstream's own id. Asking its
        status.php by our id would be meaningless there: its ids are its own."""
        return bool(self.settings.get("repeats_answered", False))

    def credentials(self) -> dict:
        return {"login": str(self.settings.get("login", "")), "psw": self.secret("password")}

    def upstream(self) -> Upstream:
        return Upstream(str(self.settings.get("url", "")))

    def send_fields(self, item: Outgoing) -> dict:
        fields = {
            **self.credentials(),
            "phones": item.number,
            "mes": item.text,
            "id": str(item.recipient_id),
            "fmt": FMT_JSON,
            "charset": "utf-8",
        }
        sender = item.sender or str(self.settings.get("sender", ""))
        if sender:
            fields["sender"] = sender
        if item.flash:
            fields["flash"] = 1
        return fields

    def send(self, batch: list[Outgoing]) -> list[Outcome]:
        if not batch:
            return []
        outcomes: list[Outcome] = []
        # Stop well within the dispatcher's lease: past it, another worker may
        # claim the rest of this batch and send it too.
        deadline = time.monotonic() + settings.DISPATCH_LEASE_SECONDS / 2
        upstream = self.upstream()
        try:
            for item in batch:
                if outcomes and time.monotonic() > deadline:
                    return self._stopped(outcomes, "half the dispatch lease has passed")
                try:
                    if (
                        item.retry
                        and not self.repeats_answered
                        and self._already_sent(upstream, item)
                    ):
                        outcomes.append(Outcome(item.recipient_id, Status.QUEUED))
                        continue
                    answer = upstream.post(SEND_PATH, self.send_fields(item))
                except UpstreamFailure as exc:
                    return self._stopped(outcomes, str(exc))
                outcome = send_outcome(item.recipient_id, answer)
                if outcome is None:
                    return self._stopped(outcomes, _describe(answer))
                outcomes.append(outcome)
        finally:
            upstream.close()
        return outcomes

    def _already_sent(self, upstream: "Upstream", item: Outgoing) -> bool:
        """Does the upstream know this id already? SMSC does not refuse a repeated id,
        so a recipient a dead worker may have sent is looked up before it is sent."""
        fields = {
            **self.credentials(),
            "phone": item.number,
            "id": str(item.recipient_id),
            "fmt": FMT_JSON,
            "all": 0,
        }
        answer = upstream.post(STATUS_PATH, fields)
        if isinstance(answer, dict) and "status" in answer:
            return _int(answer["status"]) != NOT_FOUND
        if isinstance(answer, dict) and _int(answer.get("error_code")) == TOO_MANY_REQUESTS:
            raise UpstreamFailure("status.php: too many requests; retry later")
        return False

    def _stopped(self, outcomes: list[Outcome], reason: str) -> list[Outcome]:
        if not outcomes:
            raise GatewayUnavailable(reason)
        logger.warning(
            "gateway %s stopped after %d recipients: %s", self.gateway, len(outcomes), reason
        )
        return outcomes

    def poll(self, sent: list[int] | None = None) -> int:
        """One mass status request, if this gateway's minute has come; returns changes applied."""
        queued = transitions.queued_at_gateway(self.gateway.pk, POLL_LIMIT)
        if not queued:
            return 0  # nothing to ask: keep the minute's request for when there is
        taken_at = self._take_poll_slot()
        if taken_at is None:
            return 0
        recipient_by_ref = {ref or str(rid): rid for rid, _, ref in queued}
        phones = ",".join(number for _, number, _ in queued)
        ids = ",".join(ref or str(rid) for rid, _, ref in queued)
        if len(queued) == 1:
            # seed 003: a trailing comma keeps a single request in the mass format.
            phones, ids = phones + ",", ids + ","
        fields = {
            **self.credentials(),
            "phone": phones,
            "id": ids,
            "fmt": FMT_JSON,
            "all": 0,
            "charset": "utf-8",
        }
        upstream = self.upstream()
        try:
            answer = upstream.post(STATUS_PATH, fields)
        except UpstreamFailure as exc:
            raise GatewayUnavailable(str(exc)) from exc
        finally:
            upstream.close()
            self._poll_done(taken_at)
        if isinstance(answer, dict) and "error_code" in answer:
            if _int(answer["error_code"]) == TOO_MANY_REQUESTS:
                # seed 003 error 9: another client of this account asked; next minute.
                logger.warning("gateway %s: status.php said %s", self.gateway, _describe(answer))
                return 0
            raise GatewayUnavailable(_describe(answer))
        return len(transitions.apply_reports(status_reports(answer, recipient_by_ref)))

    def _take_poll_slot(self) -> datetime | None:
        """Claim this interval's status request for this process, or None if it is taken.

        One atomic UPDATE: of all processes polling this gateway, only one
        matches the row per interval (seed 003: one mass request a minute).
        """
        now = timezone.now()
        due = Q(polled_at__isnull=True) | Q(
            polled_at__lte=now - timedelta(seconds=self.poll_interval)
        )
        taken = Gateway.objects.filter(pk=self.gateway.pk).filter(due).update(polled_at=now)
        return now if taken == 1 else None

    def _poll_done(self, taken_at: datetime) -> None:
        # Count the interval from when the answer came: the upstream saw the
        # request after we took the slot, and must not see the next one
        # less than a minute after it.
        Gateway.objects.filter(pk=self.gateway.pk, polled_at=taken_at).update(
            polled_at=timezone.now()
        )
