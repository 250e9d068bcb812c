"""The array literals messaging.pg writes for its statements' list parameters read back
as the same values in PostgreSQL, whatever the strings hold."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st

from messaging import pg
from tests.conftest import examples

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

TRICKY = ["", "NULL", "a,b", '"quoted"', "back\\slash", "{braces}", " spaced ", "zażółć ✓", '\\"']


def read(literal: str, cast: str):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT %s::{cast}", [literal])
        return cursor.fetchone()[0]


def test_texts_read_back_as_written():
    assert read(pg.texts(TRICKY), "text[]") == TRICKY
    assert read(pg.texts([]), "text[]") == []


@settings(max_examples=examples(50))
# Lone surrogates (category Cs) are no text a request can carry: every door decodes
# UTF-8, which has none, and the driver cannot encode one.
@given(
    st.lists(
        st.text(
            alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)),
            max_size=20,
        )
    )
)
def test_any_text_reads_back(values):
    assert read(pg.texts(values), "text[]") == values


def test_ints_and_moments_read_back():
    ids = [1, 42, 9_007_199_254_740_993]
    assert read(pg.ints(ids), "bigint[]") == ids
    warsaw = timezone(timedelta(hours=1))
    moments = [
        datetime(2026, 12, 7, 5, 37, 30, 123456, tzinfo=UTC),
        datetime(2026, 1, 1, tzinfo=warsaw),
    ]
    assert read(pg.moments(moments), "timestamptz[]") == moments
