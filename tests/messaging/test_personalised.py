"""Personalised sends (a text per recipient) through the one pipeline: each text checked,
counted and priced on its own, the charge their sum in the send's transaction, refunds of
a recipient's own price, the dispatcher sending each its own text, retention erasing them.
Both storage paths on PostgreSQL: the one statement (up to COPY_THRESHOLD) and COPY."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import ledger, ledger_reasons
from accounts.models import LedgerEntry, LedgerKind, LedgerReason
from messaging import content, pg, retention, services, transitions
from messaging.models import ContentRule, Message, Recipient, Status
from messaging.transitions import Report

pytestmark = pytest.mark.django_db

PART = Decimal("0.0700")  # the default tariff's standard part
GSM_1 = "a" * 160  # one part, at the boundary
GSM_2 = "a" * 161  # two parts
UCS_1 = "ą" * 70  # one UCS-2 part, at the boundary
UCS_2 = "ą" * 71  # two UCS-2 parts
GSM_6 = "a" * 918  # six parts: the most a message takes
GSM_7 = "a" * 919


def numbers(count: int, start: int = 600_000_000) -> list[str]:
    return [str(start + i) for i in range(count)]


def send(service, texts, recipients=None, **options):
    recipients = recipients if recipients is not None else numbers(len(texts))
    request = services.SendRequest(recipients=recipients, text="", texts=texts, **options)
    return services.submit(service.pk, request)


def own_rows(message):
    return list(
        Recipient.objects.filter(message=message)
        .order_by("id")
        .values_list("number", "text", "parts", "price")
    )


@pytest.mark.parametrize("count", [6, services.COPY_THRESHOLD + 6])
def test_each_recipient_is_priced_by_its_own_parts_and_the_charge_is_the_sum(make_service, count):
    # On PostgreSQL 6 take the one-statement path, 506 the COPY path; SQLite the ORM.
    service = make_service(balance=Decimal("1000"))
    odd = [GSM_2, UCS_1, UCS_2, "Cześć\nJan"]
    texts = [GSM_1] * (count - len(odd)) + odd
    with CaptureQueriesContext(connection) as queries:
        accepted = send(service, texts)
    one_statement = any("WITH own AS" in q["sql"] for q in queries.captured_queries)
    assert one_statement is (pg.in_use() and count <= services.COPY_THRESHOLD)
    message = Message.objects.get(pk=accepted.message.pk)

    # The most common text is the message's; only the others are stored per recipient.
    assert (message.text, message.parts, message.encoding) == (GSM_1, 1, "GSM-7")
    assert message.personalised and message.recipient_price == PART
    rows = own_rows(message)
    assert [r[0] for r in rows] == ["48" + n for n in numbers(count)]
    assert all(r[1:] == (None, None, None) for r in rows[: count - 4])
    assert rows[-4:] == [
        ("48" + numbers(count)[-4], GSM_2, 2, 2 * PART),
        ("48" + numbers(count)[-3], UCS_1, 1, PART),
        ("48" + numbers(count)[-2], UCS_2, 2, 2 * PART),
        ("48" + numbers(count)[-1], "Cześć\nJan", 1, PART),
    ]
    expected = PART * (count - 4) + 2 * PART + PART + 2 * PART + PART
    assert message.price == expected
    assert accepted.part_total == (count - 4) + 2 + 1 + 2 + 1

    charge = LedgerEntry.objects.get(reference=f"charge:message:{message.pk}")
    assert (charge.kind, charge.amount, charge.reason) == (
        LedgerKind.CHARGE,
        -expected,
        LedgerReason.MESSAGE,
    )
    assert charge.params == services.charge_params(message)
    assert charge.params["total"] == str(expected)
    assert "personalised" in ledger_reasons.describe(charge.reason, charge.params)
    service.refresh_from_db()
    assert service.balance == Decimal("1000") - expected == charge.balance_after
    assert ledger.ledger_balance(service.pk) == service.balance


def test_an_ordinary_send_stores_nothing_per_recipient(service):
    message = services.submit(
        service.pk, services.SendRequest(recipients=numbers(2), text="Hej")
    ).message
    assert not Message.objects.get(pk=message.pk).personalised
    assert all(r[1:] == (None, None, None) for r in own_rows(message))
    assert "total" not in services.charge_params(message)


def test_the_same_text_for_everyone_is_an_ordinary_message(service):
    message = send(service, ["Hej", "Hej"]).message
    message.refresh_from_db()
    assert not message.personalised and message.price == 2 * PART
    assert all(r[1:] == (None, None, None) for r in own_rows(message))


def test_a_number_given_twice_keeps_its_first_text(service):
    accepted = send(service, ["Pierwszy", "Drugi", "Trzeci"], ["600100200", "48600100200", "x"])
    assert accepted.numbers == ["48600100200"] and accepted.dropped == 1
    assert accepted.message.text == "Pierwszy"


def test_remove_special_characters_applies_to_each_text(service):
    message = send(service, ["Zażółć gęślą", "Jaźń"], remove_special_characters=True).message
    assert message.text == "Zazolc gesla" and message.encoding == "GSM-7"
    assert own_rows(message)[1][1:3] == ("Jazn", 1)


@pytest.mark.parametrize("count", [3, services.COPY_THRESHOLD + 3])
def test_one_recipient_too_long_refuses_the_whole_send_naming_it(make_service, count):
    service = make_service(balance=Decimal("1000"))
    texts = ["Krótki"] * (count - 1) + [GSM_7]
    with pytest.raises(services.MessageTooLong) as refused:
        send(service, texts)
    assert refused.value.number == "48" + numbers(count)[-1]
    assert (refused.value.parts, refused.value.max_parts) == (7, 6)
    assert "48" + numbers(count)[-1] in str(refused.value)
    assert not Message.objects.exists() and not Recipient.objects.exists()
    service.refresh_from_db()
    assert service.balance == Decimal("1000")


def test_six_parts_is_still_accepted(service):
    message = send(service, ["Hej", GSM_6]).message
    assert message.price == PART + 6 * PART


def test_an_empty_text_for_one_recipient_refuses_the_send(service):
    with pytest.raises(services.EmptyText) as refused:
        send(service, ["Hej", "  "])
    assert "48" + numbers(2)[1] in str(refused.value)
    assert not Message.objects.exists()


def test_a_content_rule_flags_one_recipients_text(service):
    ContentRule.objects.create(pattern="darmowe doładowanie", kind="word", reason="scam")
    content.forget_policy()
    texts = ["Dzień dobry", "Darmowe DOŁADOWANIE dla ciebie"]
    with pytest.raises(services.ContentWarning) as refused:
        send(service, texts)
    assert "48" + numbers(2)[1] in str(refused.value)
    assert not Message.objects.exists()
    message = send(service, texts, force=True).message
    assert message.forced


def test_insufficient_funds_counts_the_sum(make_service):
    service = make_service(balance=Decimal("0.20"))
    with pytest.raises(services.InsufficientFunds) as refused:
        send(service, ["Hej", GSM_2])  # 0.07 + 0.14 = 0.21
    assert refused.value.needed == Decimal("0.2100")
    assert not Message.objects.exists()
    send(service, ["Hej", GSM_1])  # 0.14 fits
    assert ledger.ledger_balance(service.pk) == Decimal("0.0600")


def test_estimate_agrees_with_the_charge(service):
    texts = ["Hej", GSM_2, UCS_2, "Hej"]
    request = services.SendRequest(recipients=numbers(4), text="", texts=texts)
    priced = services.estimate(service.pk, request)
    message = services.submit(service.pk, request).message
    assert priced.problem is None
    assert priced.price == message.price == 6 * PART
    assert (priced.shortest, priced.longest) == (3, 161)
    assert (priced.parts_min, priced.parts_max, priced.part_total) == (1, 2, 6)


def test_flash_needs_every_text_in_gsm7(service):
    assert send(service, ["Hej", "Hej ą"], flash=True).message.flash is False
    assert send(service, ["Hej", "Cześć"], flash=True, remove_special_characters=True).message.flash


# -- refunds -----------------------------------------------------------------------------


@pytest.mark.parametrize("count", [3, services.COPY_THRESHOLD + 3])
def test_a_failed_recipient_is_refunded_its_own_price_once(make_service, count):
    service = make_service(balance=Decimal("1000"))
    texts = ["Hej"] * (count - 1) + [UCS_2]
    message = send(service, texts).message
    before = ledger.ledger_balance(service.pk)
    own = Recipient.objects.get(message=message, text__isnull=False)
    plain = Recipient.objects.filter(message=message, text__isnull=True).first()

    transitions.apply_reports([Report(own.pk, Status.REJECTED)])
    transitions.apply_reports([Report(own.pk, Status.REJECTED)])  # repeated: nothing more
    assert ledger.ledger_balance(service.pk) == before + 2 * PART

    transitions.apply_reports([Report(plain.pk, Status.EXPIRED)])
    assert ledger.ledger_balance(service.pk) == before + 3 * PART
    service.refresh_from_db()
    assert service.balance == ledger.ledger_balance(service.pk)


def test_cancel_refunds_each_its_own_price(service):
    message = send(service, ["Hej", GSM_2, "a" * 400]).message  # 1 + 2 + 3 parts
    before = ledger.ledger_balance(service.pk)
    assert services.cancel(service.pk, message.pk) == 3
    assert services.cancel(service.pk, message.pk) == 0
    assert ledger.ledger_balance(service.pk) == before + 6 * PART == before + message.price


def test_deleting_a_recipient_erases_its_own_text(service):
    """SMSC status.php del=1: a deleted recipient's own text goes with it; the others'
    texts and what was charged stay."""
    message = send(service, ["Hej Ania", "Hej Bartek", "Hej Celina"]).message
    ids = Recipient.objects.filter(message=message).order_by("id").values_list("pk", flat=True)
    transitions.apply_reports([Report(pk, Status.DELIVERED) for pk in ids])
    first = Recipient.objects.get(pk=ids[0])
    services.delete_recipients(service.pk, [(message.pk, first.number)])

    texts = dict(Recipient.objects.filter(message=message).values_list("number", "text"))
    assert texts[first.number] in ("", None)
    assert "Hej Bartek" in {message.text, *texts.values()}
    assert "Hej Ania" not in {Message.objects.get(pk=message.pk).text, *texts.values()}


# -- the dispatcher ----------------------------------------------------------------------


def test_the_dispatcher_claims_each_recipient_with_its_own_text_and_parts(service):
    message = send(service, ["Hej", "Hej", UCS_2]).message
    claimed = transitions.claim_due(10, timedelta(minutes=1))
    got = {c.number: (c.text, c.parts) for c in claimed if c.message_id == message.pk}
    assert got == {
        "48" + numbers(3)[0]: ("Hej", 1),
        "48" + numbers(3)[1]: ("Hej", 1),
        "48" + numbers(3)[2]: (UCS_2, 2),
    }


# -- what the customer reads back --------------------------------------------------------


def test_own_texts_lists_only_those_that_differ(service):
    message = send(service, ["Hej", UCS_2, "Hej"]).message
    assert services.own_texts(message) == [("48" + numbers(3)[1], UCS_2, 2)]
    recipient = Recipient.objects.select_related("message").get(message=message, text=UCS_2)
    assert services.as_sent(recipient) == services.AsSent(UCS_2, 2, 2 * PART)
    plain = Recipient.objects.select_related("message").filter(text__isnull=True).first()
    assert services.as_sent(plain) == services.AsSent("Hej", 1, PART)


# -- retention ---------------------------------------------------------------------------


def test_retention_erases_the_recipients_own_texts(service):
    message = send(service, ["Hej", "Cześć Ania"]).message
    ids = Recipient.objects.filter(message=message).values_list("pk", flat=True)
    transitions.apply_reports([Report(pk, Status.DELIVERED) for pk in ids])
    then = timezone.now() - timedelta(days=91)
    Message.objects.filter(pk=message.pk).update(created_at=then, send_at=then)
    Recipient.objects.filter(message=message).update(status_at=then)
    other = send(service, ["Zostaje", "Też zostaje"]).message

    retention.run()

    message.refresh_from_db()
    assert message.text == "" and message.archived == ["text"]
    assert list(
        Recipient.objects.filter(message=message, text__isnull=False).values_list("text", flat=True)
    ) == [""]
    assert services.own_texts(other)[0][1] == "Też zostaje"
    # What was charged stays.
    assert Recipient.objects.get(message=message, text="").price == PART
