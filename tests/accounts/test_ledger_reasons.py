"""Ledger entries say why as data and are worded when shown, in the reader's language
with the plural their count takes; the migration turns the English notes written
before into the same data."""

import importlib
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from django.utils import translation

from accounts import ledger, ledger_reasons
from accounts.ledger_reasons import LedgerReason, describe
from accounts.models import LedgerEntry, LedgerKind

migration = importlib.import_module("accounts.migrations.0009_ledger_reasons")

CHARGE = ledger_reasons.message_charge(8, 4, Decimal("0.0700"))
ONE = ledger_reasons.message_charge(9, 1, Decimal("0.1050"))
REFUND = ledger_reasons.undelivered_refund(3, [9, 8, 8])
REFUND_ONE = ledger_reasons.undelivered_refund(1, [8])

WORDED = {
    "en": [
        (LedgerReason.MESSAGE, CHARGE, "Message 8: 4 recipients × 0.0700 PLN"),
        (LedgerReason.MESSAGE, ONE, "Message 9: 1 recipient × 0.1050 PLN"),
        (
            LedgerReason.UNDELIVERED,
            REFUND,
            "Refund: 3 recipients not delivered or cancelled (messages 8, 9)",
        ),
        (
            LedgerReason.UNDELIVERED,
            REFUND_ONE,
            "Refund: 1 recipient not delivered or cancelled (message 8)",
        ),
    ],
    "pl": [
        (LedgerReason.MESSAGE, CHARGE, "Wiadomość 8: 4 odbiorców × 0,0700 zł"),
        (LedgerReason.MESSAGE, ONE, "Wiadomość 9: 1 odbiorca × 0,1050 zł"),
        (
            LedgerReason.UNDELIVERED,
            REFUND,
            "Zwrot: 3 odbiorców niedoręczonych lub anulowanych (wiadomości 8, 9)",
        ),
        (
            LedgerReason.UNDELIVERED,
            REFUND_ONE,
            "Zwrot: 1 odbiorca niedoręczony lub anulowany (wiadomość 8)",
        ),
    ],
}


@pytest.mark.parametrize("language", WORDED)
def test_every_reason_is_worded_in_each_language(language):
    with translation.override(language):
        for reason, params, words in WORDED[language]:
            assert describe(reason, params) == words
    assert {reason for reason, _, _ in WORDED[language]} == set(LedgerReason)


def test_many_messages_are_cut_short():
    params = ledger_reasons.undelivered_refund(30, range(1, 16))
    assert params == {"count": 30, "messages": list(range(1, 11)), "more": True}
    with translation.override("en"):
        assert describe(LedgerReason.UNDELIVERED, params).endswith(
            "(messages 1, 2, 3, 4, 5, 6, 7, 8, 9, 10…)"
        )


def test_staffs_note_is_shown_as_typed():
    with translation.override("pl"):
        assert describe("", {}, "przelew 7/12") == "przelew 7/12"
        assert describe("", {}) == ""
        assert describe(LedgerReason.MESSAGE, ONE, "korekta") == (
            "Wiadomość 9: 1 odbiorca × 0,1050 zł — korekta"
        )


