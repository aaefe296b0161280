"""harborapi 0.26.2 (PyPI, unioslo) against harborreg over real sockets (live_server) and a
real docker-registry: list across pages by following Link, create, get, update (the secret
kept with *****, absent or null; cleared with ""), ping by id and inline, a referenced
delete (412 naming the rule), delete, adapters, providers; a viewer and a view-only robot
get 403 on writes, a robot with add creates and the change log names it."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.admin.models import ADDITION, LogEntry
from harborapi import HarborClient
from harborapi.exceptions import BadRequest, Forbidden, NotFound, PreconditionFailed, Unauthorized
from harborapi.models import Registry as HarborRegistry
from harborapi.models import RegistryCredential, RegistryPing, RegistryUpdate

from endpoints.models import Registry
from tests.api.conftest import sent_secret

pytestmark = [pytest.mark.registry, pytest.mark.django_db(transaction=True)]


class client:  # noqa: N801 (used like the client it wraps)
    """harborapi's HarborClient in a thread of its own. It drives asyncio's
    run_until_complete in the calling thread, which fails while that thread already runs a
    loop, as it does after any Playwright test in the same session."""

    def __init__(self, url: str, username: str, secret: str) -> None:
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="harborapi")
        self._client = self._thread.submit(HarborClient, url=url, username=username, secret=secret).result()

    def __getattr__(self, name: str):
        method = getattr(self._client, name)
        return lambda *args, **kwargs: self._thread.submit(method, *args, **kwargs).result()


def new(name: str, server, secret: str | None = None) -> HarborRegistry:
    return HarborRegistry(name=name, type="docker-registry", url=server.url, credential=RegistryCredential(
        type="basic", access_key=server.username or "ci", access_secret=secret or server.password))


def number(location: str) -> int:
    return int(location.rsplit("/", 1)[1])


def test_create_list_three_pages_get_ping_delete(harbor_url, owner, registry_basic, make_bulk, make_rule):
    harbor = client(harbor_url, "owner", "pw-owner")

    location = harbor.create_registry(new("hub-mirror", registry_basic))
    assert location.startswith("/api/v2.0/registries/")
    pk = number(location)
    make_bulk("hub-bulk", 24)

    listed = harbor.get_registries(query="name=~hub-", page_size=10)  # 25 rows: 3 pages through Link
    assert len(listed) == 25 and len({r.id for r in listed}) == 25
    assert len(harbor.get_registries(page_size=10, sort="name", limit=12)) == 12

    got = harbor.get_registry(pk)
    assert (got.name, got.type, got.status) == ("hub-mirror", "docker-registry", "healthy")
    assert got.credential.access_key == "ci" and got.credential.access_secret == "*****"
    assert got.creation_time is not None

    harbor.check_registry_status(RegistryPing(id=pk))
    harbor.check_registry_status(RegistryPing(type="docker-registry", url=registry_basic.url, access_key="ci",
                                              access_secret=registry_basic.password))
    with pytest.raises(BadRequest) as unhealthy:
        harbor.check_registry_status(RegistryPing(id=pk, access_secret="not-it"))
    assert unhealthy.value.errors[0].message.startswith("the registry is unhealthy: auth: ")

    make_rule("nightly", source=Registry.objects.get(pk=pk))
    with pytest.raises(PreconditionFailed) as referenced:
        harbor.delete_registry(pk)
    assert referenced.value.errors[0].code == "PRECONDITION"
    assert "replication rule “nightly”" in referenced.value.errors[0].message
    other = Registry.objects.get(name="hub-bulk-00").pk
    harbor.delete_registry(other)
    with pytest.raises(NotFound):
        harbor.get_registry(other)

    assert "docker-registry" in harbor.get_registry_adapters()
    providers = harbor.get_registry_providers()
    assert providers.root["docker-hub"].endpoint_pattern.endpoint_type == "EndpointPatternTypeFix"
    info = harbor.get_registry_info(pk)
    assert info.type == "docker-registry" and "manual" in info.supported_triggers
    assert harbor.ping() == "Pong"


@pytest.mark.parametrize("kept", ["*****", "absent", "null"])
def test_an_update_keeps_the_stored_secret(harbor_url, owner, recording_registry, kept):
    harbor = client(harbor_url, "owner", "pw-owner")
    pk = number(harbor.create_registry(new("recorded", recording_registry)))
    before = Registry.objects.get(pk=pk).access_secret_encrypted
    update = {"*****": RegistryUpdate(description="d", access_secret="*****"),
              "absent": RegistryUpdate(description="d"),
              "null": RegistryUpdate(description="d", access_secret=None)}[kept]

    harbor.update_registry(pk, update)
    recording_registry.clear()
    harbor.check_registry_status(RegistryPing(id=pk))

    assert Registry.objects.get(pk=pk).access_secret_encrypted == before
    assert harbor.get_registry(pk).description == "d"
    assert sent_secret(recording_registry) == ["ci-pass"]  # the stored secret went over the wire


def test_an_empty_secret_clears_it(harbor_url, owner, registry_open):
    harbor = client(harbor_url, "owner", "pw-owner")
    pk = number(harbor.create_registry(new("open", registry_open, secret="something")))

    harbor.update_registry(pk, RegistryUpdate(access_secret=""))

    assert not Registry.objects.get(pk=pk).has_secret
    assert harbor.get_registry(pk).credential.access_secret is None


def test_viewer_and_view_only_robot_get_403_on_writes(harbor_url, viewer, robots, make_registry):
    pk = make_registry(name="seen").pk
    for username, secret in (("viewer", "pw-viewer"), robots["reader"]):
        harbor = client(harbor_url, username, secret)
        assert [r.name for r in harbor.get_registries()] == ["seen"]
        for write in (lambda h: h.create_registry(HarborRegistry(name="x", type="docker-registry",
                                                                 url="https://r.example")),
                      lambda h: h.update_registry(pk, RegistryUpdate(description="x")),
                      lambda h: h.delete_registry(pk)):
            with pytest.raises(Forbidden) as refused:
                write(harbor)
            assert refused.value.errors[0].message.startswith(f"{username}: ")
    assert Registry.objects.get(pk=pk).description == ""


def test_a_robot_with_add_creates_and_the_change_log_names_it(harbor_url, robots, registry_basic):
    name, secret = robots["writer"]
    location = client(harbor_url, name, secret).create_registry(new("by-robot", registry_basic))

    entry = LogEntry.objects.get(object_id=str(number(location)), action_flag=ADDITION)
    assert entry.user.username == "robot$writer"
    with pytest.raises(Unauthorized):
        client(harbor_url, name, secret + "x").get_registries()
