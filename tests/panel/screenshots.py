"""``make screenshots``: every panel page of tests/panel/pages.py photographed at 390
and 1280 px, in Polish and English, for a reviewer to look at; with widths.txt, the
document's width at 360, 390 and 1280 px next to the window's. Not a test: pytest
runs it only when named (its file name is not test_*.py), so CI never does.

SCREENSHOTS names the folder (default var/screenshots, ignored by git)."""

import os
from pathlib import Path

import pytest

from tests.panel.pages import build_showcase, visit_every_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
SHOT_WIDTHS = (390, 1280)
MEASURED_WIDTHS = (360, 390, 1280)
LANGUAGES = {"pl": "pl-PL", "en": "en-US"}


def test_screenshots(page_in, live_server, simulator):
    folder = Path(os.environ.get("SCREENSHOTS") or ROOT / "var" / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    showcase = build_showcase(simulator)
    rows = []
    for language, locale in LANGUAGES.items():
        page = page_in(locale)
        for name in visit_every_page(page, live_server.url, showcase, MEASURED_WIDTHS[0]):
            for width in MEASURED_WIDTHS:
                page.set_viewport_size({"width": width, "height": 800})
                scroll = page.evaluate("document.documentElement.scrollWidth")
                rows.append((name, language, width, scroll))
                if width in SHOT_WIDTHS:
                    page.screenshot(path=folder / f"{language}-{width}-{name}.png", full_page=True)
    table = [f"{'page':<26}{'lang':<6}{'window':>8}{'document':>10}"]
    table += [
        f"{n:<26}{lang:<6}{w:>8}{s:>10}{'  too wide' if s > w else ''}" for n, lang, w, s in rows
    ]
    (folder / "widths.txt").write_text("\n".join(table) + "\n")
