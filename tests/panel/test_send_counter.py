"""The send form's counter as the customer reads it: neutral until something is
typed, the entries left out named with why, every count in correct plural forms."""

import pytest

pytestmark = pytest.mark.django_db


def url(service, tail=""):
    return f"/services/{service.pk}/send/{tail}"


def estimate(client, service, **fields):
    return client.post(url(service, "estimate/"), fields).json()


def test_the_empty_form_opens_without_an_error(alice_client, service):
    html = alice_client.get(url(service)).content.decode()
    assert 'role="alert"' not in html
    assert "The counter shows parts and price as you type." in html


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"text": "Hi"}, "recipients"),
        ({"recipients": "501234567"}, "text"),
        ({"recipients": "501234567", "text": "Hi", "send_date": "2099-01-01"}, "send_date"),
    ],
)
def test_a_problem_names_its_field_so_the_counter_waits_for_it(
    alice_client, service, fields, field
):
    counted = estimate(alice_client, service, **fields)
    assert counted["problem"]
    assert counted["problem_field"] == field


def test_a_problem_of_no_field_is_named_at_once(alice_client, service):
    service.block_by_customer()
    counted = estimate(alice_client, service, recipients="501234567", text="Hi")
    assert "unblock it" in counted["problem"]
    assert counted["problem_field"] == ""
