"""The batch checks a personalised send runs over its texts answer as the one-text
rules do: fold_many as fold, Policy.first_flagged as may_be_invalid text by text, and
count_parts (with its fast paths) as the part-by-part walk."""

import unicodedata

from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from messaging import gsm7
from messaging.content import Policy
from messaging.models import fold, fold_many
from tests.conftest import examples

RULES = [
    ("word", "darmowe doładowanie", "scam"),
    ("word", "kurw", "abuse"),
    ("regex", r"(?<![\d+])(?:\+?48[\s-]?)?0?[\s-]?70[0-8](?:[\s-]?\d){6}(?!\d)", "premium"),
    ("regex", r"^start", "anchored"),
    ("regex", r"koniec$", "anchored at the end"),
    ("regex", r"sms\b[^0-9]{0,20}?na\s+7\d{4}(?!\d)", "premium sms"),
    ("regex", r"ab(?!\s)", "looks past"),
]
POLICY = Policy.compile(RULES)
_words = st.sampled_from(
    [
        "darmowe",
        "doładowanie",
        "Kurwa",
        "start",
        "koniec",
        "sms",
        "na",
        "70512",
        "701234567",
        "ab",
        "ł",
        "Ł",
        "é",
        "İ",
        "ẞ",
        "\n",
        " ",
        "7",
        "12345",
        "+48",
        "𝓐",
        "a\u0301",
        "\uffff",
    ]
)
_texts = st.lists(_words, max_size=8).map(" ".join) | st.text(max_size=30)


def _reference_fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = unicodedata.normalize("NFKD", text.translate(str.maketrans("łŁ", "lL")).casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(text.split())


@hypothesis_settings(max_examples=examples(300))
@given(st.lists(_texts, max_size=6))
def test_fold_many_is_fold_of_each_and_fold_is_unchanged(texts):
    assert fold_many(texts) == [fold(t) for t in texts] == [_reference_fold(t) for t in texts]


@hypothesis_settings(max_examples=examples(400))
@given(st.lists(_texts, min_size=1, max_size=6))
def test_first_flagged_is_the_first_text_a_rule_flags(texts):
    expected = next((i for i, t in enumerate(texts) if POLICY.may_be_invalid(t)), None)
    assert POLICY.first_flagged(texts) == expected


def test_a_match_across_two_texts_flags_neither():
    assert POLICY.first_flagged(["tanio: darmowe", "doładowanie za grosz"]) is None
    assert POLICY.first_flagged(["x", "ab", "ab"]) == 1  # nothing after ab: not a space
    assert POLICY.first_flagged(["x koniec", "start y"]) == 0


def _reference_parts(text: str) -> gsm7.Segmentation:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    encoding = gsm7.GSM7 if all(ch in gsm7.CHARSET for ch in text) else gsm7.UCS2
    sizes = gsm7._unit_sizes(text, encoding)
    units = sum(sizes)
    if units <= gsm7.SINGLE[encoding]:
        return gsm7.Segmentation(encoding, units, 1 if units else 0)
    limit, parts, used = gsm7.PER_PART[encoding], 1, 0
    for size in sizes:
        if used + size > limit:
            parts += 1
            used = 0
        used += size
    return gsm7.Segmentation(encoding, units, parts)


@hypothesis_settings(max_examples=examples(400))
@given(
    st.lists(st.sampled_from(["a", "ą", "€", "\n", "\r\n", "😀", "x" * 50, "ż" * 30]), max_size=40)
)
def test_count_parts_is_the_walk(pieces):
    text = "".join(pieces)
    assert gsm7.count_parts(text) == _reference_parts(text)
