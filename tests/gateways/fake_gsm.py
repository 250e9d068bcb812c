"""Fake GSM devices for the driver tests: real HTTP servers on loopback that record requests.

Each fake speaks the part of its vendor's HTTP interface the drivers use
(gateways.drivers.gsm) and keeps every request it got, decoded, so a test can
check what reached the "device".
"""

import base64
import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

USERNAME = "admin"
PASSWORD = "s3cret"


@dataclass
class Seen:
    """One request as the device got it."""

    method: str
    path: str
    query: dict[str, str]  # the first value of each field, percent-decoded as UTF-8
    body: bytes
    headers: dict[str, str]

    @property
    def json(self):
        return json.loads(self.body)


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/plain"

    @classmethod
    def of_json(cls, data, status=200):
        return cls(status, json.dumps(data).encode(), "application/json")


class FakeDevice:
    """An HTTP server in a thread on 127.0.0.1 (port 0); subclasses answer ``handle``."""

    def __init__(self):
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        device = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self):
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                seen = Seen(
                    method=self.command,
                    path=parts.path,
                    query={k: v[0] for k, v in parse_qs(parts.query, True).items()},
                    body=self.rfile.read(length) if length else b"",
                    headers=dict(self.headers.items()),
                )
                with device._lock:
                    device.requests.append(seen)
                    answer = device.handle(seen)
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            do_GET = do_POST = _serve

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def handle(self, seen: Seen) -> Answer:
        raise NotImplementedError

    def to(self, path: str) -> list[Seen]:
        return [r for r in self.requests if r.path == path]


class FakeDinstar(FakeDevice):
    """``api/send_sms`` and ``api/query_sms_result`` with HTTP basic auth.

    Every SMS it accepts is kept by user_id with ``status`` (SENDING until a
    test changes it); ``send_error_code`` makes it refuse sends.
    """

    def __init__(self):
        super().__init__()
        self.sms: dict[int, dict] = {}
        self.send_error_code = 202
        self.tasks = 0

    def authorised(self, seen: Seen) -> bool:
        expected = base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
        return seen.headers.get("Authorization") == f"Basic {expected}"

    def handle(self, seen):
        if not self.authorised(seen):
            return Answer(401, b"Unauthorized")
        if seen.path == "/api/send_sms":
            if self.send_error_code != 202:
                return Answer.of_json({"error_code": self.send_error_code})
            data = seen.json
            self.tasks += 1
            for param in data["param"]:
                self.sms[param["user_id"]] = {
                    "user_id": param["user_id"],
                    "number": param["number"],
                    "port": data["port"][0],
                    "text": data["text"],
                    "status": "SENDING",
                    "count": 1,
                    "succ_count": 0,
                    "time": "2024-05-06 12:34:56",
                }
            return Answer.of_json(
                {
                    "error_code": 202,
                    "sn": "dbd2-0000-0000-0001",
                    "sms_in_queue": len(data["param"]),
                    "task_id": self.tasks,
                }
            )
        if seen.path == "/api/query_sms_result":
            wanted = seen.json.get("user_id") or []
            result = [dict(self.sms[uid]) for uid in wanted if uid in self.sms]
            return Answer.of_json({"error_code": 200, "result": result})
        return Answer(404, b"Not Found")

    def set_status(self, status: str, **fields):
        for sms in self.sms.values():
            sms.update(status=status, **fields)


class FakeOpenVox(FakeDevice):
    """``GET sendsms?…&report=JSON``: "fail" for the numbers in ``failing``, else "success"."""

    def __init__(self):
        super().__init__()
        self.failing: set[str] = set()

    def handle(self, seen):
        if seen.path != "/sendsms":
            return Answer(404, b"Not Found")
        q = seen.query
        if (q.get("username"), q.get("password")) != (USERNAME, PASSWORD):
            return Answer(401, b"Unauthorized")
        result = "fail" if q.get("phonenumber") in self.failing else "success"
        entry = {
            "port": q.get("port"),
            "phonenumber": q.get("phonenumber"),
            "time": "2024-05-06 12:34:56",
            "result": result,
        }
        return Answer.of_json({"message": q.get("message"), "report": [{"1": [entry]}]})


class FakeDblTek(FakeDevice):
    """``GET cgi/WebCGI?1500101=account=…``: ``Response: Error`` for ``failing`` numbers."""

    def __init__(self):
        super().__init__()
        self.failing: set[str] = set()

    def handle(self, seen):
        if seen.path != "/cgi/WebCGI":
            return Answer(404, b"Not Found")
        q = seen.query
        if (q.get("1500101"), q.get("password")) != (f"account={USERNAME}", PASSWORD):
            return Answer(200, b"Response: Error\r\nMessage: Authentication failed\r\n\r\n")
        if q.get("destination") in self.failing:
            return Answer(200, b"Response: Error\r\nMessage: Send failed\r\n\r\n")
        return Answer(200, b"Response: Success\r\nMessage: Commit successfully!\r\n\r\n")


@dataclass
class RefusingAddress:
    """A loopback port bound but not listening: connecting to it is refused."""

    sock: socket.socket = field(default_factory=lambda: socket.socket())

    def __enter__(self):
        self.sock.bind(("127.0.0.1", 0))
        return self

    def __exit__(self, *exc):
        self.sock.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/"
