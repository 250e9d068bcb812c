"""Retention (RODO, ``messaging.retention``): texts erased after RETENTION_TEXT_DAYS and
numbers masked after RETENTION_NUMBER_DAYS, counted from when a message was final; what
accounting needs stays."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accounts.models import LedgerEntry
from messaging import numbers, retention, services, tasks, transitions
from messaging.models import Callback, CallbackKind, IncomingMessage, Message, Recipient, Status
from messaging.transitions import Report
from tests.conftest import examples

pytestmark = pytest.mark.django_db

A, B, C = "48600100001", "48600100002", "48600100003"


def send(service, numbers=(A, B), text="Kod 1234 dla Jana", **fields):
    request = services.SendRequest(recipients=list(numbers), text=text, **fields)
    return services.submit(service.pk, request).message


def finish(message, status=Status.DELIVERED):
    ids = Recipient.objects.filter(message=message).values_list("pk", flat=True)
    transitions.apply_reports([Report(pk, status) for pk in ids])


def age(message, days):
    """The message accepted, sent and final ``days`` ago."""
    then = timezone.now() - timedelta(days=days)
    Message.objects.filter(pk=message.pk).update(created_at=then, send_at=then)
    Recipient.objects.filter(message=message).update(status_at=then)


def old_message(service, days, **fields):
    message = send(service, **fields)
    finish(message)
    age(message, days)
    return message


@pytest.fixture
def customer(make_service):
    service = make_service(username="alice", balance=Decimal("100"))
    service.callback_url = "https://example.com/reports"
    service.save()
    return service


# -- the settings ------------------------------------------------------------------------


def test_the_defaults_keep_texts_90_days_and_numbers_365():
    from smspanel import settings as project

    assert (project.RETENTION_TEXT_DAYS, project.RETENTION_NUMBER_DAYS) == (90, 365)


@pytest.mark.parametrize(("raw", "days"), [("30", 30), ("0", 0), ("", 0), (" ", 0)])
def test_a_setting_reads_days_and_zero_or_empty_keeps_for_ever(raw, days):
    from smspanel.settings import _days_or_forever

    assert _days_or_forever(raw) == days


def test_a_text_is_erased_past_its_limit_and_its_numbers_are_kept_until_theirs(customer):
    old = old_message(customer, 91)
    young = old_message(customer, 89)

    retention.run()

    old.refresh_from_db()
    young.refresh_from_db()
    assert (old.text, old.archived) == ("", ["text"])
    assert old.text_archived_at is not None and old.numbers_archived_at is None
    assert sorted(old.recipients.values_list("number", flat=True)) == [A, B]
    assert young.text == "Kod 1234 dla Jana" and young.archived == []


def test_numbers_are_masked_past_their_limit(customer):
    message = old_message(customer, 366)

    retention.run()

    message.refresh_from_db()
    assert message.archived == ["text", "numbers"]
    assert list(message.recipients.order_by("pk").values_list("number", flat=True)) == [
        "48******001",
        "48******002",
    ]


def test_each_setting_moves_its_own_limit(customer, settings):
    settings.RETENTION_TEXT_DAYS = 400
    settings.RETENTION_NUMBER_DAYS = 10
    message = old_message(customer, 11)

    retention.run()

    message.refresh_from_db()
    assert message.archived == ["numbers"]
    assert message.text == "Kod 1234 dla Jana"


def test_zero_keeps_for_ever(customer, settings):
    settings.RETENTION_TEXT_DAYS = 0
    settings.RETENTION_NUMBER_DAYS = 0
    message = old_message(customer, 5000)

    assert retention.run() == {}

    message.refresh_from_db()
    assert message.archived == [] and message.text


# -- what is never touched -------------------------------------------------------------------


def test_a_message_with_a_recipient_still_open_is_not_archived(customer):
    message = send(customer, numbers=(A, B))
    transitions.apply_reports([Report(message.recipients.get(number=A).pk, Status.DELIVERED)])
    Recipient.objects.filter(message=message, number=B).update(status=Status.QUEUED)
    age(message, 1000)

    retention.run()

    message.refresh_from_db()
    assert message.archived == [] and message.text
    assert set(message.recipients.values_list("number", flat=True)) == {A, B}


def test_a_message_scheduled_long_after_it_was_accepted_counts_from_its_send(customer):
    message = old_message(customer, 200)
    # Accepted 200 days ago but sent (and final) 30 days ago.
    recent = timezone.now() - timedelta(days=30)
    Message.objects.filter(pk=message.pk).update(send_at=recent)
    Recipient.objects.filter(message=message).update(status_at=recent)

    retention.run()

    message.refresh_from_db()
    assert message.archived == []


@pytest.mark.parametrize("status", [Status.PENDING, Status.ON_HOLD])
def test_waiting_and_held_recipients_keep_their_message(customer, status):
    message = send(customer, numbers=(A,))
    Recipient.objects.filter(message=message).update(status=status)
    age(message, 1000)

    retention.run()

    message.refresh_from_db()
    assert message.archived == []


def test_the_ledger_keeps_every_amount_and_still_sums_to_the_balance(customer):
    delivered = old_message(customer, 400)
    failed = send(customer, numbers=(C,))
    finish(failed, Status.REJECTED)  # charged, then refunded
    age(failed, 400)
    entries = list(LedgerEntry.objects.filter(service=customer).values_list("pk", "amount"))
    prices = {m.pk: (m.price, m.recipient_price) for m in (delivered, failed)}

    retention.run()

    assert list(LedgerEntry.objects.filter(service=customer).values_list("pk", "amount")) == (
        entries
    )
    customer.refresh_from_db()
    total = LedgerEntry.objects.filter(service=customer).aggregate(s=Sum("amount"))["s"]
    assert total == customer.balance
    for message in Message.objects.filter(pk__in=prices):
        assert (message.price, message.recipient_price) == prices[message.pk]
        assert message.archived == ["text", "numbers"]
    assert Recipient.objects.get(message=failed).refunded


# -- batches, the command and the task -----------------------------------------------------------


def test_a_second_run_finds_nothing_to_do(customer):
    old_message(customer, 400)

    first = retention.run()
    second = retention.run()

    assert first["message texts"] == 1 and first["messages' numbers"] == 1
    assert first["recipient numbers"] == 2
    assert not any(second.values())


def test_batches_of_a_given_size_archive_everything_in_order(customer):
    messages = [old_message(customer, 400, numbers=(A,)) for _ in range(5)]

    counts = retention.run(batch_size=2)

    assert counts["message texts"] == 5 and counts["recipient numbers"] == 5
    assert not Message.objects.filter(pk__in=[m.pk for m in messages], text_archived_at=None)


def test_a_batch_takes_messages_until_their_recipients_would_pass_its_size(customer):
    big = old_message(customer, 400, numbers=(A, B, C))
    small = old_message(customer, 400, numbers=(A,))
    seen = []
    archive_batch = retention.next_batch

    def watched(due, after, limit, moment, *fields):
        rows = archive_batch(due, after, limit, moment, *fields)
        seen.append((fields, [row[1] for row in rows]))
        return rows

    retention.next_batch = watched
    try:
        retention.run(batch_size=2)
    finally:
        retention.next_batch = archive_batch
    numbers_batches = [ids for fields, ids in seen if fields == ("recipient_count",)]
    # The big one alone (it passes 2 by itself), then the small one.
    assert numbers_batches[:2] == [[big.pk, small.pk], [small.pk]]
    assert Message.objects.filter(pk__in=[big.pk, small.pk], numbers_archived_at=None).count() == 0


def test_the_command_archives_and_its_dry_run_only_counts(customer):
    message = old_message(customer, 400)

    out = StringIO()
    call_command("anonymise_old_data", "--dry-run", "--batch-size", "10", stdout=out)
    assert "message texts: 1 due" in out.getvalue()
    assert "recipient numbers: 2 due" in out.getvalue()
    message.refresh_from_db()
    assert message.archived == []

    out = StringIO()
    call_command("anonymise_old_data", stdout=out)
    assert "message texts: 1 archived" in out.getvalue()
    message.refresh_from_db()
    assert message.archived == ["text", "numbers"]


def test_the_hourly_task_runs_the_same(customer):
    message = old_message(customer, 400)

    counts = tasks.anonymise_old_data()

    assert counts["message texts"] == 1
    message.refresh_from_db()
    assert message.archived == ["text", "numbers"]


def test_the_task_is_scheduled_hourly():
    from django_q.models import Schedule

    schedule = Schedule.objects.get(name="messaging.anonymise_old_data")
    assert (schedule.func, schedule.schedule_type) == (
        "messaging.tasks.anonymise_old_data",
        Schedule.HOURLY,
    )


def test_a_run_out_of_budget_leaves_the_rest_for_the_next(customer):
    for _ in range(3):
        old_message(customer, 400, numbers=(A,))

    retention.run(batch_size=1, budget=0)

    assert Message.objects.filter(text_archived_at=None).count() == 3


# -- what refers to the message -------------------------------------------------------------


def test_report_callbacks_keep_their_records_with_masked_numbers(customer):
    message = old_message(customer, 400)
    call = Callback.objects.get(message=message, kind=CallbackKind.REPORT)
    assert A in call.body

    retention.run()

    call.refresh_from_db()
    assert A not in call.body and B not in call.body
    assert f"status[]={message.pk}," in call.body and ",48******001,DELIVERED," in call.body


def test_received_sms_lose_text_and_number_by_their_own_limits(customer):
    old = services.store_incoming(customer.pk, "48500600700", "48111222333", "Tak, biorę", None)
    young = services.store_incoming(customer.pk, "48500600701", "48111222333", "Nie", None)
    IncomingMessage.objects.filter(pk=old.pk).update(
        received_at=timezone.now() - timedelta(days=100)
    )

    retention.run()

    old.refresh_from_db()
    assert old.text == "" and old.text_archived_at is not None
    assert old.from_number == "48500600700" and old.number_archived_at is None
    call = Callback.objects.get(incoming=old)
    assert "sms_message=&" in call.body and "Tak" not in call.body
    young.refresh_from_db()
    assert young.text == "Nie"

    IncomingMessage.objects.filter(pk=old.pk).update(
        received_at=timezone.now() - timedelta(days=400)
    )
    retention.run()

    old.refresh_from_db()
    assert old.from_number == "48******700" and old.number_archived_at is not None
    assert old.to_number == "48111222333"  # the service's own number
    call.refresh_from_db()
    assert "48500600700" not in call.body and "from_number=48%2A%2A%2A%2A%2A%2A700" in call.body


# -- masking ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("48600100123", "48******123"),
        ("+48600100123", "+48******123"),
        ("4915112345678", "49********678"),
        ("InPost", "******"),
        ("12345", "*****"),
        ("", ""),
    ],
)
def test_masking_keeps_the_country_code_and_the_last_three_digits(number, masked):
    assert numbers.mask(number) == masked


@hypothesis_settings(max_examples=examples(200), deadline=None)
@given(st.from_regex(r"\+?[0-9]{0,15}|[A-Za-z0-9 ]{0,16}", fullmatch=True))
def test_masking_twice_changes_nothing_and_keeps_the_length(number):
    masked = numbers.mask(number)
    assert numbers.mask(masked) == masked
    assert len(masked) == len(number)
    assert sum(ch.isdigit() for ch in masked) <= 5


def test_archiving_numbers_drops_the_shared_copy_of_a_kept_progress_list(
    customer, settings, django_capture_on_commit_callbacks
):
    settings.PROGRESS_CACHE_MIN_RECIPIENTS = 2
    big, small = old_message(customer, 400), old_message(customer, 400, numbers=(A,))
    for message in (big, small):
        cache.set(f"progress:{message.pk}", ("kept list", "with numbers in clear"))

    with django_capture_on_commit_callbacks(execute=True):  # once the batch commits
        retention.run()

    assert cache.get(f"progress:{big.pk}") is None
    # A message below the size is never kept: its key is not asked for.
    assert cache.get(f"progress:{small.pk}") is not None
