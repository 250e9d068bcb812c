"""Message templates: add, edit, delete (asked first), one customer's only, and inserted
into the send form (the page without JavaScript posts the form back with the text in it)."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Service
from contacts.models import MessageTemplate

pytestmark = pytest.mark.django_db


@pytest.fixture
def template(service):
    return MessageTemplate.objects.create(
        customer=service.customer, name="Przypomnienie", text="Przypominamy o wizycie jutro."
    )


@pytest.fixture
def other_client(make_service):
    bob = make_service(username="bob")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(bob.customer.user)
    return client


def test_add_list_edit(alice_client, service):
    empty = alice_client.get(reverse("template_list"))
    assert "No templates yet." in empty.content.decode()
    added = alice_client.post(reverse("template_add"), {"name": " Promocja ", "text": "-20% dziś"})
    assert added.status_code == 302 and added["Location"] == reverse("template_list")
    template = MessageTemplate.objects.get(customer=service.customer)
    assert (template.name, template.text) == ("Promocja", "-20% dziś")
    listed = alice_client.get(reverse("template_list")).content.decode()
    assert "Promocja" in listed and "-20% dziś" in listed

    edited = alice_client.post(
        reverse("template_edit", args=[template.pk]), {"name": "Promocja", "text": "-30% dziś"}
    )
    assert edited.status_code == 302
    template.refresh_from_db()
    assert template.text == "-30% dziś"


def test_a_name_is_unique_per_customer(alice_client, other_client, template):
    again = alice_client.post(reverse("template_add"), {"name": template.name, "text": "x"})
    assert "You have a template of this name already." in again.content.decode()
    # Another customer may use the same name.
    assert (
        other_client.post(reverse("template_add"), {"name": template.name, "text": "y"}).status_code
        == 302
    )
    assert MessageTemplate.objects.filter(name=template.name).count() == 2


def test_name_and_text_are_required(alice_client):
    answer = alice_client.post(reverse("template_add"), {"name": "", "text": ""})
    assert answer.status_code == 200
    assert set(answer.context["form"].errors) == {"name", "text"}
    assert MessageTemplate.objects.count() == 0


def test_delete_asks_first(alice_client, template):
    url = reverse("template_delete", args=[template.pk])
    question = alice_client.get(url)
    page = question.content.decode()
    assert "Delete the template “Przypomnienie”?" in page
    assert 'name="confirm" value="yes"' in page
    assert MessageTemplate.objects.filter(pk=template.pk).exists()
    # A POST without the answer gets the question again, never the action.
    assert alice_client.post(url).status_code == 200
    assert MessageTemplate.objects.filter(pk=template.pk).exists()
    done = alice_client.post(url, {"confirm": "yes"})
    assert done.status_code == 302
    assert not MessageTemplate.objects.filter(pk=template.pk).exists()


def test_another_customer_gets_not_found(other_client, template):
    for name in ("template_edit", "template_delete"):
        url = reverse(name, args=[template.pk])
        assert other_client.get(url).status_code == 404
        assert (
            other_client.post(url, {"name": "x", "text": "y", "confirm": "yes"}).status_code == 404
        )
    assert "Przypomnienie" not in other_client.get(reverse("template_list")).content.decode()
    template.refresh_from_db()
    assert template.name == "Przypomnienie"


@pytest.mark.parametrize("name", ["template_list", "template_add", "template_edit"])
def test_login_required(client, template, name):
    args = [template.pk] if name == "template_edit" else []
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


# -- in the send form -----------------------------------------------------------------------


def test_the_send_form_offers_the_customers_templates_only(
    alice_client, service, template, make_service
):
    bob = make_service(username="bob").customer
    MessageTemplate.objects.create(customer=bob, name="Cudzy", text="nie twój")
    page = alice_client.get(reverse("send_sms", args=[service.pk])).content.decode()
    assert f'<option value="{template.pk}" data-text="Przypominamy o wizycie jutro.">' in page
    assert "Cudzy" not in page and "nie twój" not in page
    assert "panel/templates.js" in page


def test_inserting_without_javascript_keeps_what_was_typed_and_sends_nothing(
    alice_client, service, template
):
    url = reverse("send_sms", args=[service.pk])
    answer = alice_client.post(
        url,
        {
            "recipients": "501 234 567",
            "text": "stary tekst",
            "express": "on",
            "template": str(template.pk),
            "insert_template": "1",
        },
    )
    assert answer.status_code == 200
    form = answer.context["form"]
    assert not form.is_bound
    assert form["text"].value() == "Przypominamy o wizycie jutro."
    assert form["recipients"].value() == "501 234 567"
    assert form["express"].value() == "on"
    assert service.messages.count() == 0
    # The page then sends as usual.
    page = answer.content.decode()
    assert "Przypominamy o wizycie jutro.</textarea>" in page


def test_a_template_by_link(alice_client, service, template):
    url = reverse("send_sms", args=[service.pk]) + f"?template={template.pk}"
    form = alice_client.get(url).context["form"]
    assert form["text"].value() == "Przypominamy o wizycie jutro."


def test_another_customers_template_is_not_inserted(other_client, make_service, template):
    theirs = Service.objects.get(customer__user__username="bob")
    url = reverse("send_sms", args=[theirs.pk])
    form = other_client.get(url + f"?template={template.pk}").context["form"]
    assert not form["text"].value()
    typed = {"recipients": "501 234 567", "text": "Hej", "template": str(template.pk)}
    answer = other_client.post(url, {**typed, "insert_template": "1"})
    assert "Przypominamy" not in answer.content.decode()
    assert answer.context["form"]["text"].value() == "Hej"
    assert theirs.messages.count() == 0  # the insert button never sends
