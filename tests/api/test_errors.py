"""Every error under /api/ is JSON in Harbor's shape: unknown paths, wrong methods, bodies
that are not JSON or not the right JSON, hostile bodies, bugs; never HTML, never a 5xx for
bad input."""

import json

import pytest

from tests.api.conftest import harbor_error

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/v2.0/nope", "/api/v2.0/registries/1/nope", "/api/v2.0/",
                                  "/api/v2.0", "/api/v1/registries", "/api/"])
def test_unknown_paths_are_json_404s(api, path):
    error = harbor_error(api.get(path, HTTP_ACCEPT="text/html"), 404, "NOT_FOUND")

    assert path in error["message"]


def test_unknown_paths_are_404_for_any_method_and_anyone(anonymous_api):
    harbor_error(anonymous_api.post("/api/v2.0/projects", {}), 404, "NOT_FOUND")


@pytest.mark.parametrize("method, path", [("GET", "/registries/ping"), ("PATCH", "/registries/1"),
                                          ("DELETE", "/registries"), ("POST", "/replication/adapters"),
                                          ("PUT", "/ping")])
def test_wrong_methods_are_json_405s(api, make_registry, method, path):
    make_registry(name="one")

    response = api.send(method, path, {})

    harbor_error(response, 405, "METHOD_NOT_ALLOWED")


@pytest.mark.parametrize("raw", ["{", "{'name': 'x'}", "nul", b"\xff\xfe{}"])
def test_malformed_json_is_a_422_as_go_swagger_answers(api, raw):
    error = harbor_error(api.post("/registries", raw=raw), 422, "UNPROCESSABLE_ENTITY")

    parse_failure = 'validation failure list:\nparsing registry body from "" failed, because '
    assert error["message"].startswith(parse_failure)


@pytest.mark.parametrize("raw", ["", "null"])
def test_a_missing_body_is_a_422(api, raw):
    error = harbor_error(api.post("/registries", raw=raw), 422, "UNPROCESSABLE_ENTITY")

    assert error["message"] == "validation failure list:\nregistry in body is required"


@pytest.mark.parametrize("body, message", [
    ([], "registry in body must be of type object: \"array\""),
    ({"name": 5}, "name in body must be of type string: \"number\""),
    ({"insecure": "yes"}, "insecure in body must be of type boolean: \"string\""),
    ({"id": "7"}, "id in body must be of type integer: \"string\""),
    ({"credential": "bob:pw"}, "credential in body must be of type object: \"string\""),
    ({"credential": {"access_key": ["a"]}},
     "credential.access_key in body must be of type string: \"array\""),
])
def test_wrong_json_types_are_422s(api, body, message):
    error = harbor_error(api.post("/registries", body), 422, "UNPROCESSABLE_ENTITY")

    assert error["message"] == "validation failure list:\n" + message


def test_deeply_nested_json_is_a_422_not_a_500(api):
    raw = "[" * 100_000 + "]" * 100_000

    harbor_error(api.post("/registries", raw=raw), 422, "UNPROCESSABLE_ENTITY")
    harbor_error(api.put("/registries/1", raw='{"x": ' + raw + "}"), 422, "UNPROCESSABLE_ENTITY")


def test_a_body_that_is_not_json_is_a_415(api):
    harbor_error(api.post("/registries", raw="name=x", content_type="application/x-www-form-urlencoded"),
                 415, "UNSUPPORTED_MEDIA_TYPE")


def test_a_body_in_another_charset_is_refused_in_harbors_shape(api):
    response = api.post("/registries", raw="{}", content_type="application/json; charset=latin-1")

    assert "UTF-8" in harbor_error(response, 400, "BAD_REQUEST")["message"]


def test_a_huge_body_is_a_413(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = api.post("/registries", {"name": "x" * 2000})

    harbor_error(response, 413, "REQUEST_ENTITY_TOO_LARGE")


def test_get_and_delete_tolerate_a_json_content_type_without_a_body(api, make_registry):
    registry = make_registry(name="one")

    assert api.get("/registries", CONTENT_TYPE="application/json").status_code == 200
    assert api.delete(f"/registries/{registry.pk}").status_code == 200


def test_any_accept_header_gets_json(api):
    for accept in ("text/html", "application/xml", "*/*", "text/plain"):
        response = api.get("/registries", HTTP_ACCEPT=accept)
        assert response.status_code == 200 and response["Content-Type"].startswith("application/json"), accept


def test_an_unknown_host_is_a_json_400(api):
    response = api.get("/registries", HTTP_HOST="evil.example")

    harbor_error(response, 400, "BAD_REQUEST")


def test_a_bug_is_harbors_500_without_details(api, monkeypatch, caplog):
    from api import views

    def explode(*args, **kwargs):
        raise RuntimeError("boom with details")

    monkeypatch.setattr(views, "registry_json", explode)
    api.client.raise_request_exception = False
    api.get("/registries")  # no rows: nothing to serialize
    from endpoints.models import Registry

    Registry.objects.create(name="x", provider="docker-registry", url="https://r.example.com")
    response = api.get("/registries")

    error = harbor_error(response, 500, "UNKNOWN")
    assert error["message"] == "internal server error"
    assert "boom" not in response.content.decode()
    assert "boom with details" in caplog.text  # the log has it


def test_error_bodies_end_with_a_newline_as_harbors_do(anonymous_api):
    response = anonymous_api.get("/registries")

    assert response.content.endswith(b"\n")
    assert json.loads(response.content)


def test_a_compressed_error_keeps_its_message_and_diagnosis(api, recording_registry):
    """harborapi (httpx) and harbor-api-client ask for gzip: a large error body is then
    compressed, and must still reach the client as the error it was (found by hand with
    harborapi: an unhealthy ping answered only "bad request")."""
    import gzip

    response = api.post("/registries/ping", {"type": "docker-registry", "url": recording_registry.url,
                                             "access_key": "ci", "access_secret": "wrong"},
                        HTTP_ACCEPT_ENCODING="gzip")

    assert response.status_code == 400 and response["Content-Type"].startswith("application/json")
    compressed = response.get("Content-Encoding") == "gzip"
    content = gzip.decompress(response.content) if compressed else response.content
    error = json.loads(content)["errors"][0]
    assert error["message"].startswith("the registry is unhealthy: auth: ")
    assert error["verdict"]["steps"]
