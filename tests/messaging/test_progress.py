"""getProgress of a large message: a kept list, patched with what changed since its snapshot."""

import time
from array import array
from collections import Counter
from decimal import Decimal

import psycopg
import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from accounts import ledger
from lib.localcache import clear_all
from messaging import progress, services, transitions
from messaging.models import Message, Recipient, Status
from messaging.progress import KeptList
from messaging.statuslist import StatusList
from messaging.transitions import Report

STATUSES = [s.value for s in Status]


def send(service, numbers):
    request = services.SendRequest(recipients=numbers, text="Test")
    return services.submit(service.pk, request).message


def numbers(count, start=0):
    return [f"48600{start + i:06d}" for i in range(count)]


def pairs_of(service, message):
    return services.progress(service.pk, message.pk).recipients.pairs()


def read_progress(service, message):
    """(pairs, the SQL it ran)."""
    with CaptureQueriesContext(connection) as queries:
        found = services.progress(service.pk, message.pk)
    return found, " ".join(q["sql"] for q in queries.captured_queries)


def read_whole(sql: str) -> bool:
    return "string_agg" in sql


@pytest.fixture
def big_service(make_service, settings):
    settings.PROGRESS_CACHE_MIN_RECIPIENTS = 1
    return make_service(username="bulk", balance=Decimal("1000"))


# -- the pure part --------------------------------------------------------------------------


@st.composite
def lists_and_changes(draw):
    count = draw(st.integers(1, 40))
    statuses = draw(st.lists(st.sampled_from(STATUSES), min_size=count, max_size=count))
    if draw(st.booleans()):
        first = draw(st.integers(1, 10**12))
        ids = None
        instance_ids = [first + i for i in range(count)]
    else:  # other messages' ids in between
        instance_ids = sorted(draw(st.sets(st.integers(1, 10**6), min_size=count, max_size=count)))
        first, ids = instance_ids[0], array("q", instance_ids)
    changed = draw(st.dictionaries(st.integers(0, count - 1), st.sampled_from(STATUSES)))
    return statuses, first, ids, instance_ids, changed


@given(lists_and_changes())
def test_a_patched_list_equals_the_list_read_after_the_changes(case):
    statuses, first, ids, instance_ids, changed = case
    nums = numbers(len(statuses))
    kept = KeptList(
        StatusList.from_pairs(zip(nums, statuses, strict=True)).compact, "1:1:", first, ids
    )
    rows = [(instance_ids[i], nums[i], status) for i, status in changed.items()]
    patched = kept.patched(rows, "2:2:")
    expected = [changed.get(i, s) for i, s in enumerate(statuses)]
    assert patched.statuses.pairs() == list(zip(nums, expected, strict=True))
    assert {k: v for k, v in patched.counts.items() if v} == Counter(expected)
    assert patched.snapshot == "2:2:"
    assert kept.statuses.pairs() == list(
        zip(nums, statuses, strict=True)
    )  # the original is untouched


def test_a_row_that_is_not_where_the_list_says_refuses_the_patch():
    kept = KeptList("48600000001 PENDING,48600000002 PENDING", "1:1:", 10)
    assert kept.patched([(11, "48600000009", Status.QUEUED)], "2:2:") is None
    assert kept.patched([(12, "48600000002", Status.QUEUED)], "2:2:") is None


def test_the_readers_own_transaction_counts_as_running():
    assert progress.counting_as_running("10:20:12,15", None) == "10:20:12,15"
    assert progress.counting_as_running("10:20:12,15", 14) == "10:20:12,14,15"
    assert progress.counting_as_running("10:20:", 8) == "8:20:8"
    assert progress.counting_as_running("10:20:12", 20) == "10:20:12"  # not begun, to it


def test_the_json_of_a_kept_list_is_rendered_once():
    statuses = StatusList("48600000001 PENDING")
    assert statuses.to_json() is statuses.to_json()


# -- PostgreSQL: the trigger and the snapshots ----------------------------------------------


