"""The address book's import pages: upload → preview with the column mapping → report that
accounts for every row; a large import through the worker's task with its progress; a
failing import leaves nothing; one customer never reaches another's import."""

import io
from datetime import timedelta

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.models import OrmQ
from django_q.signing import SignedPackage

from contacts import importer, imports
from contacts.models import Contact, ContactFields, ContactGroup, ContactImport, ImportState

pytestmark = pytest.mark.django_db

MESSY = [
    ["Telefon", "Imię", "Nazwisko", "E-mail", "Uwagi"],
    ["600 100 200", "Zażółć", "Gęślą", "jan@example.pl", "stały klient"],
    ["+48 600 100 201", "Łukasz", "Świątek", "", ""],
    ["600100200", "Jaźń", "Powtórka", "", ""],  # the number of row 2 again
    ["12345", "Zły", "Numer", "", ""],
    ["600100202", "Anna", "Nowak", "to nie mail", ""],
    ["", "", "", "", ""],
    ["600100203", "Ewa", "Kowalska", "", ""],
]


def csv_bytes(rows, delimiter=";", charset="windows-1250") -> bytes:
    return ("\r\n".join(delimiter.join(row) for row in rows) + "\r\n").encode(charset)


def xlsx_bytes(rows) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, data: bytes, name="kontakty.csv"):
    file = io.BytesIO(data)
    file.name = name
    return client.post(reverse("contacts_import"), {"file": file})


def counts(job) -> dict:
    return {k: v for k, v in job.report.items() if k != "problems"}


def mapping_post(response, **overrides) -> dict:
    """The preview form's fields as the page filled them in (guessed), changed by
    ``overrides``."""
    form = response.context["form"]
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is True:
            data[name] = "on"
        elif value not in (None, False):
            data[name] = value
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def other_client(make_service, client):
    from django.test import Client

    other = make_service(username="bob")
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(other.customer.user)
    return c


def test_upload_preview_mapping_report_accounts_for_every_row(alice_client, service):
    customer = service.customer
    Contact.objects.create(customer=customer, number="48600100203", first_name="Stara")
    response = upload(alice_client, csv_bytes(MESSY))
    job = ContactImport.objects.get(customer=customer)
    assert response.status_code == 302
    assert response["Location"] == reverse("contacts_import_preview", args=[job.key])

    preview = alice_client.get(response["Location"])
    assert preview.status_code == 200
    page = preview.content.decode()
    assert "Zażółć" in page and "separator “;”" in page and "windows-1250" in page
    guessed = [preview.context["form"].initial[f"column_{i}"] for i in range(5)]
    assert guessed == ["number", "first_name", "last_name", "email", "note"]

    # The note column skipped, the rest into a new group.
    posted = alice_client.post(
        preview.wsgi_request.path,
        mapping_post(preview, column_4="", new_group="Klienci 2026"),
    )
    assert posted.status_code == 302
    assert posted["Location"] == reverse("contacts_import_report", args=[job.key])
    job.refresh_from_db()
    assert job.state == ImportState.DONE
    assert bytes(job.data) == b""  # the file is not kept past the import
    assert counts(job) == {
        "rows": 7,
        "imported": 2,
        "updated": 1,
        "unchanged": 0,
        "duplicates": 1,
        "invalid": 2,
        "empty": 1,
    }
    report = alice_client.get(posted["Location"])
    page = report.content.decode()
    assert 'data-count="imported">2<' in page and 'data-count="invalid">2<' in page
    assert "The file had 7 rows of data" in page
    # Each row left out, by its row number in the spreadsheet (the header is row 1).
    problems = [(p.row, p.message) for p in report.context["problems"]]
    assert problems == [
        (4, "the same number as row 2"),
        (5, "not a Polish mobile number: 12345"),
        (6, "malformed e-mail address: to nie mail"),
    ]
    group = ContactGroup.objects.get(customer=customer, name="Klienci 2026")
    assert set(group.contacts.values_list("number", flat=True)) == {
        "48600100200",
        "48600100201",
        "48600100203",
    }
    contact = Contact.objects.get(customer=customer, number="48600100200")
    assert (contact.first_name, contact.last_name, contact.note) == ("Zażółć", "Gęślą", "")
    assert Contact.objects.get(number="48600100203").first_name == "Ewa"  # updated

    csv_answer = alice_client.get(reverse("contacts_import_problems_csv", args=[job.key]))
    text = b"".join(csv_answer.streaming_content).decode("utf-8-sig")
    assert text.splitlines() == [
        "Row,Why it was left out",
        "4,the same number as row 2",
        "5,not a Polish mobile number: 12345",
        "6,malformed e-mail address: to nie mail",
    ]


