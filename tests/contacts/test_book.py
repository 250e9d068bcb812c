"""The address book's service functions: one customer's contacts found by any spelling of
their number, saved with normalised numbers, grouped and deleted in one statement, and
exported so that the import reads the file back."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contacts import book
from contacts.models import Contact, ContactFields, ContactGroup

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(make_service):
    return make_service(username="alice").customer


@pytest.fixture
def other(make_service):
    return make_service(username="bob").customer


def add(customer, number, first="", last="", **values) -> Contact:
    return Contact.objects.create(
        customer=customer, number=number, first_name=first, last_name=last, **values
    )


def numbers_of(contacts) -> list[str]:
    return [contact.number for contact in contacts]


# -- search ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "600100200",
        "600 100 200",
        "600-100-200",
        "+48 600 100 200",
        "+48600100200",
        "48600100200",
        "0048600100200",
        "(+48) 600.100.200",
        "0600100200",
    ],
)
def test_a_number_is_found_however_it_is_typed(customer, typed):
    add(customer, "48600100200", "Jan", "Kowalski")
    add(customer, "48600100201", "Ewa", "Nowak")

    assert numbers_of(book.contacts_of(customer, book.Filter(q=typed))) == ["48600100200"]


@pytest.mark.parametrize("typed", ["100 20", "600-100", "+48 600 1", "0600 10"])
def test_a_part_of_a_number_finds_every_number_holding_it(customer, typed):
    add(customer, "48600100200")
    add(customer, "48600100201")
    add(customer, "48511222333")

    found = numbers_of(book.contacts_of(customer, book.Filter(q=typed)))

    assert found == ["48600100200", "48600100201"]


def test_names_and_email_are_found_by_any_of_their_words(customer):
    add(customer, "48600100200", "Jan", "Kowalski", email="jan@firma.example.pl")
    add(customer, "48600100201", "Janina", "Nowak")
    add(customer, "48600100202", "Ewa", "Kowalska", field1="Kraków")

    def found(q):
        return numbers_of(book.contacts_of(customer, book.Filter(q=q)))

    assert found("kowalski jan") == ["48600100200"]
    assert found("Jan") == ["48600100200", "48600100201"]
    assert found("firma.example") == ["48600100200"]
    assert found("kowals") == ["48600100202", "48600100200"]  # by name: Kowalska first
    assert found("Kraków") == ["48600100202"]  # a custom field
    assert found("Zenon") == []


def test_the_list_is_by_last_name_then_first_name(customer):
    add(customer, "48600100200", "Zofia", "Adamska")
    add(customer, "48600100201", "Adam", "Zieliński")
    add(customer, "48600100202", "Anna", "Adamska")

    assert numbers_of(book.contacts_of(customer)) == ["48600100202", "48600100200", "48600100201"]


def test_group_and_without_group_filters(customer):
    vip = ContactGroup.objects.create(customer=customer, name="VIP")
    in_vip = add(customer, "48600100200", "Jan")
    in_vip.groups.add(vip)
    add(customer, "48600100201", "Ewa")

    assert numbers_of(book.contacts_of(customer, book.Filter(group_id=vip.pk))) == ["48600100200"]
    assert numbers_of(book.contacts_of(customer, book.Filter(without_group=True))) == [
        "48600100201"
    ]
    both = book.Filter(q="Ewa", group_id=vip.pk)
    assert numbers_of(book.contacts_of(customer, both)) == []


def test_another_customers_contacts_are_never_found(customer, other):
    add(other, "48600100200", "Jan", "Kowalski")
    theirs = ContactGroup.objects.create(customer=other, name="VIP")
    Contact.objects.get().groups.add(theirs)

    assert not book.contacts_of(customer).exists()
    assert not book.contacts_of(customer, book.Filter(q="600100200")).exists()
    assert not book.contacts_of(customer, book.Filter(group_id=theirs.pk)).exists()
    assert not book.selected(customer, [Contact.objects.get().pk]).exists()


# -- adding and changing -----------------------------------------------------------------


def test_a_number_is_saved_normalised(customer):
    contact = book.save_contact(
        customer, {"number": "+48 600-100-200", "first_name": " Jan ", "last_name": "Kowalski"}
    )

    assert (contact.number, contact.first_name) == ("48600100200", "Jan")


def test_an_invalid_number_is_refused(customer):
    with pytest.raises(book.InvalidNumber):
        book.save_contact(customer, {"number": "22 100 20 30"})  # a landline
    assert not Contact.objects.exists()


def test_a_number_already_in_the_book_names_its_contact(customer, other):
    add(other, "48600100200")  # another customer's: no clash
    mine = book.save_contact(customer, {"number": "600100200"})

    with pytest.raises(book.NumberTaken) as taken:
        book.save_contact(customer, {"number": "0048 600 100 200", "first_name": "Duplikat"})

    assert taken.value.contact == mine
    assert Contact.objects.filter(customer=customer).count() == 1


def test_editing_keeps_its_own_number_and_refuses_anothers(customer):
    jan = book.save_contact(customer, {"number": "600100200", "first_name": "Jan"})
    ewa = book.save_contact(customer, {"number": "600100201", "first_name": "Ewa"})

    book.save_contact(customer, {"number": "+48600100200", "first_name": "Janek"}, contact=jan)
    with pytest.raises(book.NumberTaken):
        book.save_contact(customer, {"number": "600100200"}, contact=ewa)

    jan.refresh_from_db()
    ewa.refresh_from_db()
    assert (jan.first_name, ewa.number) == ("Janek", "48600100201")


def test_groups_of_another_customer_cannot_be_given(customer, other):
    theirs = ContactGroup.objects.create(customer=other, name="VIP")

    with pytest.raises(ValueError):
        book.save_contact(customer, {"number": "600100200"}, groups=[theirs])
    assert not Contact.objects.exists()


def test_another_customers_contact_cannot_be_changed(customer, other):
    theirs = add(other, "48600100200", "Jan")

    with pytest.raises(ValueError):
        book.save_contact(customer, {"number": "600100201"}, contact=theirs)


# -- bulk --------------------------------------------------------------------------------


def test_adding_to_a_group_is_one_statement_and_skips_members(customer):
    vip = ContactGroup.objects.create(customer=customer, name="VIP")
    contacts = [add(customer, f"4860010{n:04d}") for n in range(30)]
    contacts[0].groups.add(vip)

    with CaptureQueriesContext(connection) as queries:
        added = book.add_to_group(vip, book.contacts_of(customer))

    assert added == 29
    assert vip.contacts.count() == 30
    writes = [q["sql"] for q in queries if q["sql"].startswith("INSERT")]
    assert len(writes) == 1 and "SELECT" in writes[0]


def test_removing_from_a_group_leaves_the_contacts(customer):
    vip = ContactGroup.objects.create(customer=customer, name="VIP")
    jan, ewa, ola = (add(customer, f"4860010020{n}") for n in range(3))
    for contact in (jan, ewa):
        contact.groups.add(vip)

    removed = book.remove_from_group(vip, book.selected(customer, [jan.pk, ola.pk]))

    assert removed == 1
    assert list(vip.contacts.all()) == [ewa]
    assert Contact.objects.count() == 3


def test_bulk_operations_never_touch_another_customers_contacts(customer, other):
    vip = ContactGroup.objects.create(customer=customer, name="VIP")
    theirs_group = ContactGroup.objects.create(customer=other, name="VIP")
    theirs = add(other, "48600100200")
    theirs.groups.add(theirs_group)
    all_contacts = Contact.objects.all()  # theirs included: the functions filter again

    assert book.add_to_group(vip, all_contacts) == 0
    assert book.remove_from_group(theirs_group, book.selected(customer, [theirs.pk])) == 0
    assert book.delete_contacts(customer, all_contacts) == 0
    assert list(theirs.groups.all()) == [theirs_group]
    assert not vip.contacts.exists()


def test_deleting_contacts_takes_their_memberships(customer):
    vip = ContactGroup.objects.create(customer=customer, name="VIP")
    jan, ewa = add(customer, "48600100200"), add(customer, "48600100201")
    jan.groups.add(vip)

    assert book.delete_contacts(customer, book.selected(customer, [jan.pk])) == 1

    assert list(Contact.objects.all()) == [ewa]
    assert not Contact.groups.through.objects.exists()


def test_deleting_a_group_keeps_its_contacts_and_says_how_many(customer):
    vip = ContactGroup.objects.create(customer=customer, name="VIP")
    for n in range(3):
        add(customer, f"4860010020{n}").groups.add(vip)

    assert book.delete_group(vip) == 3

    assert Contact.objects.count() == 3
    assert not ContactGroup.objects.exists()


def test_group_names_are_unique_per_customer_whatever_the_case(customer, other):
    book.create_group(other, "VIP")
    vip = book.create_group(customer, "VIP")
    staff = book.create_group(customer, "Pracownicy")

    with pytest.raises(book.GroupNameTaken):
        book.create_group(customer, "vip")
    with pytest.raises(book.GroupNameTaken):
        book.rename_group(staff, " VIP ")
    book.rename_group(vip, "Vip")  # its own name, in another case

    names = ContactGroup.objects.filter(customer=customer).values_list("name", flat=True)
    assert sorted(names) == ["Pracownicy", "Vip"]


def test_groups_count_their_contacts(customer):
    vip, empty = book.create_group(customer, "VIP"), book.create_group(customer, "Pusta")
    for n in range(2):
        add(customer, f"4860010020{n}").groups.add(vip)

    sizes = {group.name: group.size for group in book.groups_of(customer)}

    assert sizes == {vip.name: 2, empty.name: 0}


# -- field names -------------------------------------------------------------------------


def test_field_names_are_saved_and_blank_ones_unused(customer):
    book.save_field_names(customer, {"field1": " Miasto ", "field3": "Rabat", "field2": ""})

    assert book.field_names(customer) == {"field1": "Miasto", "field3": "Rabat"}
    assert ContactFields.objects.get(customer=customer).name3 == "Rabat"


# -- export ------------------------------------------------------------------------------


def test_export_rows_carry_every_field_and_the_groups_joined(customer):
    vip, b = book.create_group(customer, "VIP"), book.create_group(customer, "B2B")
    jan = add(customer, "48600100200", "Jan", "Kowalski", email="jan@example.pl", field2="x")
    jan.groups.add(vip, b)
    add(customer, "48600100201", "Ewa", "Nowak")

    rows = list(book.export_rows(book.contacts_of(customer)))

    assert rows == [
        ["48600100200", "Jan", "Kowalski", "jan@example.pl", "", "", "x", "", "", "", "B2B, VIP"],
        ["48600100201", "Ewa", "Nowak", "", "", "", "", "", "", "", ""],
    ]


def test_export_reads_in_chunks(customer, monkeypatch):
    monkeypatch.setattr(book, "EXPORT_CHUNK", 10)
    Contact.objects.bulk_create(
        Contact(customer=customer, number=f"4860010{n:04d}") for n in range(25)
    )

    with CaptureQueriesContext(connection) as queries:
        rows = list(book.export_rows(book.contacts_of(customer)))

    assert len(rows) == 25
    group_reads = [q for q in queries if "contacts_contact_groups" in q["sql"]]
    assert len(group_reads) == 3  # one per chunk of 10, not one per contact


@pytest.mark.postgres
def test_polish_capitals_are_found_in_lower_case_on_postgresql(customer):
    # SQLite's LIKE folds ASCII letters only; PostgreSQL folds Ł and Ż too.
    add(customer, "48600100200", "Żaneta", "Łukasiewicz")

    assert numbers_of(book.contacts_of(customer, book.Filter(q="żaneta łukasiewicz"))) == [
        "48600100200"
    ]


def test_deleting_many_goes_in_chunks_and_counts_them_all(customer, monkeypatch):
    monkeypatch.setattr(book, "DELETE_CHUNK", 2)
    vip = ContactGroup.objects.create(customer=customer, name="VIP")
    for n in range(5):
        add(customer, f"4860010020{n}").groups.add(vip)

    assert book.delete_contacts(customer, book.contacts_of(customer)) == 5

    assert not Contact.objects.exists() and not vip.contacts.exists()


def test_a_name_and_digits_of_the_number_together(customer):
    add(customer, "48600100200", "Jan", "Kowalski")
    add(customer, "48511222333", "Jan", "Nowak")
    add(customer, "48600100201", "Ewa", "Kowalska")

    assert numbers_of(book.contacts_of(customer, book.Filter(q="Jan 600"))) == ["48600100200"]
