"""The OpenAPI 3 document (drf-spectacular) validates and describes every operation; the
docs page works offline (its assets are local static files) and under the CSP (no inline
script or style)."""

import re

import pytest
from django.contrib.staticfiles import finders
from drf_spectacular.validation import validate_schema

from tests.security.test_s16_production_settings_and_headers import inline_code

pytestmark = pytest.mark.django_db

OPERATIONS = {
    ("/api/v2.0/registries", "get"), ("/api/v2.0/registries", "post"),
    ("/api/v2.0/registries/{id}", "get"), ("/api/v2.0/registries/{id}", "put"),
    ("/api/v2.0/registries/{id}", "delete"), ("/api/v2.0/registries/ping", "post"),
    ("/api/v2.0/registries/{id}/info", "get"), ("/api/v2.0/replication/adapters", "get"),
    ("/api/v2.0/replication/adapterinfos", "get"), ("/api/v2.0/ping", "get"), ("/api/v2.0/health", "get"),
    ("/api/v2.0/systeminfo", "get"), ("/api/v2.0/users/current", "get"),
}


@pytest.fixture
def schema(anonymous_api):
    response = anonymous_api.get("/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    return response.json()


def test_the_document_is_valid_openapi_3(schema):
    validate_schema(schema)

    assert schema["openapi"].startswith("3.")


def test_the_document_passes_openapi_spec_validator(schema):
    validator = pytest.importorskip("openapi_spec_validator")

    validator.validate(schema)


def test_the_document_describes_every_operation(schema):
    documented = {(path, method) for path, item in schema["paths"].items() for method in item}

    assert documented == OPERATIONS
    registry = schema["components"]["schemas"]["Registry"]["properties"]
    assert {"id", "name", "url", "type", "credential", "insecure", "status", "creation_time",
            "update_time", "ca_certificate", "description"} <= set(registry)
    create = schema["paths"]["/api/v2.0/registries"]["post"]
    assert "201" in create["responses"] and "Location" in create["responses"]["201"]["headers"]
    listing = schema["paths"]["/api/v2.0/registries"]["get"]
    assert {"X-Total-Count", "Link"} <= set(listing["responses"]["200"]["headers"])
    assert {p["name"] for p in listing["parameters"]} >= {"q", "sort", "page", "page_size", "name"}
    assert "412" in schema["paths"]["/api/v2.0/registries/{id}"]["delete"]["responses"]
    assert {"basicAuth"} <= set(schema["components"]["securitySchemes"])


def test_the_docs_page_loads_only_local_assets_and_no_inline_code(owner_client):
    page = owner_client.get("/api/v2.0/docs/")

    assert page.status_code == 200
    html = page.content.decode()
    assert inline_code(html) == []
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and not [a for a in assets if "://" in a or a.startswith("//")]
    static = [a for a in assets if a.startswith("/static/")]
    assert len(static) >= 4  # swagger-ui's css and two scripts, the page's own css
    for asset in static:
        assert finders.find(asset.removeprefix("/static/")), asset
    script = next(a for a in assets if "script" in a and not a.startswith("/static/"))
    init = owner_client.get(script.replace("&amp;", "&"))
    assert init.status_code == 200 and init["Content-Type"].startswith("application/javascript")
    assert "/api/v2.0/openapi.json" in init.content.decode()


def test_the_document_is_generated_without_a_warning(tmp_path):
    """drf-spectacular's warnings are also `manage.py check` warnings (S16 fails on them)."""
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