def test_not_updating_existing_contacts_counts_them_unchanged(alice_client, service):
    Contact.objects.create(customer=service.customer, number="48600100203", first_name="Stara")
    preview = alice_client.get(upload(alice_client, csv_bytes(MESSY))["Location"])
    data = mapping_post(preview)
    data.pop("update_existing")
    alice_client.post(preview.wsgi_request.path, data)
    job = ContactImport.objects.get()
    assert (job.report["imported"], job.report["unchanged"], job.report["updated"]) == (2, 1, 0)
    assert Contact.objects.get(number="48600100203").first_name == "Stara"


def test_utf8_commas_and_custom_field_names(alice_client, service):
    ContactFields.objects.create(customer=service.customer, name1="Miasto")
    rows = [["numer", "imie", "miasto"], ["600100200", "Łucja", "Łódź"]]
    preview = alice_client.get(
        upload(alice_client, csv_bytes(rows, ",", "utf-8"), "a.txt")["Location"]
    )
    form = preview.context["form"]
    assert [form.initial[f"column_{i}"] for i in range(3)] == ["number", "first_name", "field1"]
    assert ("field1", "custom field 1: Miasto") in form.fields["column_2"].choices
    alice_client.post(preview.wsgi_request.path, mapping_post(preview))
    contact = Contact.objects.get()
    assert (contact.first_name, contact.field1) == ("Łucja", "Łódź")


def test_an_excel_file(alice_client, service):
    rows = [["Nr telefonu", "Nazwisko"], [600100200, "Kowalski"], ["bad", "X"]]
    response = upload(alice_client, xlsx_bytes(rows), "kontakty.xlsx")
    preview = alice_client.get(response["Location"])
    assert "Excel (.xlsx)" in preview.content.decode()
    alice_client.post(preview.wsgi_request.path, mapping_post(preview))
    job = ContactImport.objects.get()
    assert (job.report["rows"], job.report["imported"], job.report["invalid"]) == (2, 1, 1)
    assert Contact.objects.get().last_name == "Kowalski"


