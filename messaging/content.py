"""Content policy (seed 001 §7, §8e): flag text that upstream operators may block.

Staff keep the rules in admin (``ContentRule``). Text is compared lower-case
and without diacritics, so "Wyślij" and "WYSLIJ" are the same word. The rules
are compiled into one regular expression per process and re-read every
``CONTENT_RULES_CACHE_SECONDS`` (at once in the process that saved a change).
"""

import re
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings

_FOLD = str.maketrans("łŁ", "lL")  # ł has no decomposition; the rest fold by NFKD


def fold(text: str) -> str:
    """Lower case, diacritics removed, runs of whitespace made one space."""
    # Compatibility forms first (𝓐 → A), then case, then again: casefold can
    # produce decomposable characters (İ → i̇).
    text = unicodedata.normalize("NFKD", text)
    text = unicodedata.normalize("NFKD", text.translate(_FOLD).casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(text.split())


def rule_regex(kind: str, pattern: str) -> str:
    """The regular expression a rule stands for (kinds as ``RuleKind``)."""
    if kind == "word":
        words = fold(pattern).split()
        if not words:
            raise re.error("the phrase is empty")
        # Matches where a word starts: "kurw" flags "kurwa" but not "skurwiel";
        # staff add those separately if they want them.
        return r"(?<!\w)" + r"\s+".join(re.escape(w) for w in words)
    return pattern


@dataclass(frozen=True)
class Policy:
    rules: tuple[tuple[re.Pattern, str], ...]

    @classmethod
    def compile(cls, rules: Iterable[tuple[str, str, str]]) -> "Policy":
        """``rules`` as (kind, pattern, reason); a broken pattern is skipped, not fatal."""
        compiled = []
        for kind, pattern, reason in rules:
            try:
                compiled.append((re.compile(rule_regex(kind, pattern)), reason))
            except re.error:
                continue
        return cls(tuple(compiled))

    def reasons(self, text: str) -> list[str]:
        folded = fold(text)
        return [reason for regex, reason in self.rules if regex.search(folded)]

    def may_be_invalid(self, text: str) -> bool:
        folded = fold(text)
        return any(regex.search(folded) for regex, _reason in self.rules)


_cached: tuple[float, Policy] | None = None


def current_policy() -> Policy:
    global _cached
    now = time.monotonic()
    if _cached is None or _cached[0] < now:
        from .models import ContentRule

        rows = ContentRule.objects.filter(enabled=True).values_list("kind", "pattern", "reason")
        _cached = (now + settings.CONTENT_RULES_CACHE_SECONDS, Policy.compile(rows))
    return _cached[1]


def forget_policy() -> None:
    global _cached
    _cached = None


def may_be_invalid(text: str) -> bool:
    return current_policy().may_be_invalid(text)
