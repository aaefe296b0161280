"""Requests shaped exactly as terraform-provider-harbor and goharbor's Go CLI (go-client)
send them (reference harbor-api.md §5d–5e), with `requests` over real sockets against a
real docker-registry: what those clients read from each answer, and the status codes they
insist on (201 with a Location path, 200 for PUT, DELETE and ping, never 204)."""

import json
from urllib.parse import quote

import pytest
import requests

from endpoints.models import Registry
from tests.api.conftest import sent_secret

pytestmark = [pytest.mark.registry, pytest.mark.django_db(transaction=True)]


class Terraform:
    """client/client.go SendRequest: Basic auth, Content-Type: application/json always,
    any status but the expected one is an error."""

    def __init__(self, base: str, username: str, password: str) -> None:
        self.base, self.session = base, requests.Session()
        self.session.auth = (username, password)
        self.session.headers["Content-Type"] = "application/json"

    def send(self, method: str, path: str, body=None, expected: int = 200) -> requests.Response:
        data = None if body is None else json.dumps(body)
        response = self.session.request(method, self.base + path, data=data, timeout=30)
        assert response.status_code == expected, (method, path, response.status_code, response.text)
        return response


def terraform_id(response: requests.Response) -> str:
    """GetID: Location[0] with every "/api" and "/v2.0" removed (a missing header panics)."""
    return response.headers["Location"].replace("/api", "").replace("/v2.0", "")


def test_terraform_resource_lifecycle_import_and_data_source(harbor_url, owner, recording_registry,
                                                             make_rule):
    tf = Terraform(harbor_url, "owner", "pw-owner")
    create = {"credential": {"access_key": "ci", "access_secret": "ci-pass", "type": "basic"},
              "name": "tf-main", "url": recording_registry.url, "type": "docker-registry"}

    created = tf.send("POST", "/registries", create, expected=201)
    resource_id = terraform_id(created)
    assert resource_id.startswith("/registries/") and created.content == b""

    # terraform import harbor_registry.main /registries/<n>, then Read
    read = tf.send("GET", resource_id).json()
    assert (read["name"], read["url"]) == ("tf-main", recording_registry.url)
    assert read["credential"]["access_key"] == "ci"
    assert "ca_certificate" not in read and read["status"] == "healthy"

    # Update: RegistryUpdateBody always carries these five, even empty.
    update = {"access_key": "ci", "name": "tf-main", "access_secret": "*****", "url": recording_registry.url,
              "insecure": False, "description": "managed by terraform", "ca_certificate": ""}
    tf.send("PUT", resource_id, update)
    recording_registry.clear()
    tf.send("POST", "/registries/ping", {"id": read["id"]})
    assert sent_secret(recording_registry) == ["ci-pass"]
    tf.send("PUT", resource_id, {**update, "access_secret": "ci-pass"})

    # data "harbor_registry": the deprecated fuzzy name, default page, exact match client-side
    rows = tf.send("GET", f"/registries?name={quote('tf-main')}").json()
    assert [r["id"] for r in rows if r["name"] == "tf-main"] == [read["id"]]

    make_rule("tf-replication", destination=Registry.objects.get(pk=read["id"]))
    refused = tf.send("DELETE", resource_id, expected=412)
    assert "replication rule “tf-replication”" in refused.json()["errors"][0]["message"]
    Registry.objects.get(pk=read["id"]).rules_as_destination.all().delete()
    deleted = tf.send("DELETE", resource_id)
    assert deleted.status_code == 200 and deleted.content == b""
    tf.send("GET", resource_id, expected=404)  # Read then drops it from the state


