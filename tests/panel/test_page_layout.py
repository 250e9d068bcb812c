"""Every panel page of tests/panel/pages.py in a real browser, in Polish and English: at
a phone's width (360 and 390 px) and a desktop's (1280 px) the document never scrolls
sideways (a wide table scrolls inside its own box), and each page has a title of its
own ("Send SMS · <service> · SMS panel")."""

import pytest

from tests.panel.pages import build_showcase, visit_every_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (360, 390, 1280)
PANEL = {"pl": "Panel SMS", "en": "SMS panel"}


@pytest.mark.parametrize("language", ["pl", "en"])
def test_every_page_fits_the_window_and_has_a_title_of_its_own(
    page_in, live_server, simulator, language
):
    showcase = build_showcase(simulator)
    page = page_in({"pl": "pl-PL", "en": "en-US"}[language])
    too_wide, titles, languages = {}, {}, set()
    for name in visit_every_page(page, live_server.url, showcase, WIDTHS[0]):
        titles[name] = page.title()
        languages.add(page.get_attribute("html", "lang"))
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            document, window = page.evaluate(
                "[document.documentElement.scrollWidth, window.innerWidth]"
            )
            if document > window:
                too_wide[f"{name} at {window} px"] = document

    assert languages == {language}
    assert too_wide == {}
    suffix = f" · {PANEL[language]}"
    untitled = {n: t for n, t in titles.items() if not t.endswith(suffix) or t == suffix}
    assert untitled == {}
    assert len(set(titles.values())) == len(titles), titles
