"""GET /registries and /registries/{id}: Harbor's registry JSON (credential always an object,
the secret as "*****", RFC 3339 times, omitted empties) plus the last check's outcome."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from endpoints.probe.result import Verdict
from tests.api.conftest import RFC3339_MS, harbor_error

pytestmark = pytest.mark.django_db


def test_an_empty_list_is_an_empty_array_with_a_total(api):
    response = api.get("/registries")

    assert response.status_code == 200 and response.json() == []
    assert response["X-Total-Count"] == "0" and "Link" not in response
    assert response["Content-Type"].startswith("application/json")


def test_a_registry_reads_as_harbor_writes_it(api, make_registry):
    hub = make_registry(name="hub", provider="docker-hub", url="https://hub.docker.com", access_id="bob",
                        secret="hub-s3cret")

    body = api.get(f"/registries/{hub.pk}").json()

    assert set(body) == {"id", "name", "url", "type", "credential", "status", "creation_time", "update_time"}
    assert body["id"] == hub.pk and body["name"] == "hub" and body["type"] == "docker-hub"
    assert body["url"] == "https://hub.docker.com"
    assert body["credential"] == {"type": "basic", "access_key": "bob", "access_secret": "*****"}
    assert body["status"] == "unknown"  # never checked: harborreg does not claim health it has not seen
    assert RFC3339_MS.match(body["creation_time"]) and RFC3339_MS.match(body["update_time"])


def test_without_credentials_the_credential_is_an_empty_object(api, make_registry):
    registry = make_registry(name="open")

    assert api.get(f"/registries/{registry.pk}").json()["credential"] == {}


def test_optional_fields_appear_when_set_and_the_ca_round_trips(api, make_registry, registry_ca):
    pem = registry_ca.cert_pem.bytes().decode()
    registry = make_registry(name="own", description="mirror of prod", verify_remote_cert=False,
                             ca_certificate=pem)

    body = api.get(f"/registries/{registry.pk}").json()

    assert body["description"] == "mirror of prod" and body["insecure"] is True
    assert body["ca_certificate"] == pem


def test_the_last_check_rides_along(api, make_registry):
    registry = make_registry(name="checked")
    registry.record_verdict(Verdict(False, "auth", "registry.example.com rejected the credentials.",
                                    reason="registry.example.com rejected the credentials. Check them."))

    body = api.get(f"/registries/{registry.pk}").json()

    assert body["status"] == "unhealthy" and body["status_category"] == "auth"
    assert body["status_detail"] == "registry.example.com rejected the credentials. Check them."
    assert RFC3339_MS.match(body["last_checked_at"])


def test_list_items_have_the_same_shape_as_the_detail(api, make_registry):
    registry = make_registry(name="one", access_id="u", secret="one-secret")

    listed = api.get("/registries").json()

    assert listed == [api.get(f"/registries/{registry.pk}").json()]


def test_an_unknown_id_is_harbors_404(api):
    error = harbor_error(api.get("/registries/99"), 404, "NOT_FOUND")

    assert error["message"] == "registry 99 not found"


def test_id_zero_is_not_a_local_registry_here(api):
    assert harbor_error(api.get("/registries/0"), 404, "NOT_FOUND")["message"] == "registry 0 not found"


@pytest.mark.parametrize("raw", ["abc", "1.5", "99999999999999999999"])
def test_a_non_integer_id_is_a_binding_error(api, raw):
    error = harbor_error(api.get(f"/registries/{raw}"), 422, "UNPROCESSABLE_ENTITY")

    assert error["message"] == f'validation failure list:\nid in path must be of type int64: "{raw}"'


def test_a_page_costs_the_same_queries_whatever_the_number_of_rows(api, make_registry, make_rule):
    for n in range(3):
        make_rule(f"rule{n}", source=make_registry(name=f"a{n}", access_id="u", secret="s"))
    with CaptureQueriesContext(connection) as few:
        assert len(api.get("/registries?page_size=100").json()) == 3
    for n in range(30):
        make_registry(name=f"b{n}")
    with CaptureQueriesContext(connection) as many:
        assert len(api.get("/registries?page_size=100").json()) == 33

    assert len(many) == len(few)
