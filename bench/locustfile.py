"""LOAD's clients, for locust (``python -m locust -f bench/locustfile.py``), run by the
bench (bench/load.py) as a process of its own: locust patches the standard library for
gevent, which must never reach the bench's process.

Each simulated user is a closed-loop client: it sends its next request when the last is
answered, drawing what to send from one deck shared by all (bench/mix.py), so every 200
requests hold the mix exactly whatever each kind's latency. The Telecube API and SMSC's
status.php go over locust's FastHttpUser, the mail over smtplib (gevent makes it
cooperative) with its timing handed to locust's request event. Each request is named by
its kind, so locust's stats (``--csv``) hold one row a kind. A request fails unless its
answer is the expected success: HTTP 200 and ``error: OK`` from the Telecube API, an
SMSC answer with a status and no error, SMTP 250 after the data; the failure's message
is a sample of the answer.

Configured by the bench through the environment: BENCH_USERNAME and BENCH_PASSWORD (API
and SMSC), BENCH_SEEDED (JSON [[message id, phone], …] accepted before the load, for
getProgress and status.php from the first second), BENCH_SMTP_PORT, BENCH_MAIL_FROM,
BENCH_MAIL_TO, BENCH_MAIL_PASSWORD, BENCH_SEED (the deck's and numbers' random seed),
BENCH_MIX (JSON weights, bench/mix.py's MIX unless set), BENCH_STATS (where locust's
final stats go, as its CSV files) and BENCH_ACCEPTED (a file the recipients each success
was told were accepted are written to, as JSON, at the end).
"""

import csv
import json
import os
import random
import smtplib
import time
from email import policy
from email.message import EmailMessage
from email.utils import make_msgid

from locust import FastHttpUser, constant, events, task
from locust.stats import PERCENTILES_TO_REPORT, StatsCSV

from bench.mix import BULK, LABELS, MIX, SAMPLE, TEXTS, Deck, api_answer, status_problem

REQUEST_TIMEOUT = 120

_rng = random.Random(int(os.environ.get("BENCH_SEED", "0")))  # noqa: S311 - guards nothing
_deck = Deck(json.loads(os.environ.get("BENCH_MIX", "null")) or MIX, _rng)
_seeded = [tuple(pair) for pair in json.loads(os.environ.get("BENCH_SEEDED", "[]"))]
# What the users share (one process, gevent: no two run at once between yields).
messages: list[int] = [message_id for message_id, _ in _seeded]  # for getProgress
unasked: list[tuple[int, str]] = list(_seeded)  # (id, phone) status.php has not asked
accepted = {"recipients": 0, "messages": [], "mails_250": 0}


def bench_mail(i: int) -> EmailMessage:
    """A mail in password mode to one recipient, as bench/mail.py's P4 sends them."""
    message = EmailMessage()
    message["From"] = os.environ["BENCH_MAIL_FROM"]
    message["To"] = os.environ["BENCH_MAIL_TO"]
    message["Subject"] = f"Bench {i}"
    message["Message-ID"] = make_msgid(domain="bench.example.com")
    password = os.environ["BENCH_MAIL_PASSWORD"]
    message.set_content(f"{password}\n48{600000000 + i % 1000}\n---\nBench mail {i}\nEND\n")
    return message


