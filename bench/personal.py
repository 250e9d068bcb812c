"""C2: a personalised send to a 100,000-contact group (``contacts.personalise`` building
the request, ``messaging.services.submit`` accepting it): every contact a text of its own
(a name and a city filled into a UCS-2 template), against the P1 raw COPY of as many rows
measured in the same run. Goal: at most 3 × that floor, and exactly as many recipients."""

import statistics
import time

from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone

from contacts import personalise
from contacts.models import Contact, ContactGroup
from messaging import services
from messaging.models import Recipient

TEMPLATE = "Dzień dobry {imie}, zapraszamy do salonu w {pole1} jutro o 10:00. Odpowiedz STOP."


def run(command, contacts: int = 100_000, rounds: int = 3) -> None:
    customer = command.service.customer
    group = _book(customer, contacts)
    anchor = services.submit(
        command.service.pk, services.SendRequest(recipients=["48600000002"], text="anchor")
    ).message.pk
    command.out(f"C2  personalised send to a group of {contacts} contacts, template {TEMPLATE!r}\n")
    ratios = []
    for round_ in range(1, rounds + 1):
        started = time.perf_counter()
        built = personalise.group_send(command.service.pk, group.pk, TEMPLATE)
        built_at = time.perf_counter()
        accepted = services.submit(command.service.pk, built.request)
        seconds = time.perf_counter() - started
        stored = Recipient.objects.filter(message=accepted.message).count()
        own = Recipient.objects.filter(message=accepted.message, text__isnull=False).count()
        if stored != contacts:
            raise CommandError(f"C2 stored {stored} recipients, not {contacts}")
        copy_seconds = command.raw_copy_seconds(anchor, contacts)
        ratios.append(seconds / copy_seconds)
        command.out(
            f"    round {round_}: accepted in {seconds * 1000:6.0f} ms (group read and filled "
            f"{(built_at - started) * 1000:4.0f} ms), raw COPY {copy_seconds * 1000:5.0f} ms, "
            f"ratio {seconds / copy_seconds:4.2f}; {stored} recipients, {own} with their own "
            f"text, charged {accepted.message.price} PLN\n"
        )
    command.out(f"    median ratio {statistics.median(ratios):.2f} (goal <= 3)\n\n")


def _book(customer, contacts: int) -> ContactGroup:
    """A group of ``contacts`` contacts, written with COPY (the import is C1's business)."""
    Contact.objects.filter(customer=customer).delete()
    ContactGroup.objects.filter(customer=customer).delete()
    group = ContactGroup.objects.create(customer=customer, name="C2")
    now = timezone.now().isoformat()
    cities = ("Łódź", "Kraków", "Gdańsk", "Poznań", "Wrocław")
    rows = "".join(
        f"{customer.pk}\t48{500_000_000 + i}\tŁucja {i}\tNowak\t\t\t{cities[i % 5]}\t\t\t\t\t"
        f"{now}\t{now}\n"
        for i in range(contacts)
    )
    table = Contact._meta.db_table
    through = Contact.groups.through._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        copy_sql = (
            f"COPY {table} (customer_id, number, first_name, last_name, email, note, field1,"
            " field2, field3, field4, field5, created_at, updated_at) FROM STDIN"
        )
        with cursor.cursor.copy(copy_sql) as copy:
            copy.write(rows)
        cursor.execute(
            f"INSERT INTO {through} (contact_id, contactgroup_id)"  # noqa: S608 - table names
            f" SELECT id, %s FROM {table} WHERE customer_id = %s",
            [group.pk, customer.pk],
        )
        cursor.execute(f"ANALYZE {table}")
        cursor.execute(f"ANALYZE {through}")
    return group