@pytest.mark.django_db
def test_a_refund_records_its_recipients_and_messages(api_service, simulator):
    from gateways import dispatch
    from messaging import services

    message = services.submit(
        api_service.pk,
        services.SendRequest(recipients=["48600100123", "48600100000"], text="Hej"),
    ).message
    dispatch.dispatch_batch()
    refund = LedgerEntry.objects.get(service=api_service, kind=LedgerKind.REFUND)
    assert (refund.reason, refund.note) == (LedgerReason.UNDELIVERED, "")
    assert refund.params == {"count": 1, "messages": [message.pk], "more": False}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "charge", "refund"),
    [
        ("en", "1 recipient × 0.0700 PLN", "Refund: 1 recipient not delivered"),
        ("pl", "1 odbiorca × 0,0700 zł", "Zwrot: 1 odbiorca niedoręczony"),
    ],
)
def test_the_balance_history_words_them_for_its_reader(
    client, api_service, simulator, language, charge, refund
):
    from gateways import dispatch
    from messaging import services

    services.submit(api_service.pk, services.SendRequest(recipients=["48600100000"], text="Hej"))
    dispatch.dispatch_batch()
    client.force_login(api_service.customer.user)
    page = client.get(
        f"/services/{api_service.pk}/balance/", HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()
    assert charge in page and refund in page


# -- the migration of the notes written before ------------------------------------------------

NOTES = [
    (
        "charge",
        "message 8: 4 × 0.0700 PLN",
        ("message", {"message": 8, "count": 4, "price": "0.0700"}),
    ),
    (
        "refund",
        "3 recipient(s) not delivered or cancelled; messages 8, 9",
        ("undelivered", {"count": 3, "messages": [8, 9], "more": False}),
    ),
    (
        "refund",
        "30 recipient(s) not delivered or cancelled; messages 1, 2, 3, 4, 5, 6, 7, 8, 9, 10…",
        ("undelivered", {"count": 30, "messages": list(range(1, 11)), "more": True}),
    ),
    (
        "refund",
        "message 8: 2 cancelled × 0.0700 PLN",
        ("undelivered", {"count": 2, "messages": [8], "more": False}),
    ),
]
KEPT = [
    ("top_up", "transfer 7/12"),
    ("adjustment", "seed_demo: set demo balance"),
    ("charge", "1 SMS"),
    ("refund", "message 8: 4 × 0.0700 PLN"),  # a charge's sentence on a refund
    ("charge", "message 8: 4 × 0.0700 PLN and more"),
    ("charge", ""),
]


@pytest.mark.parametrize(("kind", "note", "parsed"), NOTES)
def test_the_known_english_notes_are_parsed(kind, note, parsed):
    assert migration.parse_note(kind, note) == parsed
    # Going back writes the sentence the platform wrote last for the same data.
    older = "message 8: 2 cancelled × 0.0700 PLN"
    again = "2 recipient(s) not delivered or cancelled; messages 8" if note == older else note
    assert migration.english_note(*parsed) == again


@pytest.mark.parametrize(("kind", "note"), KEPT)
def test_any_other_note_stays_free_text(kind, note):
    assert migration.parse_note(kind, note) is None


def test_the_parsed_params_are_what_the_platform_writes_now():
    message = migration.parse_note("charge", "message 8: 4 × 0.0700 PLN")[1]
    assert message == ledger_reasons.message_charge(8, 4, Decimal("0.0700"))
    refund = migration.parse_note("refund", NOTES[2][1])[1]
    assert refund == ledger_reasons.undelivered_refund(30, range(1, 11)) | {"more": True}


@pytest.mark.django_db
def test_the_migration_converts_the_rows(make_service):
    # On PostgreSQL the charges go through the migration's one UPDATE, the rest
    # through parse_note; either way each row ends as parse_note says.
    service = make_service(balance=Decimal("100"))
    written = []
    for n, (kind, note) in enumerate([(kind, note) for kind, note, _ in NOTES] + KEPT):
        amount = Decimal("1") if kind in ("refund", "top_up") else Decimal("-1")
        applied = ledger._apply(
            service.pk, amount, kind, enforce_limit=False, note=note, reference=f"old:{n}"
        )
        written.append((applied.entry.pk, kind, note))
    editor = SimpleNamespace(
        connection=connection, execute=lambda sql: connection.cursor().execute(sql)
    )
    migration.convert(apps, editor)
    for pk, kind, note in written:
        row = LedgerEntry.objects.get(pk=pk)
        parsed = migration.parse_note(kind, note)
        if parsed is None:
            assert (row.reason, row.params, row.note) == ("", {}, note)
        else:
            assert (row.reason, row.params, row.note) == (*parsed, "")


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_charges_one_update_reads_them_as_parse_note_does(make_service):
    service = make_service(balance=Decimal("100"))
    notes = ["message 8: 4 × 0.0700 PLN", "message 8: 4 × 0.0700 PLN and more", "1 SMS"]
    pks = [
        ledger._apply(service.pk, Decimal("-1"), "charge", enforce_limit=False, note=note).entry.pk
        for note in notes
    ]
    with connection.cursor() as cursor:
        cursor.execute(migration._CHARGES_SQL)
    for pk, note in zip(pks, notes, strict=True):
        row = LedgerEntry.objects.get(pk=pk)
        parsed = migration.parse_note("charge", note)
        expected = ("", {}, note) if parsed is None else (*parsed, "")
        assert (row.reason, row.params, row.note) == expected
