"""A fake SMSC upstream on loopback: send.php and status.php, holding SMSC's limits itself.

It records every request (path, fields, the client's port: one port per
connection), sends each id once (a repeated id is refused with error 9
naming it, and counted), and answers error 9 as SMSC does (seed 003) to a
second mass status request within a minute or a sixth identical one. Its
clock can be moved forward (``advance``) when a test moves the gateway's.
"""

import json
import re
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

NUMBER = re.compile(r"^\d{10,15}$")


@dataclass
class Request:
    path: str
    fields: dict
    client_port: int


@dataclass
class Sms:
    phone: str
    text: str
    sender: str
    flash: bool
    requests: int = 1  # asked to send it this many times: each one went out (as SMSC does)


@dataclass
class FakeSmsc:
    login: str = "upstream"
    password: str = "secret"
    # Configure answers: number → send.php error code (6, 7, 8 reject one recipient);
    # send_error: error code for every send (1, 2, 3, 4: the account's).
    send_errors: dict = field(default_factory=dict)
    send_error: int | None = None
    status_error: int | None = None
    # id → (status, err, last_timestamp) as status.php reports it; sent ids
    # not listed here are "transferred to the operator" (0).
    statuses: dict = field(default_factory=dict)
    requests: list = field(default_factory=list)
    sent: dict = field(default_factory=dict)  # id → Sms
    errors: list = field(default_factory=list)  # (path, error code) of every refusal

    def __post_init__(self):
        self._lock = threading.Lock()
        self._offset = 0.0
        self._last_mass = None
        self._identical = defaultdict(list)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._stopped = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

    def start(self) -> "FakeSmsc":
        self._thread.start()
        return self

    def stop(self) -> None:
        if not self._stopped:
            self._stopped = True
            self._server.shutdown()
            self._server.server_close()

    def now(self) -> float:
        return time.monotonic() + self._offset

    def advance(self, seconds: float) -> None:
        self._offset += seconds

    def to(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    # -- the endpoints -----------------------------------------------------------------------

    def answer(self, path: str, fields: dict):
        with self._lock:
            if fields.get("login") != self.login or fields.get("psw") != self.password:
                return self._error(path, 2, "authorise error")
            if path == "/sys/send.php":
                return self._send(path, fields)
            if path == "/sys/status.php":
                return self._status(path, fields)
            return None

    def _error(self, path: str, code: int, text: str, sms_id: str | None = None) -> dict:
        self.errors.append((path, code))
        answer = {"error": text, "error_code": code}
        if sms_id is not None:
            answer["id"] = sms_id
        return answer

    def _send(self, path: str, fields: dict) -> dict:
        sms_id, phone, text = fields.get("id", ""), fields.get("phones", ""), fields.get("mes")
        if not sms_id or not phone or not text:
            return self._error(path, 1, "parameters error")
        if self.send_error is not None:
            return self._error(path, self.send_error, "account error", sms_id)
        if sms_id in self.sent:
            # Like the real SMSC, a repeated id is not refused: it goes out again.
            self.sent[sms_id].requests += 1
            return {"id": sms_id, "cnt": 1}
        if not NUMBER.match(phone):
            return self._error(path, 7, "invalid number", sms_id)
        if phone in self.send_errors:
            return self._error(path, self.send_errors[phone], "cannot send", sms_id)
        self.sent[sms_id] = Sms(phone, text, fields.get("sender", ""), fields.get("flash") == "1")
        return {"id": sms_id, "cnt": 1}

    def _status(self, path: str, fields: dict):
        phones, ids = fields.get("phone", ""), fields.get("id", "")
        now = self.now()
        # seed 003: more than one mass request a minute, or more than five
        # identical requests for one message a minute, is error 9.
        mass = "," in ids
        if mass:
            if self._last_mass is not None and now - self._last_mass < 60:
                return self._error(path, 9, "too many requests")
            self._last_mass = now
        key = (phones, ids)
        recent = [t for t in self._identical[key] if now - t < 60]
        if len(recent) >= 5:
            return self._error(path, 9, "too many identical requests")
        self._identical[key] = [*recent, now]
        if self.status_error is not None:
            return self._error(path, self.status_error, "status error")
        pairs = list(zip(_split(phones), _split(ids), strict=False))
        if not pairs or len(_split(phones)) != len(_split(ids)):
            return self._error(path, 1, "parameters error")
        items = [self._item(phone, sms_id) for phone, sms_id in pairs]
        return items if mass else items[0]

    def _item(self, phone: str, sms_id: str) -> dict:
        sms = self.sent.get(sms_id)
        if sms is None or sms.phone != phone:
            status, err, at = -3, 0, 0
        else:
            status, err, at = self.statuses.get(sms_id, (0, 0, int(time.time())))
        return {
            "status": status,
            "last_date": datetime.fromtimestamp(at, tz=UTC).strftime("%d.%m.%Y %H:%M:%S"),
            "last_timestamp": at,
            "flag": 0,
            "err": err,
            "id": sms_id,
            "phone": phone,
        }


def _split(value: str) -> list[str]:
    return [part for part in value.split(",") if part]


def _handler(fake: FakeSmsc):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8")
            self._serve(dict(parse_qsl(body, keep_blank_values=True)))

        def do_GET(self):
            path, _, query = self.path.partition("?")
            self._serve(dict(parse_qsl(query, keep_blank_values=True)))

        def _serve(self, fields):
            path = self.path.partition("?")[0]
            with fake._lock:
                fake.requests.append(Request(path, fields, self.client_address[1]))
            answer = fake.answer(path, fields)
            if answer is None:
                self.send_error(404)
                return
            data = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format, *args):
            pass

    return Handler
