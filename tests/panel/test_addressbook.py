"""The address book's pages: add, edit and delete contacts with messages that say what to
fix, search by any spelling of a number, filter by group, act on many contacts at once,
groups and field names, each asking before it destroys anything."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from contacts.models import Contact, ContactFields, ContactGroup

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(service):
    return service.customer


def add(customer, number, first="", last="", groups=(), **values) -> Contact:
    contact = Contact.objects.create(
        customer=customer, number=number, first_name=first, last_name=last, **values
    )
    contact.groups.set(groups)
    return contact


def listed(response) -> list[str]:
    """The numbers of the list's rows, in order."""
    return re.findall(r'class="number">([^<]*)<', response.content.decode())


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# -- the list ----------------------------------------------------------------------------


def test_the_main_menu_links_the_address_book(alice_client):
    assert 'href="/contacts/"' in alice_client.get(reverse("dashboard")).content.decode()


def test_the_list_shows_contacts_by_name_with_groups_and_named_fields(alice_client, customer):
    ContactFields.objects.create(customer=customer, name2="Miasto")
    vip = ContactGroup.objects.create(customer=customer, name="VIP")
    add(customer, "48600100201", "Zofia", "Zając", groups=[vip], field2="Kraków", field1="x1")
    add(customer, "48600100200", "Adam", "Adamski")

    response = alice_client.get(reverse("contact_list"))

    assert listed(response) == ["+48 600 100 200", "+48 600 100 201"]
    page = text(response)
    assert "<th>Miasto</th>" in page and "Kraków" in page and "VIP" in page
    assert "x1" not in page  # an unnamed field is not a column
    assert "2 contacts in the address book." in page


@pytest.mark.parametrize(
    "typed", ["600100200", "600 100 200", "+48 600-100-200", "0048600100200", "100 200"]
)
def test_search_finds_a_number_however_typed(alice_client, customer, typed):
    add(customer, "48600100200", "Jan", "Kowalski")
    add(customer, "48600300400", "Ewa", "Nowak")

    response = alice_client.get(reverse("contact_list"), {"q": typed})

    assert listed(response) == ["+48 600 100 200"]
    assert "1 contact matches." in text(response)


def test_search_by_name_and_email(alice_client, customer):
    add(customer, "48600100200", "Jan", "Kowalski", email="jan@sklep.example.pl")
    add(customer, "48600300400", "Ewa", "Nowak", email="ewa@example.com")

    assert listed(alice_client.get(reverse("contact_list"), {"q": "Kowalski Jan"})) == [
        "+48 600 100 200"
    ]
    assert listed(alice_client.get(reverse("contact_list"), {"q": "example.com"})) == [
        "+48 600 300 400"
    ]
    assert "No contacts match." in text(alice_client.get(reverse("contact_list"), {"q": "Zenon"}))


def test_filter_by_group_and_without_a_group(alice_client, customer):
    vip = ContactGroup.objects.create(customer=customer, name="VIP")
    add(customer, "48600100200", "Jan", groups=[vip])
    add(customer, "48600300400", "Ewa")

    in_vip = alice_client.get(reverse("contact_list"), {"group": vip.pk})
    without = alice_client.get(reverse("contact_list"), {"group": "none"})

    assert listed(in_vip) == ["+48 600 100 200"]
    assert listed(without) == ["+48 600 300 400"]


def test_the_list_pages_by_fifty_keeping_the_search(alice_client, customer):
    Contact.objects.bulk_create(
        Contact(customer=customer, number=f"4860010{n:04d}", last_name=f"K{n:03d}")
        for n in range(120)
    )

    first = alice_client.get(reverse("contact_list"), {"q": "K"})
    third = alice_client.get(reverse("contact_list"), {"q": "K", "page": 3})

    assert len(listed(first)) == 50 and len(listed(third)) == 20
    assert "?q=K&amp;page=2" in first.content.decode()


def test_an_overlong_search_says_the_limit(alice_client):
    response = alice_client.get(reverse("contact_list"), {"q": "x" * 201})
    assert "at most 200 characters" in text(response)


# -- add and edit ------------------------------------------------------------------------


