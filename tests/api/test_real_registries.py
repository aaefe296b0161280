"""The API against real registries (Debian's docker-registry: htpasswd Basic, Bearer tokens
from a token service, TLS with a private CA): what Harbor's clients do, end to end."""

import pytest

from endpoints.models import Registry
from tests.api.conftest import harbor_error

pytestmark = [pytest.mark.registry, pytest.mark.django_db]


def create(api, name: str, server, **extra):
    return api.post("/registries", {"name": name, "type": "docker-registry", "url": server.url,
                                    "credential": {"type": "basic", "access_key": server.username,
                                                   "access_secret": server.password}, **extra})


@pytest.mark.parametrize("fixture", ["registry_basic", "registry_token"])
def test_create_ping_read_and_delete_a_real_registry(api, request, fixture):
    server = request.getfixturevalue(fixture)

    created = create(api, fixture, server)
    assert created.status_code == 201, created.content
    path = created["Location"]
    pk = int(path.rsplit("/", 1)[1])

    assert api.post("/registries/ping", {"id": pk}).status_code == 200
    body = api.get(path).json()
    assert body["status"] == "healthy" and body["status_category"] == "ok"
    assert body["credential"] == {"type": "basic", "access_key": "ci", "access_secret": "*****"}
    assert api.delete(path).status_code == 200 and not Registry.objects.exists()


def test_a_real_registry_refusing_the_password_is_harbors_400_with_the_diagnosis(api, registry_token):
    response = api.post("/registries", {"name": "wrong", "type": "docker-registry", "url": registry_token.url,
                                        "credential": {"access_key": "ci", "access_secret": "not-it"}})

    error = harbor_error(response, 400, "BAD_REQUEST")
    assert error["message"].startswith("the registry is unhealthy: auth: ")
    assert error["verdict"]["steps"][-1]["hint"]


def test_tls_with_the_ca_given_and_the_mask_sent_back(api, registry_tls):
    created = create(api, "tls", registry_tls, ca_certificate=registry_tls.ca_pem)
    assert created.status_code == 201, created.content
    path = created["Location"].removeprefix("/api/v2.0")

    got = api.get(path).json()
    assert got["ca_certificate"] == registry_tls.ca_pem
    # goharbor/harbor-cli's update: everything read back, the mask included, plus a change.
    update = {"name": got["name"], "description": "behind our own CA", "url": got["url"],
              "credential_type": "basic", "access_key": got["credential"]["access_key"],
              "access_secret": got["credential"]["access_secret"], "insecure": False}
    assert api.put(path, update).status_code == 200
    assert api.post("/registries/ping", {"id": got["id"]}).status_code == 200  # the secret was kept
    # Without the CA the certificate is not trusted: the test says so and nothing changes.
    error = harbor_error(api.put(path, {"ca_certificate": "", "access_secret": registry_tls.password}), 400,
                         "BAD_REQUEST")
    assert error["message"].startswith("the registry is unhealthy: tls: ")
    assert api.get(path).json()["ca_certificate"] == registry_tls.ca_pem
