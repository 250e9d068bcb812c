"""What LOAD's clients do (bench/locustfile.py), apart from locust so that the bench and
the tests read it without importing gevent: the mix, the labels locust's stats carry,
the deck the clients draw their next request from, and what counts as success."""

import json
import random

# What the clients do, in requests per 200. The Telecube API is 90 % of them, in the
# issue's mix (80 % single sends, 10 % getProgress, 5 % bulk of 1,000, 5 %
# validateContent); SMSC status.php and mail over SMTP 5 % each.
MIX = {"send": 144, "progress": 18, "bulk": 9, "validate": 9, "status": 10, "mail": 10}
# Each kind's name in locust's stats: one row a kind.
LABELS = {
    "send": "gateway/ 1 recipient",
    "progress": "getProgress",
    "bulk": "gateway/ 1,000",
    "validate": "validateContent",
    "status": "status.php",
    "mail": "SMTP mail",
}
BULK = 1000
SAMPLE = 300  # characters of an unexpected answer kept as the failure's message
TEXTS = [
    "Twoja wizyta u dentysty jutro o 10:30. Prosimy o punktualność.",
    "Your parcel is on its way and arrives tomorrow between 9 and 17.",
    "Kod logowania: 482915. Nie podawaj go nikomu.",
    "Przypominamy o płatności za fakturę 12/2026 do piątku.",
    "Thanks for your order! Pick it up at the shop from Monday.",
]


class Deck:
    """Which request comes next: ``weights`` laid out as a deck, shuffled each time it
    runs out, so that the shares are exact over every full deck and the order random."""

    def __init__(self, weights: dict[str, int], rng: random.Random):
        self.cards = [kind for kind, weight in weights.items() for _ in range(weight)]
        self.rng = rng
        self.left: list[str] = []

    def draw(self) -> str:
        if not self.left:
            self.left = self.cards[:]
            self.rng.shuffle(self.left)
        return self.left.pop()


def api_answer(status: int, body: bytes) -> dict | str:
    """The Telecube API's answer when it is HTTP 200 with ``error: OK``; else the problem."""
    if status != 200:
        return f"HTTP {status}: {body[:SAMPLE]!r}"
    try:
        answer = json.loads(body)
    except ValueError:
        return f"not JSON: {body[:SAMPLE]!r}"
    if not isinstance(answer, dict):
        return f"not an object: {body[:SAMPLE]!r}"
    if answer.get("error") != "OK":
        return f"{answer.get('error')}: {answer.get('error_description', '')}"[:SAMPLE]
    return answer


def status_problem(status: int, body: bytes) -> str | None:
    """None when SMSC's status.php answered a status without an error (seed 003)."""
    if status != 200:
        return f"HTTP {status}: {body[:SAMPLE]!r}"
    try:
        answer = json.loads(body)
    except ValueError:
        return f"not JSON: {body[:SAMPLE]!r}"
    if not isinstance(answer, dict) or "error" in answer or answer.get("status") in (None, -3):
        return f"status.php: {body[:SAMPLE]!r}"
    return None