def test_adding_a_contact_normalises_its_number_and_groups_it(alice_client, customer):
    vip = ContactGroup.objects.create(customer=customer, name="VIP")
    ContactFields.objects.create(customer=customer, name1="Miasto")

    response = alice_client.post(
        reverse("contact_add"),
        {
            "number": "+48 600-100-200",
            "first_name": "Jan",
            "last_name": "Kowalski",
            "email": "jan@example.pl",
            "field1": "Gdańsk",
            "groups": [vip.pk],
        },
        follow=True,
    )

    contact = Contact.objects.get(customer=customer)
    assert (contact.number, contact.field1) == ("48600100200", "Gdańsk")
    assert list(contact.groups.all()) == [vip]
    assert "Jan Kowalski added." in text(response)


def test_an_invalid_number_says_what_to_type(alice_client):
    response = alice_client.post(reverse("contact_add"), {"number": "22 100 20 30"})

    assert response.status_code == 200
    assert "22 100 20 30 is not a Polish mobile number. Type its 9 digits" in text(response)
    assert not Contact.objects.exists()


def test_a_number_already_in_the_book_links_to_its_contact(alice_client, customer):
    jan = add(customer, "48600100200", "Jan", "Kowalski")

    response = alice_client.post(
        reverse("contact_add"), {"number": "600 100 200", "first_name": "Janek"}
    )

    page = text(response)
    assert "+48 600 100 200 is already in your address book:" in page
    assert f'<a href="/contacts/{jan.pk}/">Jan Kowalski</a>' in page
    assert Contact.objects.count() == 1


def test_a_malformed_email_says_how_it_should_look(alice_client):
    response = alice_client.post(reverse("contact_add"), {"number": "600100200", "email": "jan@"})
    assert "Type an e-mail address like anna@example.pl." in text(response)
    assert not Contact.objects.exists()


def test_editing_a_contact(alice_client, customer):
    vip = ContactGroup.objects.create(customer=customer, name="VIP")
    jan = add(customer, "48600100200", "Jan", "Kowalski", groups=[vip])
    add(customer, "48600300400", "Ewa", "Nowak")
    page = text(alice_client.get(reverse("contact_edit", args=[jan.pk])))
    assert 'value="+48 600 100 200"' in page and "checked" in page

    taken = alice_client.post(reverse("contact_edit", args=[jan.pk]), {"number": "600300400"})
    assert "is already in your address book" in text(taken)

    alice_client.post(
        reverse("contact_edit", args=[jan.pk]), {"number": "600 100 200", "first_name": "Janek"}
    )
    jan.refresh_from_db()
    assert (jan.first_name, jan.last_name, jan.number) == ("Janek", "", "48600100200")
    assert not jan.groups.exists()  # the box left unticked


def test_a_custom_field_with_a_value_stays_editable_without_a_name(alice_client, customer):
    jan = add(customer, "48600100200", field3="z importu")
    page = text(alice_client.get(reverse("contact_edit", args=[jan.pk])))
    assert "Field 3" in page and 'value="z importu"' in page


# -- delete ------------------------------------------------------------------------------


def test_deleting_a_contact_asks_first(alice_client, customer):
    jan = add(customer, "48600100200", "Jan", "Kowalski")
    url = reverse("contact_delete", args=[jan.pk])

    question = alice_client.get(url)
    unconfirmed = alice_client.post(url)

    assert "Delete Jan Kowalski from the address book?" in text(question)
    assert 'name="confirm" value="yes"' in text(unconfirmed)
    assert Contact.objects.filter(pk=jan.pk).exists()

    alice_client.post(url, {"confirm": "yes"})
    assert not Contact.objects.filter(pk=jan.pk).exists()


def test_deleting_the_ticked_contacts_asks_once(alice_client, customer):
    jan, ewa, ola = (add(customer, f"4860010020{n}", name) for n, name in enumerate("JEO"))
    chosen = {"action": "delete", "contact": [jan.pk, ewa.pk]}

    question = alice_client.post(reverse("contact_bulk"), chosen)

    page = text(question)
    assert "Delete 2 contacts from the address book?" in page
    assert f'name="contact" value="{jan.pk}"' in page and 'name="confirm" value="yes"' in page
    assert Contact.objects.count() == 3

    done = alice_client.post(reverse("contact_bulk"), {**chosen, "confirm": "yes"}, follow=True)
    assert list(Contact.objects.all()) == [ola]
    assert "2 contacts deleted." in text(done)


def test_deleting_all_matching_the_search(alice_client, customer):
    for n in range(3):
        add(customer, f"4860010020{n}", "Kowalski")
    keep = add(customer, "48600300400", "Nowak")
    everything = {"action": "delete", "scope": "all", "q": "Kowalski"}

    assert "Delete 3 contacts" in text(alice_client.post(reverse("contact_bulk"), everything))
    alice_client.post(reverse("contact_bulk"), {**everything, "confirm": "yes"})

    assert list(Contact.objects.all()) == [keep]


