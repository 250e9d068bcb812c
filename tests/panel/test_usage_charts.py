"""The service page's usage charts: inline SVG drawn from messaging.usage, with the figures."""

import re

import pytest

from messaging import services

pytestmark = pytest.mark.django_db


def test_the_service_page_draws_the_last_30_days(alice_client, service, simulator):
    from gateways import dispatch

    services.submit(
        service.pk,
        services.SendRequest(recipients=["48501234567", "48501234000", "48501234568"], text="x"),
    )
    dispatch.dispatch_batch()
    page = alice_client.get(f"/services/{service.pk}/").content.decode()
    assert page.count('<svg class="chart" width="100%" height="180" role="img"') == 2
    assert "<script" not in page.split('id="usage"')[1].split("</div>")[0]
    titles = re.findall(r"<title>([^:<]+): (\w+) ([\d.]+)</title>", page)
    today = [t for t in titles if t[0] == titles[-1][0]]
    assert ("sent", "3") in [(name, value) for _, name, value in today]
    assert ("delivered", "2") in [(name, value) for _, name, value in today]
    assert ("failed", "1") in [(name, value) for _, name, value in today]
    assert ("spent", "0.14") in [(name, value) for _, name, value in today]
    rows = re.findall(r"<tr><td>[^<]+</td>", page.split('id="usage-table"')[1])
    assert len(rows) == 30


def test_an_empty_service_draws_empty_charts(alice_client, make_service):
    fresh = make_service(customer=alice_client.get("/").context["services"][0].customer)
    page = alice_client.get(f"/services/{fresh.pk}/").content.decode()
    assert page.count('role="img"') == 2
    assert 'height="0.0"' in page
