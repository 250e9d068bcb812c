"""C1: the address book's import (``contacts.importer``) of 100,000 rows, as Polish Excel
saves a CSV: windows-1250, semicolons, a header; with some numbers repeated and some not
numbers at all. Goal: at most 10 s on PostgreSQL. Then the same file again, where every
contact exists and is updated."""

import tempfile
import time

from contacts.importer import import_contacts, preview
from contacts.models import Contact, ContactGroup

# Of every 1,000 rows: one repeats the row before it, one is not a number.
DUPLICATE_EVERY, INVALID_EVERY = 1000, 1000


def run(command, rows: int = 100_000) -> None:
    customer = command.service.customer
    Contact.objects.filter(customer=customer).delete()
    ContactGroup.objects.filter(customer=customer).delete()
    group = ContactGroup.objects.create(customer=customer, name="Benchmark")
    with tempfile.TemporaryFile() as file:
        _write(file, rows)
        size = file.tell()
        seen = preview(file)
        command.out(
            f"C1 import file: {rows} rows, {size / 1e6:.1f} MB, read as {seen.charset}, "
            f"delimiter {seen.delimiter!r}, mapping {seen.mapping}\n"
        )
        for label in ("new contacts", "the same file again (updates)"):
            started = time.perf_counter()
            report = import_contacts(customer, file, seen.mapping, group=group)
            seconds = time.perf_counter() - started
            command.out(
                f"C1 import, {label}: {seconds:.2f} s, {rows / seconds:,.0f} rows/s "
                f"(goal ≤ 10 s); imported {report.imported}, updated {report.updated}, "
                f"duplicates {report.duplicates}, invalid {report.invalid}, "
                f"empty {report.empty}, of {report.rows} rows\n"
            )
    command.out(
        f"C1 in the book: {Contact.objects.filter(customer=customer).count()} contacts, "
        f"{group.contacts.count()} in the group\n"
    )


def _write(file, rows: int) -> None:
    lines = ["Telefon;Imię;Nazwisko;E-mail;Uwagi"]
    for i in range(rows):
        if i % INVALID_EVERY == INVALID_EVERY - 1:
            lines.append(f"12{i};Zły;Numer;;")
        elif i % DUPLICATE_EVERY == DUPLICATE_EVERY - 2:
            lines.append(f"{600_000_000 + i - 1};Powtórzony;Wiersz;;")
        else:
            lines.append(
                f"{600_000_000 + i};Łucja {i};Żółkiewska-Źdźbło;lucja{i}@example.pl;"
                "klientka od 2019 r., woli SMS-y po południu"
            )
    file.write(("\r\n".join(lines) + "\r\n").encode("windows-1250"))
