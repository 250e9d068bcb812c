"""A message's recipients and their statuses, kept as one compact string.

``"48600000001 DELIVERED,48600000002 PENDING"``: numbers are digits and
statuses upper-case names, so neither separator can occur inside a field.
getProgress of a 100,000-recipient message then costs one aggregated string
from the database and a few ``str.replace`` calls, instead of 100,000 rows and
100,000 dictionaries. Pure: no database. One of getProgress's pieces; the
docstring of messaging.progress lists them all.
"""

from collections.abc import Iterable


class StatusList:
    def __init__(self, compact: str):
        self.compact = compact
        self._json: bytes | None = None

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str, str]]) -> "StatusList":
        return cls(",".join(f"{number} {status}" for number, status in pairs))

    @classmethod
    def all_with(cls, numbers: list[str], status: str) -> "StatusList":
        if not numbers:
            return cls("")
        return cls(f" {status},".join(numbers) + f" {status}")

    def __len__(self) -> int:
        return self.compact.count(",") + 1 if self.compact else 0

    def pairs(self) -> list[tuple[str, str]]:
        if not self.compact:
            return []
        return [tuple(item.split(" ", 1)) for item in self.compact.split(",")]

    def count(self, statuses: Iterable[str]) -> int:
        # " NAME," or " NAME" at the end: no status name is a prefix of another.
        text = self.compact + ","
        return sum(text.count(f" {status},") for status in statuses)

    def to_json(self) -> bytes:
        """The JSON array, as bytes (numbers and status names are ASCII).

        Kept: a list getProgress keeps for a large message is served many times.
        """
        if self._json is None:
            self._json = self._render_json()
        return self._json

    def _render_json(self) -> bytes:
        if not self.compact:
            return b"[]"
        # Commas first: the text put in for them has no spaces, the reverse is not true.
        # On bytes: replacing in bytes is faster than in str.
        compact = self.compact.encode("ascii")
        body = compact.replace(b",", b'"},{"number":"').replace(b" ", b'","status":"')
        return b"".join((b'[{"number":"', body, b'"}]'))

    def to_xml(self, tag: str) -> str:
        if not self.compact:
            return ""
        body = self.compact.replace(",", f"</status></{tag}><{tag}><number>").replace(
            " ", "</number><status>"
        )
        return f"<{tag}><number>{body}</status></{tag}>"
