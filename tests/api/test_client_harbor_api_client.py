"""harbor-api-client 2.12.2 (PyPI; swagger-codegen, urllib3) against harborreg over real
sockets and a real docker-registry: the `*_with_http_info` calls' status codes and
headers (201 + Location, 200 without a body, X-Total-Count, Link over three pages), the
secret kept with ***** and cleared with "", a 412 naming the rule, 403 for a viewer and a
view-only robot, JSON errors for bad input."""

import json

import harbor_client as hc
import pytest
from harbor_client.rest import ApiException

from endpoints.models import Registry
from tests.api.conftest import sent_secret

pytestmark = [pytest.mark.registry, pytest.mark.django_db(transaction=True)]


def registry_api(url: str, username: str, password: str) -> hc.RegistryApi:
    config = hc.Configuration()
    config.host, config.username, config.password = url, username, password
    return hc.RegistryApi(hc.ApiClient(config))


def body(server, name: str, secret: str | None = None) -> hc.Registry:
    return hc.Registry(name=name, url=server.url, type="docker-registry", credential=hc.RegistryCredential(
        type="basic", access_key="ci", access_secret=secret or server.password))


def error_of(exc: ApiException) -> dict:
    assert exc.headers["Content-Type"].startswith("application/json")
    return json.loads(exc.body)["errors"][0]


def test_status_codes_and_headers(harbor_url, owner, registry_basic, make_bulk, make_rule):
    api = registry_api(harbor_url, "owner", "pw-owner")

    data, status, headers = api.create_registry_with_http_info(body(registry_basic, "mirror"))
    assert (data, status) == (None, 201) and headers["Location"].startswith("/api/v2.0/registries/")
    pk = int(headers["Location"].rsplit("/", 1)[1])
    make_bulk("mirror-bulk", 22)

    pages = []
    for page in (1, 2, 3):
        rows, status, headers = api.list_registries_with_http_info(q="name=~mirror", page=page, page_size=10)
        assert status == 200 and headers["X-Total-Count"] == "23"
        pages.append((len(rows), headers.get("Link", "")))
    assert [count for count, _ in pages] == [10, 10, 3]
    assert pages[0][1] == '</api/v2.0/registries?page=2&page_size=10&q=name=~mirror>; rel="next"'
    assert ' , ' in pages[1][1] and 'rel="next"' not in pages[2][1]

    got, status, _ = api.get_registry_with_http_info(pk)
    assert status == 200 and got.credential.access_secret == "*****" and got.update_time is not None

    data, status, headers = api.update_registry_with_http_info(pk, hc.RegistryUpdate(description="x",
                                                                                      access_secret="*****"))
    assert (data, status) == (None, 200) and "Content-Type" not in headers
    assert api.ping_registry_with_http_info(hc.RegistryPing(id=pk))[1] == 200
    assert api.ping_registry_with_http_info(hc.RegistryPing(type="docker-registry", url=registry_basic.url,
                                                            access_key="ci",
                                                            access_secret=registry_basic.password))[1] == 200

    make_rule("push", destination=Registry.objects.get(pk=pk))
    with pytest.raises(ApiException) as referenced:
        api.delete_registry_with_http_info(pk)
    assert referenced.value.status == 412
    assert "replication rule “push”" in error_of(referenced.value)["message"]
    other = Registry.objects.get(name="mirror-bulk-00").pk
    assert api.delete_registry_with_http_info(other)[1] == 200
    with pytest.raises(ApiException) as gone:
        api.get_registry(other)
    assert gone.value.status == 404 and error_of(gone.value)["code"] == "NOT_FOUND"

    assert "docker-registry" in api.list_registry_provider_types()
    assert "google-gcr" in api.list_registry_provider_infos()


def test_the_mask_keeps_the_secret_and_an_empty_one_clears_it(harbor_url, owner, recording_registry):
    api = registry_api(harbor_url, "owner", "pw-owner")
    _, _, headers = api.create_registry_with_http_info(body(recording_registry, "recorded"))
    pk = int(headers["Location"].rsplit("/", 1)[1])

    api.update_registry(pk, hc.RegistryUpdate(description="masked", access_secret="*****"))
    recording_registry.clear()
    api.ping_registry(hc.RegistryPing(id=pk))
    assert sent_secret(recording_registry) == ["ci-pass"]

    # "" clears it: the save-time test then goes without it and this registry refuses that.
    with pytest.raises(ApiException) as refused:
        api.update_registry(pk, hc.RegistryUpdate(access_secret=""))
    assert refused.value.status == 400
    assert error_of(refused.value)["message"].startswith("the registry is unhealthy: auth: ")
    assert Registry.objects.get(pk=pk).has_secret  # refused: nothing changed


@pytest.mark.parametrize("who", ["viewer", "robot"])
def test_writes_are_403_for_view_only_accounts(harbor_url, viewer, robots, make_registry, who):
    pk = make_registry(name="seen").pk
    username, password = ("viewer", "pw-viewer") if who == "viewer" else robots["reader"]
    api = registry_api(harbor_url, username, password)

    assert api.list_registries_with_http_info()[1] == 200
    for call in (lambda: api.create_registry(hc.Registry(name="x", type="docker-registry", url="https://r.example")),
                 lambda: api.update_registry(pk, hc.RegistryUpdate(description="x")),
                 lambda: api.delete_registry(pk)):
        with pytest.raises(ApiException) as refused:
            call()
        assert refused.value.status == 403 and error_of(refused.value)["code"] == "FORBIDDEN"


def test_bad_input_answers_json(harbor_url, owner):
    api = registry_api(harbor_url, "owner", "pw-owner")

    for call, status in ((lambda: api.list_registries(q="name=[1~"), 400),
                         (lambda: api.get_registry("abc"), 422),
                         (lambda: api.create_registry(hc.Registry(name="x")), 400),
                         (lambda: api.ping_registry(hc.RegistryPing()), 400)):
        with pytest.raises(ApiException) as refused:
            call()
        assert refused.value.status == status
        assert error_of(refused.value)["message"]
