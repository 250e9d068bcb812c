"""Content policy (seed 001 §7, §8e): flag text that upstream operators may block.

Staff keep the rules in admin (``ContentRule``). Text is compared lower-case
and without diacritics, so "Wyślij" and "WYSLIJ" are the same word. The rules
are compiled into one regular expression per process and re-read every
``CONTENT_RULES_CACHE_SECONDS`` (at once in the process that saved a change).
"""

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings

from .models import ContentRule, fold, rule_regex


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
        rows = ContentRule.objects.filter(enabled=True).values_list("kind", "pattern", "reason")
        _cached = (now + settings.CONTENT_RULES_CACHE_SECONDS, Policy.compile(rows))
    return _cached[1]


def forget_policy() -> None:
    global _cached
    _cached = None


def may_be_invalid(text: str) -> bool:
    return current_policy().may_be_invalid(text)
