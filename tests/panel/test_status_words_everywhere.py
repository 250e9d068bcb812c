"""No page of the panel's list (tests/panel/pages.py) shows a raw recipient status
(DELIVERED, REJECTED, …) outside a ``<code>``: the showcase account has messages in
every final status, delivery reports mailed and callbacks, so a page that printed one
raw would show it here, in Polish and in English."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.panel.pages import PAGES, PASSWORD, USERNAME, build_showcase
from tests.panel.test_status_words import RAW, visible

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["pl", "en"])
def test_no_page_shows_a_raw_status(simulator, language):
    showcase = build_showcase(simulator)
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    assert client.login(username=USERNAME, password=PASSWORD)
    raw = {}
    for name, page in PAGES.items():
        response = client.get(reverse(name, kwargs=page.kwargs(showcase)))
        assert response.status_code == 200, name
        found = RAW.findall(visible(response.content.decode()))
        if found:
            raw[name] = sorted(set(found))
    assert raw == {}
