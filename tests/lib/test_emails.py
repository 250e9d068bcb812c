"""lib.emails: a mail's subject and body from its templates, in the recipient's language,
or in every language when it is not known."""

import pytest
from django.utils import translation

from lib.emails import languages, render_email

TEMPLATES = {
    "emails/month_subject.txt": "{% load i18n %}\n{% translate 'January' %}\n  of {{ year }}\n",
    "emails/month.txt": "{% load i18n %}{% translate 'January' %} {{ year }}\n\n\n",
}


@pytest.fixture(autouse=True)
def _templates(settings):
    settings.TEMPLATES = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "OPTIONS": {"loaders": [("django.template.loaders.locmem.Loader", TEMPLATES)]},
        }
    ]


def test_a_mail_in_the_language_asked_for():
    assert render_email("month", {"year": 2026}, "pl") == ("Styczeń  of 2026", "Styczeń 2026\n")
    assert render_email("month", {"year": 2026}, "en") == ("January  of 2026", "January 2026\n")


def test_a_subject_is_one_line_and_a_body_ends_with_one_line_break():
    subject, body = render_email("month", {"year": 2026}, "en")
    assert "\n" not in subject and not subject.startswith(" ")
    assert body.endswith("6\n")


def test_a_mail_to_someone_whose_language_is_unknown_has_each_default_first():
    subject, body = render_email("month", {"year": 2026})
    assert subject == "Styczeń  of 2026 / January  of 2026"
    assert body == "Styczeń 2026\n\nJanuary 2026\n"


def test_the_default_language_comes_first(settings):
    settings.LANGUAGE_CODE = "en"
    assert languages() == ["en", "pl"]
    assert render_email("month", {"year": 2026})[0].startswith("January")


def test_the_language_of_the_request_is_left_as_it_was():
    with translation.override("en"):
        render_email("month", {"year": 2026}, "pl")
        assert translation.get_language() == "en"