def test_nothing_ticked_says_so(alice_client, customer):
    add(customer, "48600100200")
    response = alice_client.post(reverse("contact_bulk"), {"action": "delete"}, follow=True)
    assert "Tick the contacts first" in text(response)
    assert Contact.objects.count() == 1


# -- bulk groups -------------------------------------------------------------------------


def test_adding_ticked_contacts_to_a_group(alice_client, customer):
    vip = ContactGroup.objects.create(customer=customer, name="VIP")
    jan = add(customer, "48600100200", groups=[vip])
    ewa, ola = add(customer, "48600100201"), add(customer, "48600100202")

    response = alice_client.post(
        reverse("contact_bulk"),
        {"action": "add", "to_group": vip.pk, "contact": [jan.pk, ewa.pk]},
        follow=True,
    )

    assert set(vip.contacts.all()) == {jan, ewa}
    assert not ola.groups.exists()
    assert "1 contact added to the group VIP (1 was in it already)." in text(response)


def test_removing_all_matching_from_a_group(alice_client, customer):
    vip = ContactGroup.objects.create(customer=customer, name="VIP")
    kowalscy = [add(customer, f"4860010020{n}", "Kowalski", groups=[vip]) for n in range(2)]
    nowak = add(customer, "48600300400", "Nowak", groups=[vip])

    response = alice_client.post(
        reverse("contact_bulk"),
        {"action": "remove", "scope": "all", "q": "kowalski", "to_group": vip.pk},
        follow=True,
    )

    assert list(vip.contacts.all()) == [nowak]
    assert all(Contact.objects.filter(pk=c.pk).exists() for c in kowalscy)
    assert "2 contacts removed from the group VIP." in text(response)
    assert response.redirect_chain[-1][0] == "/contacts/?q=kowalski"


def test_a_bulk_action_without_a_group_says_so(alice_client, customer):
    jan = add(customer, "48600100200")
    response = alice_client.post(
        reverse("contact_bulk"), {"action": "add", "contact": [jan.pk]}, follow=True
    )
    assert "Choose a group first." in text(response)


# -- groups and field names --------------------------------------------------------------


def test_creating_a_group_and_its_count(alice_client, customer):
    alice_client.post(reverse("contact_groups"), {"name": "Stali klienci"})
    group = ContactGroup.objects.get(customer=customer)
    add(customer, "48600100200", groups=[group])
    add(customer, "48600100201", groups=[group])

    page = text(alice_client.get(reverse("contact_groups")))
    taken = text(alice_client.post(reverse("contact_groups"), {"name": "stali KLIENCI"}))

    assert 'Stali klienci</a></td> <td class="num" data-label="Contacts">2</td>' in page
    assert "You have a group named Stali klienci already" in taken
    assert ContactGroup.objects.count() == 1


def test_renaming_a_group(alice_client, customer):
    group = ContactGroup.objects.create(customer=customer, name="Stali")
    response = alice_client.post(
        reverse("contact_group_edit", args=[group.pk]), {"name": "Stali klienci"}, follow=True
    )
    group.refresh_from_db()
    assert group.name == "Stali klienci"
    assert "Group Stali renamed to Stali klienci." in text(response)


def test_deleting_a_group_asks_saying_how_many_it_holds_and_keeps_them(alice_client, customer):
    group = ContactGroup.objects.create(customer=customer, name="VIP")
    for n in range(3):
        add(customer, f"4860010020{n}", groups=[group])
    url = reverse("contact_group_delete", args=[group.pk])

    question = text(alice_client.get(url))
    assert "Delete the group VIP?" in question
    assert "It holds 3 contacts: they stay in the address book" in question
    alice_client.post(url)
    assert ContactGroup.objects.exists()

    alice_client.post(url, {"confirm": "yes"})
    assert not ContactGroup.objects.exists()
    assert Contact.objects.count() == 3


def test_naming_custom_fields(alice_client, customer):
    alice_client.post(reverse("contact_fields"), {"field1": "Miasto", "field4": "Rabat"})

    assert ContactFields.objects.get(customer=customer).names() == {
        "field1": "Miasto",
        "field4": "Rabat",
    }
    form = text(alice_client.get(reverse("contact_add")))
    assert "Miasto" in form and "Rabat" in form and "Field 2" not in form


