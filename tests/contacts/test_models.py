"""A number is one contact per customer; another customer may have it too."""

import pytest
from django.db import IntegrityError, transaction

from contacts.models import Contact, ContactFields, ContactGroup


def test_a_number_is_one_contact_per_customer(make_service):
    alice, bob = make_service().customer, make_service().customer
    Contact.objects.create(customer=alice, number="48600100200")
    Contact.objects.create(customer=bob, number="48600100200")
    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.create(customer=alice, number="48600100200")


def test_a_group_name_is_unique_per_customer(make_service):
    alice, bob = make_service().customer, make_service().customer
    ContactGroup.objects.create(customer=alice, name="VIP")
    ContactGroup.objects.create(customer=bob, name="VIP")
    with pytest.raises(IntegrityError), transaction.atomic():
        ContactGroup.objects.create(customer=alice, name="VIP")


def test_field_names_list_only_the_named_fields(make_service):
    fields = ContactFields(customer=make_service().customer, name1="Miasto", name4="Rabat")
    assert fields.names() == {"field1": "Miasto", "field4": "Rabat"}


def test_staff_search_contacts_in_admin(admin_client, make_service):
    customer = make_service().customer
    Contact.objects.create(customer=customer, number="48600100200", last_name="Żak")
    Contact.objects.create(customer=customer, number="48600100201", last_name="Nowak")
    page = admin_client.get("/admin/contacts/contact/", {"q": "Żak"}).content.decode()
    assert "48600100200" in page and "48600100201" not in page