def test_go_cli_login_lookup_masked_update_and_delete(harbor_url, owner, recording_registry, make_bulk):
    session = requests.Session()
    session.auth = ("owner", "pw-owner")
    # harbor login
    assert session.get(f"{harbor_url}/users/current", timeout=30).json()["username"] == "owner"
    # registry create: go-client's models.Registry, id 0 and zero times included
    created = session.post(f"{harbor_url}/registries", json={
        "id": 0, "creation_time": "0001-01-01T00:00:00.000Z", "update_time": "0001-01-01T00:00:00.000Z",
        "name": "go-main", "type": "docker-registry", "url": recording_registry.url,
        "credential": {"type": "basic", "access_key": "ci", "access_secret": "ci-pass"}}, timeout=30)
    assert created.status_code == 201 and created.headers["Location"].startswith("/api/v2.0/registries/")
    make_bulk("go-bulk", 30)

    # GetRegistryIdByName: every row, unpaginated, fuzzy; the CLI picks the exact name
    lookup = session.get(f"{harbor_url}/registries?name=go-&page=0&page_size=0", timeout=30)
    assert len(lookup.json()) == 31 and lookup.headers["X-Total-Count"] == "31"
    assert "Link" not in lookup.headers
    pk = next(r["id"] for r in lookup.json() if r["name"] == "go-main")

    # registry update: GET, then PUT of every field, the mask copied back
    got = session.get(f"{harbor_url}/registries/{pk}", timeout=30).json()
    put = session.put(f"{harbor_url}/registries/{pk}", json={
        "name": got["name"], "description": "via go cli", "url": got["url"],
        "access_key": got["credential"]["access_key"], "access_secret": got["credential"]["access_secret"],
        "credential_type": got["credential"]["type"], "insecure": False}, timeout=30)
    assert put.status_code == 200 and put.content == b""
    recording_registry.clear()
    assert session.post(f"{harbor_url}/registries/ping", json={"id": pk}, timeout=30).status_code == 200
    assert sent_secret(recording_registry) == ["ci-pass"]

    assert session.delete(f"{harbor_url}/registries/{pk}", timeout=30).status_code == 200


def test_pages_as_the_go_cli_lists_them(harbor_url, owner, make_bulk):
    make_bulk("page", 25)
    session = requests.Session()
    session.auth = ("owner", "pw-owner")

    names = []
    for page in (1, 2, 3):
        response = session.get(f"{harbor_url}/registries?page={page}&page_size=10&sort=name", timeout=30)
        assert int(response.headers["X-Total-Count"]) == 25
        names += [r["name"] for r in response.json()]
    assert names == [f"page-{n:02d}" for n in range(25)]


def test_a_view_only_robot_and_a_viewer_get_403_on_writes(harbor_url, viewer, robots, make_registry):
    pk = make_registry(name="seen").pk
    for auth in (("viewer", "pw-viewer"), robots["reader"]):
        tf = Terraform(harbor_url, *auth)
        tf.send("GET", f"/registries/{pk}")
        for method, path, body in (("POST", "/registries", {"name": "x", "type": "docker-registry",
                                                             "url": "https://r.example"}),
                                   ("PUT", f"/registries/{pk}", {"description": "x"}),
                                   ("DELETE", f"/registries/{pk}", None)):
            refused = tf.send(method, path, body, expected=403)
            assert refused.json()["errors"][0]["code"] == "FORBIDDEN"


@pytest.mark.parametrize("method, path, data, status", [
    ("GET", "/registries?page_size=101", None, 422),
    ("GET", "/registries?q=name=[1~", None, 400),
    ("GET", "/registries/abc", None, 422),
    ("GET", "/registries/999999", None, 404),
    ("POST", "/registries", "{", 422),
    ("POST", "/registries", "[]", 422),
    ("POST", "/registries", '{"name": "x", "type": "nope", "url": "ftp://x"}', 400),
    ("PUT", "/registries/999999", '{"description": "x"}', 404),
    ("POST", "/registries/ping", "{}", 400),
    ("PATCH", "/registries/1", "{}", 405),
    ("GET", "/projects", None, 404),
])
def test_bad_input_is_json_never_html_or_5xx(harbor_url, owner, method, path, data, status):
    response = requests.request(method, harbor_url + path, data=data, auth=("owner", "pw-owner"), timeout=30,
                                headers={"Content-Type": "application/json", "Accept": "text/html"})

    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json()["errors"][0]["message"]
