"""Content policy (seed 001 §7, §8e): flag text that upstream operators may block.

Staff keep the rules in admin (``ContentRule``). Text is compared lower-case
and without diacritics, so "Wyślij" and "WYSLIJ" are the same word. The rules
are compiled into one regular expression per process and re-read every
``CONTENT_RULES_CACHE_SECONDS`` (at once in the process that saved a change).
"""

import bisect
import functools
import itertools
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings

from .models import ContentRule, fold, fold_many, rule_regex


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

    def first_flagged(self, texts: Sequence[str]) -> int | None:
        """The index of the first of ``texts`` a rule flags, or None (a personalised send).

        Each text is folded once; a rule that only looks inside its match searches
        all of them at once, joined by line breaks (a folded text has none), and the
        texts one by one only when it matched there. A rule that looks at what is
        around its match (anchors, lookarounds, \\B) would see the neighbouring text,
        so it reads each text alone."""
        if not self.rules or not texts:
            return None
        folded = fold_many(list(texts))
        joined = "\n".join(folded)
        starts = list(itertools.accumulate((len(f) + 1 for f in folded[:-1]), initial=0))
        first = len(folded)
        for regex, _reason in self.rules:
            if not _self_contained(regex.pattern):
                first = next((i for i in range(first) if regex.search(folded[i])), first)
                continue
            if not _unanchored(regex.pattern).search(joined):
                continue  # not even without its lookbehind: no text matches
            position = 0
            while (found := regex.search(joined, position)) is not None:
                i = bisect.bisect_right(starts, found.start()) - 1
                if i >= first:
                    break
                if regex.search(folded[i]):
                    first = i
                    break
                # A match across the break after text i: look again from text i + 1.
                if i + 1 == len(starts):
                    break
                position = starts[i + 1]
        return first if first < len(folded) else None


# What makes a rule look past its match; a word rule's own (?<!\w) does not (a line
# break is not a word character, as the start of a text is not).
_LOOKS_AROUND = ("^", "$", "\\A", "\\Z", "\\z", "\\B", "(?=", "(?!", "(?<=", "(?<!")


# A lookaround at one character (``(?!\\d)``, ``(?<![\\d+])``) that a line break does not
# match sees the break beside a text as it sees the text's end: the same answer.
_ONE_CHARACTER_LOOK = re.compile(r"\(\?<?[=!](\\.|\[(?:\\.|[^\]\\])*\]|[^\\()\[\]|?*+{}.^$])\)")


@functools.cache
def _unanchored(pattern: str) -> re.Pattern:
    """``pattern`` without a lookbehind at its start: it matches wherever the rule does,
    and a literal start (a word rule's) is then found by a fast scan, not tried at every
    position behind a lookbehind."""
    found = _ONE_CHARACTER_LOOK.match(pattern)
    try:
        return re.compile(pattern[found.end() :] if found else pattern)
    except re.error:
        return re.compile(pattern)


_CLASS = re.compile(r"\[(?:\\.|[^\]\\])*\]")


@functools.cache
def _self_contained(pattern: str) -> bool:
    def harmless(found: re.Match) -> str:
        try:
            return "" if re.fullmatch(found.group(1), "\n") is None else found.group(0)
        except re.error:
            return found.group(0)

    body = _CLASS.sub("", _ONE_CHARACTER_LOOK.sub(harmless, pattern))  # [^…] is no anchor
    return not any(token in body for token in _LOOKS_AROUND)


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


def first_flagged(texts: Sequence[str]) -> int | None:
    return current_policy().first_flagged(texts)