@pytest.mark.postgres
def test_a_status_change_is_stamped_with_its_transaction(big_service):
    message = send(big_service, numbers(3))
    first, second, third = message.recipients.order_by("id")
    Recipient.objects.filter(pk=first.pk).update(status=Status.QUEUED)
    Recipient.objects.filter(pk=second.pk).update(claimed_until=None)  # not a status
    Recipient.objects.filter(pk=third.pk).update(status=Status.PENDING)  # the same status
    stamped = dict(message.recipients.values_list("id", "changed_xid"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_xact_id()::text::bigint")
        now_xid = cursor.fetchone()[0]  # this test's transaction made the change
    assert stamped == {first.pk: now_xid, second.pk: None, third.pk: None}
    # A stale id written with a change (a model saved as it was loaded) is replaced.
    Recipient.objects.filter(pk=second.pk).update(status=Status.QUEUED, changed_xid=now_xid - 7)
    assert Recipient.objects.get(pk=second.pk).changed_xid == now_xid


@pytest.mark.postgres
def test_a_second_read_fetches_only_what_changed(big_service):
    message = send(big_service, numbers(50))
    found, sql = read_progress(big_service, message)
    assert read_whole(sql)
    ids = list(message.recipients.order_by("id").values_list("id", flat=True))
    transitions.apply_reports([Report(ids[3], Status.DELIVERED), Report(ids[40], Status.REJECTED)])
    found, sql = read_progress(big_service, message)
    assert not read_whole(sql) and "pg_visible_in_snapshot" in sql
    expected = [Status.PENDING] * 50
    expected[3], expected[40] = Status.DELIVERED, Status.REJECTED
    assert [s for _, s in found.recipients.pairs()] == expected
    assert (found.success_count, found.failure_count) == (1, 1)


@pytest.mark.postgres
def test_a_list_kept_at_acceptance_serves_the_first_read(
    big_service, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # kept once the send commits
        message = send(big_service, numbers(600))  # past COPY_THRESHOLD: stored with COPY
    last = message.recipients.order_by("-id").first()
    transitions.apply_reports([Report(last.pk, Status.DELIVERED)])
    found, sql = read_progress(big_service, message)
    assert not read_whole(sql)
    assert found.recipients.pairs()[-1] == (last.number, Status.DELIVERED)
    assert found.recipients.pairs()[:2] == [(n, Status.PENDING) for n in numbers(2)]
    assert found.success_count == 1


@pytest.mark.postgres
def test_more_changes_than_a_patch_takes_read_the_list_whole(big_service, monkeypatch):
    monkeypatch.setattr(progress, "PATCH_AT_MOST", 2)
    message = send(big_service, numbers(5))
    services.progress(big_service.pk, message.pk)
    ids = list(message.recipients.order_by("id").values_list("id", flat=True))
    transitions.apply_reports([Report(rid, Status.DELIVERED) for rid in ids[:3]])
    found, sql = read_progress(big_service, message)
    assert read_whole(sql)
    assert found.success_count == 3


@pytest.mark.postgres
@pytest.mark.parametrize("kept_at_acceptance", [False, True])
def test_ids_shared_with_other_messages_are_found_by_search(
    big_service, kept_at_acceptance, django_capture_on_commit_callbacks
):
    mine, other = send(big_service, numbers(1)), send(big_service, numbers(1, start=500))
    # Two sends at once can interleave their ids; so do these.
    Recipient.objects.bulk_create(
        Recipient(message=message, number=number, send_at=mine.send_at)
        for pair in zip(numbers(3, start=1), numbers(3, start=501), strict=True)
        for message, number in zip((mine, other), pair, strict=True)
    )
    Message.objects.filter(pk__in=[mine.pk, other.pk]).update(recipient_count=4)
    mine.refresh_from_db()
    if kept_at_acceptance:
        with django_capture_on_commit_callbacks(execute=True):
            progress.keep_accepted(mine.pk, numbers(4))
    found, sql = read_progress(big_service, mine)
    assert read_whole(sql) is not kept_at_acceptance
    assert found.recipients.pairs() == [(n, Status.PENDING) for n in numbers(4)]
    third = mine.recipients.order_by("id")[2]
    transitions.apply_reports([Report(third.pk, Status.DELIVERED)])
    found, sql = read_progress(big_service, mine)
    assert not read_whole(sql)
    assert found.recipients.pairs()[2] == (third.number, Status.DELIVERED)


@pytest.mark.postgres
def test_a_shared_list_is_patched_by_another_process(big_service):
    message = send(big_service, numbers(3))
    services.progress(big_service.pk, message.pk)
    deadline = time.monotonic() + 5
    while cache.get(f"progress:{message.pk}") is None and time.monotonic() < deadline:
        time.sleep(0.05)  # stored by a thread, after the answer
    clear_all()  # as another process would start: only the shared cache has it
    first = message.recipients.order_by("id").first()
    transitions.apply_reports([Report(first.pk, Status.EXPIRED)])
    found, sql = read_progress(big_service, message)
    assert not read_whole(sql)
    assert [s for _, s in found.recipients.pairs()] == [Status.EXPIRED] + [Status.PENDING] * 2


# Another transaction, on its own connection, as another worker's would be.


def other_connection() -> psycopg.Connection:
    settings = connection.settings_dict
    return psycopg.connect(
        dbname=settings["NAME"],
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        user=settings["USER"] or None,
        password=settings["PASSWORD"] or None,
    )


def commit_a_later_transaction(service):
    # As on a busy system: a transaction that began after the other one ends
    # before the list is read, so the list's snapshot sees the other one as
    # running (in its list), not as not yet begun (at or past its xmax).
    ledger.top_up(service.pk, Decimal("1"), note="a later transaction")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_change_in_flight_when_the_list_was_read_is_seen_once_committed(big_service):
    message = send(big_service, numbers(3))
    first = message.recipients.order_by("id").first()
    with other_connection() as other:
        other.execute(
            "UPDATE messaging_recipient SET status = 'DELIVERED' WHERE id = %s", [first.pk]
        )
        commit_a_later_transaction(big_service)
        # Not committed yet: the list read now cannot show it.
        assert {s for _, s in pairs_of(big_service, message)} == {Status.PENDING}
        other.commit()
    assert pairs_of(big_service, message)[0] == (first.number, Status.DELIVERED)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_transaction_begun_before_the_list_was_read_is_seen_once_committed(big_service):
    message = send(big_service, numbers(3))
    first = message.recipients.order_by("id").first()
    with other_connection() as other:
        other.execute("SELECT pg_current_xact_id()")  # its id is older than the list's snapshot
        commit_a_later_transaction(big_service)
        assert {s for _, s in pairs_of(big_service, message)} == {Status.PENDING}
        other.execute(
            "UPDATE messaging_recipient SET status = 'REJECTED' WHERE id = %s", [first.pk]
        )
        other.commit()
    found = services.progress(big_service.pk, message.pk)
    assert found.recipients.pairs()[0] == (first.number, Status.REJECTED)
    assert found.failure_count == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_change_made_after_the_read_in_the_same_transaction_is_seen(big_service):
    message = send(big_service, numbers(3))
    first = message.recipients.order_by("id").first()
    with transaction.atomic():
        ledger.top_up(big_service.pk, Decimal("1"), note="this transaction has an id")
        with other_connection() as other:  # a later transaction, ended before the read
            other.execute("SELECT pg_current_xact_id()")
        assert {s for _, s in pairs_of(big_service, message)} == {Status.PENDING}
        Recipient.objects.filter(pk=first.pk).update(status=Status.DELIVERED)
    assert pairs_of(big_service, message)[0] == (first.number, Status.DELIVERED)


def kept_snapshot(message):
    return progress._local.get(f"progress:{message.pk}")[1].snapshot


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_patched_list_moves_on_to_the_snapshot_of_its_patch(big_service):
    message = send(big_service, numbers(3))
    services.progress(big_service.pk, message.pk)
    before = kept_snapshot(message)
    first = message.recipients.order_by("id").first()
    transitions.apply_reports([Report(first.pk, Status.DELIVERED)])
    services.progress(big_service.pk, message.pk)
    after = kept_snapshot(message)
    changed, _ = progress._changes_since(message.pk, before, 10)
    assert [row[0] for row in changed] == [first.pk]
    assert progress._changes_since(message.pk, after, 10)[0] == []  # nothing fetched twice


@pytest.mark.postgres
def test_a_list_kept_in_another_database_cluster_is_read_whole(big_service):
    """After a restore from a dump, a shared list's snapshot names ids of the old cluster."""
    message = send(big_service, numbers(3))
    services.progress(big_service.pk, message.pk)
    key = f"progress:{message.pk}"
    kept = progress._local.get(key)[1]
    kept.snapshot = "900000000000:900000000000:"  # younger than this database
    first = message.recipients.order_by("id").first()
    transitions.apply_reports([Report(first.pk, Status.DELIVERED)])  # an older id, here
    found, sql = read_progress(big_service, message)
    assert read_whole(sql)
    assert found.recipients.pairs()[0] == (first.number, Status.DELIVERED)
