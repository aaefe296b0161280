"""Test Connection for the DTR provider (Docker Trusted Registry / Mirantis Secure Registry
2.x-3.x) against an emulated DTR over TLS: DTR's own health check `/_ping` first (so an
address that is not a DTR's is caught, with the fix named), the registry v2 flow, then the
DTR API (`/api/v0/repositories`) that Harbor's DTR adapter lists repositories with. Also
where the provider shows up: the form, the admin, the API and the CLI."""

from __future__ import annotations

import base64
import json
import socket
import subprocess

import pytest

from endpoints.providers import proxy_cache_provider_keys
from tests.fixtures import cli
from tests.fixtures.dtr_emulator import HOST, DtrEmulator
from tests.fixtures.emulators import Reply
from tests.fixtures.probing import check, failed_step, shown, step_named

pytestmark = pytest.mark.django_db

URL = f"https://{HOST}"
V2 = f"{URL}/v2/"
REALM = f"{URL}/auth/token"
PING = f"{URL}/_ping"
API = f"{URL}/api/v0/repositories?pageSize=1&count=false"
PASSWORD = "Dtr-password-for-jack-1"
ACCESS_TOKEN = "6a1f3c2e-4b5d-4e8f-9a0b-1c2d3e4f5a6b"


@pytest.fixture
def dtr(emulate) -> DtrEmulator:
    remote = DtrEmulator()
    remote.server = emulate([remote.host], remote)
    return remote


def check_dtr(dtr: DtrEmulator, username: str = "", password: str = "", url: str = URL):
    assert dtr.server is not None
    return check(url, username, password, provider="dtr", ca_pem=dtr.server.ca_pem)


