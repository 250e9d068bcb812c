"""A real HTTP server on loopback that records what it is sent (callback tests)."""

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class _Server(ThreadingHTTPServer):
    request_queue_size = 64  # workers POST several at once; 5 would drop connects


class Receiver:
    """Answers each POST with the next of ``answers`` (the last one repeats).

    An answer is a body (str or bytes, HTTP 200) or a ``(status, body)`` pair.
    ``port``: a given one (a receiver that comes up where callbacks were failing).
    ``delay`` seconds pass before each answer; ``drip`` sends the answer one
    byte at a time, ``drip`` seconds apart; ``pause`` seconds pass between the
    head and the body, sent without a Content-Length when ``length`` is false.
    """

    def __init__(
        self,
        answers=("OK",),
        *,
        delay: float = 0.0,
        drip: float = 0.0,
        pause: float = 0.0,
        length: bool = True,
        port: int = 0,
    ):
        self.answers = list(answers)
        self.delay = delay
        self.drip = drip
        self.pause = pause
        self.length = length
        self.requests: list[Received] = []
        self._lock = threading.Lock()
        self.server = _Server(("127.0.0.1", port), self._handler())
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/callback"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    @property
    def bodies(self) -> list[bytes]:
        return [r.body for r in self.requests]

    def _next_answer(self) -> tuple[int, bytes]:
        with self._lock:
            answer = self.answers[min(len(self.requests) - 1, len(self.answers) - 1)]
        status, body = answer if isinstance(answer, tuple) else (200, answer)
        return status, body.encode() if isinstance(body, str) else body

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._lock:
                    receiver.requests.append(Received(self.path, dict(self.headers), body))
                status, answer = receiver._next_answer()
                time.sleep(receiver.delay)
                length = f"Content-Length: {len(answer)}\r\n" if receiver.length else ""
                head = f"HTTP/1.0 {status} Whatever\r\n{length}\r\n".encode()
                try:
                    if receiver.drip:
                        raw = head + answer
                        for i in range(len(raw)):
                            self.wfile.write(raw[i : i + 1])
                            self.wfile.flush()
                            time.sleep(receiver.drip)
                    elif receiver.pause:
                        self.wfile.write(head)
                        self.wfile.flush()
                        time.sleep(receiver.pause)
                        self.wfile.write(answer)
                    else:
                        self.wfile.write(head + answer)
                except OSError:
                    pass  # the client gave up first

            def log_message(self, *args):
                pass

        return Handler
