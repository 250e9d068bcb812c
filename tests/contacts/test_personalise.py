"""Filling a template for a contact (contacts.personalise): both spellings of each field,
a missing value, skipping contacts without it, unknown fields left as typed; and the
group send built from a customer's group through the one pipeline."""

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accounts import ledger
from contacts import personalise
from contacts.models import Contact, ContactGroup
from messaging import services
from messaging.models import Message, Recipient
from tests.conftest import examples

JAN = {"first_name": "Jan", "last_name": "Kowalski", "field1": "Kraków", "field5": "10%"}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("Dzień dobry {imie} {nazwisko}", "Dzień dobry Jan Kowalski"),
        ("Hello {first_name} {last_name}", "Hello Jan Kowalski"),
        ("{IMIE}, {Imię}", "Jan, Jan"),
        ("{pole1}/{field1} {pole5}", "Kraków/Kraków 10%"),
        ("{pole2}|{field3}|", "||"),
        ("{unknown} {imie {} {{imie}}", "{unknown} {imie {} {Jan}"),
        ("no fields", "no fields"),
    ],
)
def test_fill(template, expected):
    assert personalise.fill(template, JAN) == expected


def test_skip_missing_leaves_out_a_contact_without_a_used_field():
    assert personalise.fill("{imie} {pole2}", JAN, skip_missing=True) is None
    assert personalise.fill("{imie} {pole1}", JAN, skip_missing=True) == "Jan Kraków"
    # A field the template does not use does not matter.
    assert personalise.fill("Hej", {}, skip_missing=True) == "Hej"
    assert personalise.fill("{nazwisko}", {"last_name": "  "}, skip_missing=True) is None


_values = st.text(alphabet=st.characters(blacklist_characters="{}"), max_size=20)
_contacts = st.fixed_dictionaries({attribute: _values for attribute in personalise.ATTRIBUTES})
_literal = st.text(alphabet=st.characters(blacklist_characters="{}"), max_size=20)
_field = st.sampled_from(sorted(personalise.FIELDS))


@hypothesis_settings(max_examples=examples(300))
@given(st.lists(st.tuples(_literal, _field), max_size=6), _literal, _contacts)
def test_every_field_is_replaced_by_its_value_and_the_rest_kept(pieces, tail, contact):
    template = "".join(f"{literal}{{{name}}}" for literal, name in pieces) + tail
    expected = (
        "".join(literal + contact[personalise.FIELDS[name]] for literal, name in pieces) + tail
    )
    assert personalise.fill(template, contact) == expected


@hypothesis_settings(max_examples=examples(300))
@given(st.text(max_size=60), _contacts)
def test_text_without_known_fields_is_left_as_typed(text, contact):
    if re.search(r"\{[^{}\s]+\}", text) and any(
        m.lower() in personalise.FIELDS for m in re.findall(r"\{([^{}\s]+)\}", text)
    ):
        return
    assert personalise.fill(text, contact) == text


@hypothesis_settings(max_examples=examples(200))
@given(st.lists(st.tuples(_literal, _field), min_size=1, max_size=4), _contacts)
def test_skip_missing_is_none_exactly_when_a_used_field_is_blank(pieces, contact):
    template = "".join(f"{literal}{{{name}}}" for literal, name in pieces)
    used = {personalise.FIELDS[name] for _literal, name in pieces}
    filled = personalise.fill(template, contact, skip_missing=True)
    assert (filled is None) == any(not contact[a].strip() for a in used)
    if filled is not None:
        assert filled == personalise.fill(template, contact)


# -- the group send ----------------------------------------------------------------------


@pytest.fixture
def book(make_service):
    service = make_service(username="alice", balance=Decimal("100"))
    group = ContactGroup.objects.create(customer=service.customer, name="Klienci")
    people = [
        ("48600100001", "Jan", "Kraków"),
        ("48600100002", "Ala", ""),
        ("48600100003", "Łucja", "Łódź"),
        ("48600100004", "Jan", "Kraków"),
    ]
    for number, first, city in people:
        contact = Contact.objects.create(
            customer=service.customer, number=number, first_name=first, field1=city
        )
        contact.groups.add(group)
    Contact.objects.create(customer=service.customer, number="48600100099", first_name="Poza")
    return service, group


@pytest.mark.django_db
def test_a_group_send_gives_each_contact_its_text(book):
    service, group = book
    built = personalise.group_send(service.pk, group.pk, "Cześć {imie} z {pole1}!")
    assert (built.contacts, built.skipped) == (4, 0)
    assert built.preview[:2] == ["Cześć Jan z Kraków!", "Cześć Ala z !"]
    message = services.submit(service.pk, built.request).message
    sent = {
        r.number: r.text or message.text
        for r in Recipient.objects.filter(message=message).order_by("id")
    }
    assert sent == {
        "48600100001": "Cześć Jan z Kraków!",
        "48600100002": "Cześć Ala z !",
        "48600100003": "Cześć Łucja z Łódź!",
        "48600100004": "Cześć Jan z Kraków!",
    }
    assert message.text == "Cześć Jan z Kraków!"  # the most common


@pytest.mark.django_db
def test_skip_missing_leaves_out_and_counts(book):
    service, group = book
    built = personalise.group_send(service.pk, group.pk, "{imie}: {pole1}", skip_missing=True)
    assert (built.contacts, built.skipped) == (4, 1)
    assert "48600100002" not in list(built.request.recipients)


@pytest.mark.django_db
def test_the_estimate_agrees_with_the_charge(book):
    service, group = book
    template = "{imie}, " + "x" * 152  # Jan/Ala: 157, Łucja: 159 but UCS-2 → 3 parts
    counted = personalise.estimate_group(service.pk, group.pk, template)
    assert counted.estimate.problem is None
    assert (counted.estimate.shortest, counted.estimate.longest) == (157, 159)
    assert (counted.estimate.parts_min, counted.estimate.parts_max) == (1, 3)
    assert counted.preview[0] == "Jan, " + "x" * 152
    before = ledger.ledger_balance(service.pk)
    message = services.submit(
        service.pk, personalise.group_send(service.pk, group.pk, template).request
    ).message
    assert counted.estimate.price == message.price == Decimal("0.0700") * (1 + 1 + 3 + 1)
    assert ledger.ledger_balance(service.pk) == before - message.price


@pytest.mark.django_db
def test_another_customers_group_is_not_found(book, make_service):
    _service, group = book
    bob = make_service(username="bob", balance=Decimal("100"))
    with pytest.raises(personalise.GroupNotFound):
        personalise.group_send(bob.pk, group.pk, "Hej {imie}")
    with pytest.raises(personalise.GroupNotFound):
        personalise.estimate_group(bob.pk, group.pk, "Hej {imie}")
    assert not Message.objects.exists()