def basic(user: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()


# --- the check over the wire ---


@pytest.mark.parametrize("secret", [PASSWORD, ACCESS_TOKEN], ids=["password", "access-token"])
def test_it_pings_dtr_then_authenticates_then_lists_through_the_api(dtr, secret):
    verdict = check_dtr(dtr, "jack", secret)

    assert verdict.ok and verdict.category == "ok", verdict.as_json()
    assert verdict.summary == (f"Authenticated as jack via token service {REALM}. The DTR API "
                               f"({URL}/api/v0) lists repositories for jack.")
    assert verdict.warnings == []
    assert step_named(verdict, f"GET {PING}").detail == "DTR replica healthy."
    assert step_named(verdict, f"Token from {REALM}").ok
    assert step_named(verdict, "DTR API").detail == "HTTP 200, repositories listed."
    # Over the wire: /_ping without credentials, the token flow, then the API with Basic.
    ping, challenge, token, retry, api = dtr.to()
    assert (ping.path, "authorization" in ping.headers) == ("/_ping", False)
    assert (challenge.path, "authorization" in challenge.headers) == ("/v2/", False)
    assert token.path == "/auth/token" and token.query == {"service": HOST}
    assert token.headers["authorization"] == basic("jack", secret)
    assert retry.headers["authorization"] == f"Bearer {dtr.issued[0]}"
    assert api.path == "/api/v0/repositories" and api.query == {"pageSize": "1", "count": "false"}
    assert api.headers["authorization"] == basic("jack", secret)
    assert secret not in shown(verdict) and dtr.issued[0] not in shown(verdict)


def test_a_wrong_password_is_auth_with_dtr_advice(dtr):
    verdict = check_dtr(dtr, "jack", "wrong-Dtr-password-2")

    assert verdict.category == "auth" and not verdict.ok
    step = failed_step(verdict)
    assert step.name == f"Token from {REALM}"
    assert "answered 401" in verdict.summary and "“jack”" in verdict.summary
    assert "access token" in step.hint and "docker login" in step.hint
    assert [r.path for r in dtr.to()] == ["/_ping", "/v2/", "/auth/token"]  # no API call after it
    assert "wrong-Dtr-password-2" not in shown(verdict)


def test_anonymous_access_is_auth_when_the_dtr_api_wants_a_login(dtr):
    """DTR issues anonymous registry tokens, but Harbor's adapter lists repositories through
    the API, which refuses anonymous callers: replication could not start (SPEC §7)."""
    verdict = check_dtr(dtr)

    assert verdict.category == "auth" and verdict.status == "unhealthy", verdict.as_json()
    assert "requires credentials: anonymous access was refused" in verdict.summary
    step = failed_step(verdict)
    assert step.name == "DTR API"
    assert step.hint.startswith("Enter the Access ID and Access Secret")
    assert all("authorization" not in r.headers for r in dtr.to() if r.path != "/v2/")


def test_anonymous_access_is_healthy_when_the_dtr_api_allows_it(dtr):
    dtr.anonymous_api = True

    verdict = check_dtr(dtr)

    assert verdict.ok, verdict.as_json()
    assert "only public repositories can be pulled" in verdict.summary
    assert "lists repositories anonymously" in verdict.summary
    assert any("only public repositories" in warning for warning in verdict.warnings)


def test_an_unhealthy_replica_is_a_provider_failure_naming_the_service(dtr):
    dtr.unhealthy = "rethinkdb: connection refused"

    verdict = check_dtr(dtr, "jack", PASSWORD)

    assert verdict.category == "provider"
    step = failed_step(verdict)
    assert step.name == f"GET {PING}"
    assert "reports itself unhealthy" in verdict.summary
    assert "rethinkdb: connection refused" in verdict.summary
    assert "RethinkDB" in step.hint
    assert [r.path for r in dtr.to()] == ["/_ping"]


def test_a_rate_limiting_load_balancer_is_rate_limited(dtr):
    dtr.ping_reply = Reply(429, "Too Many Requests", {"Retry-After": "30"})

    verdict = check_dtr(dtr, "jack", PASSWORD)

    assert verdict.category == "rate_limited"
    assert failed_step(verdict).name == f"GET {PING}"
    assert "Retry-After: 30" in verdict.summary


def test_an_unreachable_dtr_is_connect(settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    settings.ENDPOINT_CONNECT_TO = [f"{HOST}:443:127.0.0.1:{closed}"]

    verdict = check(URL, "jack", PASSWORD, provider="dtr")

    assert verdict.category == "connect"
    assert failed_step(verdict).name == "TCP connect"
    assert PASSWORD not in shown(verdict)


# --- a wrong URL form: caught by /_ping, with the fix named ---


def test_a_page_path_in_the_url_is_not_dtr_and_the_hint_gives_the_address(dtr):
    verdict = check_dtr(dtr, "jack", PASSWORD, url=f"{URL}/repositories/jack/app/info")

    assert verdict.category == "not_registry"
    step = failed_step(verdict)
    assert step.name == f"GET {URL}/repositories/jack/app/info/_ping"
    assert step.hint.startswith(f"Enter the DTR address without a path: {URL}.")
    assert [r.path for r in dtr.to()] == ["/repositories/jack/app/info/_ping"]
    assert all("authorization" not in r.headers for r in dtr.to())


def test_a_plain_registry_is_not_dtr_and_the_hint_names_the_other_providers(emulate):
    plain = emulate(["registry.example.test"],
                    lambda request: Reply(404, "404 page not found\n", {"Content-Type": "text/plain"}))

    verdict = check("https://registry.example.test", "jack", PASSWORD, provider="dtr", ca_pem=plain.ca_pem)

    assert verdict.category == "not_registry"
    assert "answered 404" in verdict.summary and "not a DTR" in verdict.summary
    hint = failed_step(verdict).hint
    assert "Docker Registry provider" in hint and "Harbor provider" in hint and "MKE" in hint
    assert [r.path for r in plain.requests] == ["/_ping"]


def test_the_mke_address_is_not_dtr(emulate):
    """MKE/UCP answers its own /_ping with a plain "OK", not DTR's health JSON."""
    mke = emulate(["mke.example.test"], lambda request: Reply(200, "OK", {"Content-Type": "text/plain"}))

    verdict = check("https://mke.example.test", "jack", PASSWORD, provider="dtr", ca_pem=mke.ca_pem)

    assert verdict.category == "not_registry"
    assert "not DTR's health answer" in verdict.summary
    assert "MKE" in failed_step(verdict).hint


@pytest.mark.parametrize("path", ["/api/v0", "/api/v0/repositories", "/enzi/v0/accounts", "/v2/jack/app"])
def test_an_api_path_stops_at_input(dtr, path):
    verdict = check_dtr(dtr, "jack", PASSWORD, url=URL + path)

    assert verdict.category == "invalid"
    assert failed_step(verdict).name == "Check input"
    assert URL in verdict.summary
    assert dtr.server.requests == []


# --- where the provider appears ---


def test_it_appears_in_the_form_and_admin_but_not_in_the_proxy_cache_list(owner_client):
    page = owner_client.get("/registries/new/?provider=dtr").content.decode()
    assert '<option value="dtr"' in page and ">DTR / Mirantis Secure Registry</option>" in page
    assert "access token" in page
    assert "DTR / Mirantis Secure Registry endpoints cannot back a proxy-cache project" in page

    admin = owner_client.get("/admin/endpoints/registry/add/").content.decode()
    assert '<option value="dtr">DTR / Mirantis Secure Registry</option>' in admin

    assert "dtr" not in proxy_cache_provider_keys()


def test_the_api_lists_it_without_an_adapter_pattern_as_harbor_does(client, owner):
    auth = basic("owner", "pw-owner")

    adapters = client.get("/api/v2.0/replication/adapters", HTTP_AUTHORIZATION=auth).json()
    infos = client.get("/api/v2.0/replication/adapterinfos", HTTP_AUTHORIZATION=auth).json()

    assert "dtr" in adapters
    assert "dtr" not in infos


# --- the CLI, in its own process ---


def ping_endpoint(dtr: DtrEmulator, settings, tmp_path, *args: str, secret: str | None = None,
                  ) -> subprocess.CompletedProcess:
    """`manage.py ping_endpoint --provider dtr ...` with the emulator's CA, and
    ENDPOINT_CONNECT_TO in its environment as an operator would set it."""
    assert dtr.server is not None
    return cli.ping_endpoint(tmp_path, "dtr", URL, *args, secret=secret, ca_pem=dtr.server.ca_pem,
                             ENDPOINT_CONNECT_TO=",".join(settings.ENDPOINT_CONNECT_TO))


def test_ping_endpoint_exits_0_when_healthy_and_1_for_a_wrong_password(dtr, settings, tmp_path):
    healthy = ping_endpoint(dtr, settings, tmp_path, "--access-id", "jack", secret=ACCESS_TOKEN)
    refused = ping_endpoint(dtr, settings, tmp_path, "--access-id", "jack", "--json",
                            secret="wrong-Dtr-password-2")

    assert healthy.returncode == 0, healthy.stdout + healthy.stderr
    assert healthy.stdout.splitlines()[-1].startswith(
        f"Connection tested successfully. Authenticated as jack via token service {REALM}.")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert json.loads(refused.stdout)["category"] == "auth"
    for result in (healthy, refused):
        assert ACCESS_TOKEN not in result.stdout + result.stderr
        assert "wrong-Dtr-password-2" not in result.stdout + result.stderr
