"""The list of panel pages (tests/panel/pages.py) against the URLconf: every URL of
panel.urls is a listed page, a download or a POST-only action, and each answers as
its kind says. A new page left out of the list fails here, so the layout test and the
screenshots cannot miss it."""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, reverse

from panel import urls as panel_urls
from tests.panel.pages import ACTIONS, DOWNLOADS, PAGES, PASSWORD, USERNAME, build_showcase

pytestmark = pytest.mark.django_db


def _patterns(entries, prefix=""):
    # As test_security_headers walks the whole URLconf, here panel.urls alone.
    for entry in entries:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _patterns(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route, entry.name


ROUTES = dict((name, route) for route, name in _patterns(panel_urls.urlpatterns))


@pytest.fixture
def showcase(simulator):
    return build_showcase(simulator)


@pytest.fixture
def customer(showcase):
    client = Client(HTTP_ACCEPT_LANGUAGE="pl")
    assert client.login(username=USERNAME, password=PASSWORD)
    return client


def url(name, showcase):
    page = PAGES.get(name)
    if page is not None:
        return reverse(name, kwargs=page.kwargs(showcase))
    route = ROUTES[name]
    return reverse(name, kwargs={k: v for k, v in showcase.ids.items() if f":{k}>" in route})


def test_every_panel_url_is_a_page_a_download_or_an_action():
    named = set(ROUTES)
    assert None not in named, "every panel URL has a name"
    assert set(PAGES) | DOWNLOADS | ACTIONS == named
    assert not set(PAGES) & (DOWNLOADS | ACTIONS)
    assert not DOWNLOADS & ACTIONS


def test_a_page_answers_a_get_with_html(customer, showcase):
    answers = {name: customer.get(url(name, showcase)) for name in PAGES}

    wrong = {
        name: (r.status_code, r["Content-Type"])
        for name, r in answers.items()
        if r.status_code != 200 or not r["Content-Type"].startswith("text/html")
    }
    assert wrong == {}


def test_a_download_is_a_file(customer, showcase):
    for name in DOWNLOADS:
        response = customer.get(url(name, showcase))

        assert response.status_code == 200, name
        assert not response["Content-Type"].startswith("text/html"), name
        assert "attachment" in response["Content-Disposition"], name


def test_an_action_refuses_a_get(customer, showcase):
    answers = {name: customer.get(url(name, showcase)).status_code for name in ACTIONS}

    assert answers == dict.fromkeys(ACTIONS, 405)
