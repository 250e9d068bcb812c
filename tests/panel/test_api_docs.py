"""The API docs page and the OpenAPI description."""

import html

import pytest
import yaml
from django.test import Client
from django.utils import translation

from messaging.api.docs import endpoints
from messaging.api.errors import WIRE_ERRORS, ApiError

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
    endpoints = [
        "/sms_api/cancelSms/",
        "/sms_api/gateway/",
        "/sms_api/getProgress/{message_id}/",
        "/sms_api/incoming/{sms_hash}/",
        "/sms_api/validateContent/",
    ]
    # Each at its path (JSON) and its xml/ (XML), by GET and POST.
    assert sorted(schema["paths"]) == sorted(endpoints + [p + "xml/" for p in endpoints])
    assert all(set(item) == {"get", "post"} for item in schema["paths"].values())
    gateway = schema["paths"]["/sms_api/gateway/"]["post"]
    assert "INSUFFICIENT_FUNDS" in gateway["description"]
    form = gateway["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"]
    fields = schema["components"]["schemas"][form.rsplit("/", 1)[1]]["properties"]
    assert {"to_list", "to_file", "from", "send_datetime", "notify_url"} <= set(fields)


def _english_texts() -> list[str]:
    """Every description the docs page shows, as written in English."""
    with translation.override("en"):
        texts = [description for description, _extension in WIRE_ERRORS.values()]
        for endpoint in endpoints("http://testserver/sms_api/"):
            texts.append(endpoint.summary)
            texts.extend(meaning for _name, _required, meaning in endpoint.fields)
    return texts


@pytest.mark.django_db
def test_docs_page_in_polish_has_no_english_description():
    page = html.unescape(Client().get("/docs/api/").content.decode())  # Polish by default
    assert 'lang="pl"' in page
    english = [text for text in _english_texts() if text in page]
    assert not english, english
    # Wire names stay as they are.
    for name in [*WIRE_ERRORS, "to_list", "send_datetime", "notify_url", "from_number"]:
        assert f"<code>{name}</code>" in page
    assert "Zły login lub hasło do API." in page  # LOGIN_INCORRECT, translated


@pytest.mark.django_db
def test_docs_page_in_english_has_every_description(client):
    page = html.unescape(client.get("/docs/api/").content.decode())
    missing = [text for text in _english_texts() if text not in page]
    assert not missing, missing


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["pl", "en"])
def test_docs_page_cites_no_internal_reference(language):
    page = Client(HTTP_ACCEPT_LANGUAGE=language).get("/docs/api/").content.decode()
    assert "seed" not in page.lower() and "§" not in page


def test_the_wire_keeps_english_descriptions_whatever_the_language():
    with translation.override("pl"):
        payload = ApiError("LOGIN_INCORRECT").payload()
    assert payload["error_description"] == WIRE_ERRORS["LOGIN_INCORRECT"][0]
    assert payload["error_description"].startswith("Wrong API username or password.")
