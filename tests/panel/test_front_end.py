"""The vendored Pico.css under the Content-Security-Policy: every icon Pico draws from a
data: URI (which img-src 'self' refuses) is replaced in panel.css by a file of ours."""

import re
from pathlib import Path

from django.conf import settings

STATIC = Path(settings.BASE_DIR) / "static"
PICO = STATIC / "vendor" / "pico-2.1.1" / "pico.min.css"
PANEL = STATIC / "panel" / "panel.css"


def test_every_pico_icon_is_a_static_file():
    data_icons = set(re.findall(r"--pico-icon-([a-z-]+):url\(\"data:", PICO.read_text()))
    replaced = dict(
        re.findall(r"--pico-icon-([a-z-]+): url\(\"/static/([^\"]+)\"\)", PANEL.read_text())
    )

    assert data_icons and set(replaced) == data_icons
    assert [path for path in replaced.values() if not (STATIC / path).is_file()] == []


def test_the_panel_css_loads_no_data_uri():
    assert not re.search(r"url\(\s*[\"']?data:", PANEL.read_text())
