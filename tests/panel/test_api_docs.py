"""The API docs page and the OpenAPI description."""

import pytest
import yaml

from messaging.api.errors import WIRE_ERRORS

ENDPOINTS = ["gateway/", "getProgress/<message_id>/", "cancelSms", "validateContent"]


@pytest.mark.django_db
def test_docs_page_lists_every_endpoint_error_and_example(client):
    page = client.get("/docs/api/").content.decode()
    for path in ENDPOINTS:
        assert f"<code>{path.replace('<', '&lt;').replace('>', '&gt;')}</code>" in page
    assert "incoming/&lt;sms_hash&gt;/" in page
    for name in WIRE_ERRORS:
        assert f"<code>{name}</code>" in page
    assert page.count("<h3>curl</h3>") == 5
    assert page.count("<h3>Python</h3>") == 5
    assert "http://testserver/sms_api/gateway/" in page  # examples use this server's address


@pytest.mark.django_db
def test_panel_links_the_docs(alice_client, service):
    page = alice_client.get(f"/services/{service.pk}/").content.decode()
    assert 'href="/docs/api/"' in page


@pytest.mark.django_db
def test_openapi_describes_each_endpoint_once(client):
    response = client.get("/sms_api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert sorted(schema["paths"]) == [
        "/sms_api/cancelSms/",
        "/sms_api/gateway/",
        "/sms_api/getProgress/{message_id}/",
        "/sms_api/incoming/{sms_hash}/",
        "/sms_api/validateContent/",
    ]
    gateway = schema["paths"]["/sms_api/gateway/"]["post"]
    assert "INSUFFICIENT_FUNDS" in gateway["description"]
    form = gateway["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"]
    fields = schema["components"]["schemas"][form.rsplit("/", 1)[1]]["properties"]
    assert {"to_list", "to_file", "from", "send_datetime", "notify_url"} <= set(fields)
