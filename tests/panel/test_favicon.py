"""The icon: /favicon.ico at the site's root, where browsers ask for it whatever a page
says, and the SVG every page links."""

from django.test import Client


def test_favicon_ico_is_served_at_the_root():
    response = Client().get("/favicon.ico")

    assert response.status_code == 200
    assert response["Content-Type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO header


def test_pages_link_the_svg_icon(client):
    page = client.get("/login/").content.decode()

    assert '<link rel="icon" href="/static/panel/favicon.svg" type="image/svg+xml">' in page
    assert Client().get("/static/panel/favicon.svg").status_code == 200