class Client(FastHttpUser):
    """One of the clients: the API and status.php over HTTP, the mail over SMTP."""

    wait_time = constant(0)
    network_timeout = REQUEST_TIMEOUT
    connection_timeout = REQUEST_TIMEOUT

    def on_start(self):
        self.credentials = {
            "username": os.environ["BENCH_USERNAME"],
            "password": os.environ["BENCH_PASSWORD"],
        }

    @task
    def next_request(self):
        getattr(self, _deck.draw())()

    # -- the Telecube API --------------------------------------------------------------

    def api(self, kind, path, fields, method="POST", count: int | None = None) -> dict | None:
        """The answer when it is the expected success (and accepted ``count`` recipients,
        if given), reported to locust either way."""
        fields = {**self.credentials, **fields}
        if method == "GET":
            request = self.client.get(path, params=fields, name=LABELS[kind], catch_response=True)
        else:
            request = self.client.post(path, data=fields, name=LABELS[kind], catch_response=True)
        with request as response:
            answer = api_answer(response.status_code, response.content or b"")
            if response.status_code == 0:  # no answer at all: the connection's error
                answer = f"{type(response.error).__name__}: {response.error}"[:SAMPLE]
            elif isinstance(answer, dict) and count not in (None, answer.get("recipient_count")):
                answer = f"{answer.get('recipient_count')} recipients accepted of {count}"
            if isinstance(answer, str):
                response.failure(answer)
                return None
            return answer

    def gateway(self, kind: str, numbers: list[str]) -> dict | None:
        text = _rng.choice(TEXTS)
        fields = {"to_list": ",".join(numbers), "message": text}
        answer = self.api(kind, "/sms_api/gateway/", fields, count=len(numbers))
        if answer is None:
            return None
        accepted["recipients"] += len(numbers)
        accepted["messages"].append(answer["message_id"])
        messages.append(answer["message_id"])
        return answer

    def send(self):
        number = f"4860{_rng.randrange(10**7):07d}"
        answer = self.gateway("send", [number])
        if answer is not None:
            unasked.append((answer["message_id"], number))

    def bulk(self):
        first = _rng.randrange(10**7 - BULK)
        self.gateway("bulk", [f"4860{first + i:07d}" for i in range(BULK)])

    def progress(self):
        # A client polls what it sent lately.
        message_id = _rng.choice(messages[-500:])
        self.api("progress", f"/sms_api/getProgress/{message_id}/", {}, method="GET")

    def validate(self):
        self.api("validate", "/sms_api/validateContent/", {"message": _rng.choice(TEXTS)})

    # -- SMSC ----------------------------------------------------------------------------

    def status(self):
        # Each status.php request asks about an SMS not asked about yet: SMSC answers
        # error 9 to a sixth request for one message within a minute (seed 003).
        if not unasked:  # a failure in status.php's row, though nothing was asked
            self.environment.events.request.fire(
                request_type="GET",
                name=LABELS["status"],
                response_time=0,
                response_length=0,
                exception=AssertionError("no SMS left that status.php has not asked about"),
                context={},
            )
            return
        message_id, phone = unasked.pop(_rng.randrange(len(unasked)))
        fields = {
            "login": self.credentials["username"],
            "psw": self.credentials["password"],
            "id": message_id,
            "phone": phone,
            "fmt": 3,
            "charset": "utf-8",
        }
        with self.client.get(
            "/sys/status.php", params=fields, name=LABELS["status"], catch_response=True
        ) as response:
            problem = status_problem(response.status_code, response.content or b"")
            if response.status_code == 0:
                problem = f"{type(response.error).__name__}: {response.error}"[:SAMPLE]
            if problem:
                response.failure(problem)

    # -- mail over SMTP ------------------------------------------------------------------

    def mail(self):
        # CRLF lines, as SMTP carries them (smtplib sends bytes as they are).
        raw = bench_mail(_rng.randrange(10**6)).as_bytes(policy=policy.SMTP)
        started = time.perf_counter()
        problem = None
        try:
            with smtplib.SMTP(
                "127.0.0.1", int(os.environ["BENCH_SMTP_PORT"]), timeout=REQUEST_TIMEOUT
            ) as smtp:
                refused = smtp.sendmail(
                    os.environ["BENCH_MAIL_FROM"], [os.environ["BENCH_MAIL_TO"]], raw
                )
                if refused:
                    problem = f"refused: {refused}"
        except (smtplib.SMTPException, OSError) as exc:
            # SMTPResponseException and kin carry the server's code and text.
            problem = f"{type(exc).__name__}: {exc}"[:SAMPLE]
        if problem is None:
            accepted["mails_250"] += 1
        self.environment.events.request.fire(
            request_type="SMTP",
            name=LABELS["mail"],
            response_time=(time.perf_counter() - started) * 1000,
            response_length=len(raw),
            exception=AssertionError(problem) if problem else None,
            context={},
        )


@events.quitting.add_listener
def write_results(environment, **_kwargs):
    """At the end, once every user has stopped: locust's stats as its ``--csv`` files
    hold them (which it rewrites only every second while it runs, so their last version
    misses the answers that came during the stop timeout), to BENCH_STATS_*.csv; and what
    the clients were told was accepted, for the bench to find in the database."""
    if prefix := os.environ.get("BENCH_STATS"):
        table = StatsCSV(environment, PERCENTILES_TO_REPORT)
        for suffix, write in (
            ("stats", table.requests_csv),
            ("failures", table.failures_csv),
            ("exceptions", table.exceptions_csv),
        ):
            with open(f"{prefix}_{suffix}.csv", "w", newline="") as file:
                write(csv.writer(file))
    if path := os.environ.get("BENCH_ACCEPTED"):
        with open(path, "w") as file:
            json.dump(accepted, file)
