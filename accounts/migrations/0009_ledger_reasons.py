"""Ledger entries say why as data (accounts.ledger_reasons), worded when shown.

The entries the platform wrote before carry an English sentence in ``note``; the
known sentences become a reason and its params, and the note is emptied. A note
that matches none (staff's own text) stays as it is. ``parse_note`` is kept here,
frozen with the sentences it reads, and tested directly
(tests/accounts/test_ledger_reasons.py).
"""

import re

from django.db import migrations, models

# messaging.services' charge note: "message 8: 4 × 0.0700 PLN".
_CHARGE = re.compile(r"message (\d+): (\d+) × (\d+\.\d+) PLN")
# messaging.transitions' refund note, naming at most ten messages:
# "3 recipient(s) not delivered or cancelled; messages 8, 9…".
_REFUND = re.compile(r"(\d+) recipient\(s\) not delivered or cancelled; messages ([\d, ]+?)(…?)")
# An earlier cancel's refund: "message 8: 2 cancelled × 0.0700 PLN".
_CANCELLED = re.compile(r"message (\d+): (\d+) cancelled × \d+\.\d+ PLN")

BATCH = 2000


def parse_note(kind: str, note: str) -> tuple[str, dict] | None:
    """(reason, params) of a note the platform wrote, None for any other note."""
    if kind == "charge" and (found := _CHARGE.fullmatch(note)):
        message, count, price = found.groups()
        return "message", {"message": int(message), "count": int(count), "price": price}
    if kind == "refund" and (found := _REFUND.fullmatch(note)):
        count, listed, more = found.groups()
        ids = [int(m) for m in listed.split(",") if m.strip()]
        return "undelivered", {"count": int(count), "messages": ids, "more": bool(more)}
    if kind == "refund" and (found := _CANCELLED.fullmatch(note)):
        message, count = found.groups()
        return "undelivered", {"count": int(count), "messages": [int(message)], "more": False}
    return None


# The charges are most of the ledger (one a send): on PostgreSQL they are converted
# in one statement, by the same pattern as _CHARGE; the rest row by row below.
_CHARGES_SQL = r"""
UPDATE accounts_ledgerentry e
   SET reason = 'message', note = '',
       params = jsonb_build_object('message', m[1]::bigint, 'count', m[2]::integer,
                                   'price', m[3])
  FROM (SELECT id, regexp_match(note, '^message (\d+): (\d+) × (\d+\.\d+) PLN$') AS m
          FROM accounts_ledgerentry
         WHERE kind = 'charge' AND reason = '') found
 WHERE e.id = found.id AND found.m IS NOT NULL
"""


def convert(apps, schema_editor):
    entry = apps.get_model("accounts", "LedgerEntry")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_CHARGES_SQL)
    rows = (
        entry.objects.filter(reason="", kind__in=["charge", "refund"])
        .exclude(note="")
        .only("id", "kind", "note")
        .order_by("id")
    )
    changed = []
    for row in rows.iterator(chunk_size=BATCH):
        parsed = parse_note(row.kind, row.note)
        if parsed is None:
            continue
        row.reason, row.params = parsed
        row.note = ""
        changed.append(row)
        if len(changed) >= BATCH:
            entry.objects.bulk_update(changed, ["reason", "params", "note"])
            changed = []
    entry.objects.bulk_update(changed, ["reason", "params", "note"])


def english_note(reason: str, params: dict) -> str | None:
    """The sentence an entry of ``reason`` carried before, for going back."""
    if reason == "message":
        return f"message {params['message']}: {params['count']} × {params['price']} PLN"
    if reason == "undelivered":
        listed = ", ".join(str(m) for m in params["messages"])
        more = "…" if params.get("more") else ""
        return f"{params['count']} recipient(s) not delivered or cancelled; messages {listed}{more}"
    return None


def unconvert(apps, schema_editor):
    entry = apps.get_model("accounts", "LedgerEntry")
    changed = []
    for row in entry.objects.exclude(reason="").only("id", "reason", "params", "note"):
        note = english_note(row.reason, row.params)
        if note is not None:
            row.note = " — ".join(part for part in (note, row.note) if part)[:300]
            changed.append(row)
    entry.objects.bulk_update(changed, ["note"], batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0008_sender_operator_status"),
    ]

    operations = [
        migrations.AddField(
            model_name="ledgerentry",
            name="params",
            field=models.JSONField(blank=True, default=dict, verbose_name="details"),
        ),
        migrations.AddField(
            model_name="ledgerentry",
            name="reason",
            field=models.CharField(
                blank=True,
                choices=[
                    ("message", "message charged"),
                    ("undelivered", "recipients not delivered or cancelled"),
                ],
                default="",
                max_length=16,
                verbose_name="reason",
            ),
        ),
        migrations.RunPython(convert, unconvert, elidable=True),
    ]