@pytest.mark.parametrize(
    ("name", "data", "said"),
    [
        ("puste.csv", b"", "The submitted file is empty."),
        ("puste.csv", b"\r\n \r\n", "The file is empty."),
        ("raport.pdf", b"%PDF-1.4 ...", "This is not a CSV or Excel (.xlsx) file"),
        ("stary.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "Old Excel files (.xls)"),
        ("zepsuty.xlsx", b"PK\x03\x04 not really a zip", "The Excel file cannot be read."),
        ("naglowek.csv", b"Telefon;Imie\r\n", "The file holds no contacts"),
    ],
)
def test_a_file_the_import_cannot_take_is_refused_in_words(alice_client, name, data, said):
    response = upload(alice_client, data, name)
    assert response.status_code == 200
    assert said in response.content.decode()
    assert ContactImport.objects.count() == 0


def test_the_upload_limit_is_the_panels_5_mb(alice_client):
    limit = 5 * 1024 * 1024
    at_limit = b"telefon;imie\r\n" + b"600100200;Jan\r\n" * 1000
    at_limit += b"\r\n" * ((limit - len(at_limit)) // 2)
    assert len(at_limit) == limit
    assert upload(alice_client, at_limit).status_code == 302
    past = upload(alice_client, at_limit + b" ")
    assert "The file is larger than 5 MB: split it into smaller ones." in past.content.decode()
    assert ContactImport.objects.count() == 1


def test_a_mapping_without_the_number_is_refused(alice_client):
    preview = alice_client.get(upload(alice_client, csv_bytes(MESSY))["Location"])
    answer = alice_client.post(preview.wsgi_request.path, mapping_post(preview, column_0=""))
    assert "Choose the column with the phone number." in answer.content.decode()
    both = alice_client.post(preview.wsgi_request.path, mapping_post(preview, column_1="last_name"))
    assert "Each kind of data may come from one column only." in both.content.decode()
    assert ContactImport.objects.get().state == ImportState.UPLOADED
    assert Contact.objects.count() == 0


def test_posting_the_mapping_twice_imports_once(alice_client, monkeypatch):
    preview = alice_client.get(upload(alice_client, csv_bytes(MESSY))["Location"])
    calls = []
    real = imports.run
    monkeypatch.setattr(imports, "run", lambda job_id: calls.append(job_id) or real(job_id))
    data = mapping_post(preview)
    alice_client.post(preview.wsgi_request.path, data)
    again = alice_client.post(preview.wsgi_request.path, data)
    assert again.status_code == 302 and "report" in again["Location"]
    assert len(calls) == 1


# -- a large import, through the worker's task --------------------------------------------


def big_file(rows: int, bad_every: int = 0) -> bytes:
    lines = ["telefon;imie"]
    for n in range(rows):
        number = "12" if bad_every and n % bad_every == 0 else f"60{n:07d}"
        lines.append(f"{number};Osoba {n}")
    return ("\r\n".join(lines) + "\r\n").encode()


@pytest.fixture
def small_threshold(settings, monkeypatch):
    settings.CONTACT_IMPORT_TASK_ROWS = 50
    monkeypatch.setattr(importer, "CHUNK", 40)


def start_large(client, data: bytes):
    preview = client.get(upload(client, data)["Location"])
    return client.post(preview.wsgi_request.path, mapping_post(preview))


def run_queued_task() -> str:
    """Take the queued task from the ORM broker and run it as a worker would."""
    broker = get_broker()
    (task_id, payload), *_ = broker.dequeue()
    task = SignedPackage.loads(payload)
    module, _, name = task["func"].rpartition(".")
    import importlib

    result = getattr(importlib.import_module(module), name)(*task["args"], **task["kwargs"])
    broker.acknowledge(task_id)
    return result


@pytest.mark.django_db(transaction=True)
def test_a_large_import_runs_as_a_task_and_shows_progress_then_the_report(
    alice_client, service, small_threshold
):
    posted = start_large(alice_client, big_file(200, bad_every=50))
    job = ContactImport.objects.get()
    assert job.state == ImportState.QUEUED
    assert Contact.objects.count() == 0
    assert [t.func() for t in OrmQ.objects.all()] == ["contacts.imports.run_task"]

    waiting = alice_client.get(posted["Location"])
    assert waiting["Refresh"] == "2"  # reloads itself, without JavaScript
    assert "The import is waiting for its turn." in waiting.content.decode()

    # Halfway, as the page sees it: running, the rows read so far.
    ContactImport.objects.filter(pk=job.pk).update(
        state=ImportState.RUNNING, rows_done=80, heartbeat_at=timezone.now()
    )
    running = alice_client.get(posted["Location"]).content.decode()
    assert "80 rows read so far." in running and '<progress value="39"' in running
    ContactImport.objects.filter(pk=job.pk).update(state=ImportState.QUEUED, rows_done=0)

    assert run_queued_task() == "done"
    job.refresh_from_db()
    assert counts(job) == {
        "rows": 200,
        "imported": 196,
        "updated": 0,
        "unchanged": 0,
        "duplicates": 0,
        "invalid": 4,
        "empty": 0,
    }
    assert job.rows_done == 200 and bytes(job.data) == b""
    assert Contact.objects.filter(customer=service.customer).count() == 196
    done = alice_client.get(posted["Location"])
    assert "Refresh" not in done
    assert 'data-count="imported">196<' in done.content.decode()
    assert [p.row for p in done.context["problems"]] == [2, 52, 102, 152]


@pytest.mark.django_db(transaction=True)
def test_the_task_writes_its_progress_after_every_chunk(service, small_threshold, monkeypatch):
    job = imports.upload(service.customer, "big.csv", big_file(200))
    seen = []
    real = imports._Progress.__call__

    def spy(self, rows):
        real(self, rows)
        seen.append(rows)

    monkeypatch.setattr(imports._Progress, "__call__", spy)
    imports.start(
        job, mapping=["number", "first_name"], header=True, group=None, new_group="",
        update_existing=True,
    )  # fmt: skip
    assert imports.run_task(job.pk) == "done"
    assert seen == [40, 80, 120, 160, 200]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_progress_is_seen_from_another_connection_while_nothing_is_imported_yet(
    service, small_threshold, monkeypatch
):
    """On PostgreSQL the row's progress is committed on its own connection while the
    import's transaction (its contacts) is not visible to anyone until it ends."""
    from django.db import connections

    job = imports.upload(service.customer, "big.csv", big_file(200))
    imports.start(
        job, mapping=["number", "first_name"], header=True, group=None, new_group="",
        update_existing=True,
    )  # fmt: skip
    outside = connections.create_connection("default")
    seen = []
    real = importer._write_chunk

    def look(*args):
        with outside.cursor() as cursor:
            cursor.execute("SELECT rows_done FROM contacts_contactimport WHERE id = %s", [job.pk])
            done = cursor.fetchone()[0]
            cursor.execute("SELECT count(*) FROM contacts_contact")
            seen.append((done, cursor.fetchone()[0]))
        return real(*args)

    monkeypatch.setattr(importer, "_write_chunk", look)
    try:
        assert imports.run(job.pk) == "done"
    finally:
        outside.close()
    assert seen == [(0, 0), (40, 0), (80, 0), (120, 0), (160, 0)]
    assert Contact.objects.count() == 200


@pytest.mark.django_db(transaction=True)
def test_a_failing_import_leaves_the_address_book_unchanged(
    alice_client, service, small_threshold, monkeypatch
):
    Contact.objects.create(customer=service.customer, number="48600000001", first_name="Było")
    posted = start_large(alice_client, big_file(200))
    real = importer._write_chunk
    written = []

    def fail_on_the_third(*args):
        if len(written) == 2:
            raise RuntimeError("the database went away")
        written.append(real(*args))

    monkeypatch.setattr(importer, "_write_chunk", fail_on_the_third)
    assert run_queued_task() == "failed"
    assert len(written) == 2  # two chunks had been written in the transaction
    assert list(Contact.objects.values_list("number", "first_name")) == [("48600000001", "Było")]
    job = ContactImport.objects.get()
    assert job.state == ImportState.FAILED and bytes(job.data) == b""
    page = alice_client.get(posted["Location"]).content.decode()
    assert "The import failed." in page
    assert "Nothing was imported: the address book is as it was before." in page


def test_a_file_unreadable_past_its_start_fails_whole(alice_client, service, settings):
    settings.CONTACT_IMPORT_TASK_ROWS = 10**6
    data = big_file(20000) + "600999999;Zły ł\r\n".encode("windows-1250")
    assert len(data) > importer.SAMPLE_BYTES
    preview = alice_client.get(upload(alice_client, data)["Location"])
    posted = alice_client.post(preview.wsgi_request.path, mapping_post(preview))
    page = alice_client.get(posted["Location"]).content.decode()
    assert "The file is not in one character set" in page
    assert Contact.objects.count() == 0


def test_a_lost_task_is_queued_again_and_a_dead_one_is_reported(alice_client, small_threshold):
    posted = start_large(alice_client, big_file(100))
    job = ContactImport.objects.get()
    OrmQ.objects.all().delete()  # the broker lost it
    ContactImport.objects.filter(pk=job.pk).update(queued_at=timezone.now() - timedelta(minutes=3))
    alice_client.get(posted["Location"])
    assert OrmQ.objects.count() == 1
    ContactImport.objects.filter(pk=job.pk).update(
        state=ImportState.RUNNING, heartbeat_at=timezone.now() - timedelta(minutes=6)
    )
    page = alice_client.get(posted["Location"]).content.decode()
    assert "The import stopped before it ended." in page
    assert "Nothing was imported" in page


def test_old_imports_are_deleted(service, settings):
    old = imports.upload(service.customer, "a.csv", b"600100200\r\n")
    ContactImport.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(hours=settings.CONTACT_IMPORT_KEEP_HOURS, minutes=1)
    )
    new = imports.upload(service.customer, "b.csv", b"600100200\r\n")
    assert list(ContactImport.objects.all()) == [new]


def test_an_abandoned_upload_is_deleted_hourly_without_another_upload(service, settings):
    from django_q.models import Schedule

    schedule = Schedule.objects.get(name="contacts.clean_up_imports")
    assert (schedule.func, schedule.schedule_type) == ("contacts.imports.clean_up", "H")
    abandoned = imports.upload(service.customer, "a.csv", b"600100200\r\n")
    ContactImport.objects.filter(pk=abandoned.pk).update(
        created_at=timezone.now() - timedelta(hours=settings.CONTACT_IMPORT_KEEP_HOURS, minutes=1)
    )
    module, _, name = schedule.func.rpartition(".")
    assert getattr(__import__(module, fromlist=[name]), name)() == 1
    assert not ContactImport.objects.exists()


# -- who may see what ------------------------------------------------------------------------


def test_another_customer_cannot_see_continue_or_download_an_import(
    alice_client, other_client, service
):
    preview = alice_client.get(upload(alice_client, csv_bytes(MESSY))["Location"])
    job = ContactImport.objects.get()
    mapping = mapping_post(preview)
    for name in ("contacts_import_preview", "contacts_import_report"):
        url = reverse(name, args=[job.key])
        assert other_client.get(url).status_code == 404
        assert other_client.post(url, mapping).status_code == 404
    assert ContactImport.objects.get().state == ImportState.UPLOADED
    alice_client.post(preview.wsgi_request.path, mapping)
    csv_url = reverse("contacts_import_problems_csv", args=[job.key])
    assert other_client.get(csv_url).status_code == 404
    assert other_client.get(reverse("contacts_import_report", args=[job.key])).status_code == 404
    assert alice_client.get(csv_url).status_code == 200


def test_a_group_of_another_customer_cannot_be_chosen(alice_client, make_service):
    theirs = ContactGroup.objects.create(customer=make_service(username="bob").customer, name="X")
    preview = alice_client.get(upload(alice_client, csv_bytes(MESSY))["Location"])
    answer = alice_client.post(preview.wsgi_request.path, mapping_post(preview, group=theirs.pk))
    assert answer.status_code == 200 and answer.context["form"].errors["group"]
    assert theirs.contacts.count() == 0


@pytest.mark.parametrize("name", ["contacts_import", "contacts_import_preview"])
def test_login_required(client, name, service):
    job = imports.upload(service.customer, "a.csv", b"600100200\r\n")
    args = [job.key] if name != "contacts_import" else []
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_a_large_import(alice_client, service):
    """``manage.py qcluster`` (ORM broker) takes the queued import and ends it."""
    from tests.workers import kill, start_qcluster, wait_until

    preview = alice_client.get(upload(alice_client, big_file(3000, bad_every=1000))["Location"])
    posted = alice_client.post(preview.wsgi_request.path, mapping_post(preview))
    job = ContactImport.objects.get()
    assert job.state == ImportState.QUEUED
    worker = start_qcluster(Q_WORKERS="1")
    try:
        wait_until(lambda: ContactImport.objects.get().state == ImportState.DONE, timeout=60)
    finally:
        kill(worker)
    job.refresh_from_db()
    assert (job.report["rows"], job.report["imported"], job.report["invalid"]) == (3000, 2997, 3)
    assert Contact.objects.filter(customer=service.customer).count() == 2997
    page = alice_client.get(posted["Location"]).content.decode()
    assert 'data-count="imported">2997<' in page