# -- Polish ------------------------------------------------------------------------------


def test_the_pages_speak_polish(customer):
    client = Client(HTTP_ACCEPT_LANGUAGE="pl")
    client.force_login(customer.user)
    add(customer, "48600100200", "Jan")

    listing = text(client.get(reverse("contact_list")))
    refused = text(client.post(reverse("contact_add"), {"number": "600100200"}))

    assert "Kontakty" in listing and "Książka adresowa" in listing
    assert "jest już w Twojej książce adresowej" in refused


# -- who may see what --------------------------------------------------------------------

PAGES = ["contact_list", "contact_add", "contact_groups", "contact_fields"]
DOWNLOADS = ["contacts_csv", "contacts_xlsx"]


@pytest.mark.parametrize("name", PAGES + DOWNLOADS)
def test_signed_out_visitors_are_sent_to_sign_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and response.url.startswith("/login/")


@pytest.mark.parametrize(
    "name", ["contact_edit", "contact_delete", "contact_group_edit", "contact_group_delete"]
)
def test_signed_out_visitors_see_no_object(client, name):
    response = client.get(reverse(name, args=[1]))
    assert response.status_code == 302 and response.url.startswith("/login/")


def test_a_login_without_a_customer_has_no_address_book(admin_client):
    assert admin_client.get(reverse("contact_list")).status_code == 404


@pytest.fixture
def mallory(make_service):
    """Another customer's contact and group."""
    customer = make_service(username="mallory").customer
    group = ContactGroup.objects.create(customer=customer, name="Mallory VIP")
    contact = add(customer, "48600999888", "Mallory", "Secret", groups=[group])
    return contact, group


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("contact_edit", "contact"),
        ("contact_delete", "contact"),
        ("contact_group_edit", "group"),
        ("contact_group_delete", "group"),
    ],
)
def test_another_customers_objects_are_not_found(alice_client, mallory, name, kind):
    contact, group = mallory
    target = contact if kind == "contact" else group
    url = reverse(name, args=[target.pk])

    assert alice_client.get(url).status_code == 404
    assert (
        alice_client.post(url, {"confirm": "yes", "name": "x", "number": "600100100"}).status_code
        == 404
    )
    assert Contact.objects.filter(pk=contact.pk, first_name="Mallory").exists()
    assert ContactGroup.objects.filter(pk=group.pk, name="Mallory VIP").exists()


def test_another_customers_contacts_are_never_listed(alice_client, customer, mallory):
    contact, group = mallory
    add(customer, "48600100200", "Alice")

    pages = [
        alice_client.get(reverse("contact_list")),
        alice_client.get(reverse("contact_list"), {"q": "600999888"}),
        alice_client.get(reverse("contact_list"), {"q": "Mallory"}),
        alice_client.get(reverse("contact_list"), {"group": group.pk}),
        alice_client.get(reverse("contact_groups")),
        alice_client.get(reverse("contact_add")),
    ]

    for page in pages:
        assert page.status_code == 200
        assert "Secret" not in page.content.decode()  # the name is searched, never shown
        assert "600 999 888" not in page.content.decode()
        assert "Mallory VIP" not in page.content.decode()


def test_bulk_actions_never_reach_another_customers_contacts(alice_client, customer, mallory):
    contact, group = mallory
    mine = ContactGroup.objects.create(customer=customer, name="Moja")

    for action, extra in [
        ("add", {"to_group": mine.pk}),
        ("remove", {"to_group": group.pk}),
        ("delete", {"confirm": "yes"}),
    ]:
        alice_client.post(
            reverse("contact_bulk"), {"action": action, "contact": [contact.pk], **extra}
        )
        alice_client.post(reverse("contact_bulk"), {"action": action, "scope": "all", **extra})

    assert list(contact.groups.all()) == [group]
    assert not mine.contacts.exists()


def test_a_number_in_another_customers_book_is_free_here(alice_client, customer, mallory):
    alice_client.post(reverse("contact_add"), {"number": "600999888"})
    assert Contact.objects.filter(customer=customer, number="48600999888").exists()


def test_all_matching_a_wrong_search_is_never_everything(alice_client, customer):
    add(customer, "48600100200")
    response = alice_client.post(
        reverse("contact_bulk"),
        {"action": "delete", "scope": "all", "q": "x" * 201, "confirm": "yes"},
        follow=True,
    )
    assert "Correct the search first." in text(response)
    assert Contact.objects.count() == 1
