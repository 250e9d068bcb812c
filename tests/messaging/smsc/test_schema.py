"""The SMSC endpoints' OpenAPI description (/sys/schema/): valid, every route described
by GET and POST, each answer in its three formats (tests/chaos/test_schemathesis.py
checks the live answers against it)."""

import json

import pytest
import schemathesis
from django.urls import URLPattern

from messaging.smsc import urls


@pytest.fixture
def schema(client) -> dict:
    response = client.get("/sys/schema/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return json.loads(response.content)


def test_the_schema_is_valid_openapi(schema):
    schemathesis.openapi.from_dict(schema).validate()


def test_every_smsc_route_is_described_by_get_and_post(schema):
    routes = {f"/sys/{p.pattern}" for p in urls.urlpatterns if isinstance(p, URLPattern)} - {
        "/sys/schema/"
    }
    assert routes == set(schema["paths"])
    for path, item in schema["paths"].items():
        assert set(item) == {"get", "post"}, path
        query = {p["name"] for p in item["get"]["parameters"]}
        body = item["post"]["requestBody"]["content"]["application/x-www-form-urlencoded"]
        assert {"login", "psw", "fmt", "charset"} <= query == set(body["schema"]["properties"])


def test_answers_are_described_in_each_format_errors_included(schema):
    answer = schema["paths"]["/sys/send.php"]["post"]["responses"]["200"]["content"]
    assert set(answer) == {"text/plain", "text/xml", "application/json"}
    errors = answer["application/json"]["schema"]["oneOf"][-1]
    assert set(errors["required"]) == {"error", "error_code"}
    assert answer["text/xml"]["schema"]["oneOf"][-1]["xml"] == {"name": "result"}


@pytest.mark.django_db
def test_the_api_docs_page_links_it(client):
    assert 'href="/sys/schema/"' in client.get("/docs/api/").content.decode()
