"""Test Connection for the GitHub GHCR provider against an emulated ghcr.io (one TLS server
reached through ENDPOINT_CONNECT_TO): the v2 challenge, the token service at
https://ghcr.io/token with Basic user:PAT, then /v2/ with the token. Also where the
provider shows up: the form, the admin, the proxy-cache list, the API and the CLI."""

from __future__ import annotations

import base64
import json
import socket
import subprocess
import threading

import pytest

from endpoints.providers import proxy_cache_provider_keys
from tests.fixtures import cli
from tests.fixtures.emulators import Reply
from tests.fixtures.ghcr_emulator import HOST, REALM, GhcrEmulator
from tests.fixtures.probing import check, failed_step, shown, step_named
from tests.fixtures.registry_servers import free_port

pytestmark = pytest.mark.django_db

URL = "https://ghcr.io"
V2 = f"{URL}/v2/"
PAT = "ghp_EmulatedClassicTokenForOctocat0001"


@pytest.fixture
def ghcr(emulate) -> GhcrEmulator:
    remote = GhcrEmulator()
    remote.server = emulate([HOST], remote)
    return remote


def check_ghcr(ghcr: GhcrEmulator, username: str = "", password: str = "", url: str = URL):
    assert ghcr.server is not None
    return check(url, username, password, provider="github-ghcr", ca_pem=ghcr.server.ca_pem)



# --- the check over the wire ---


def test_it_gets_a_token_with_the_pat_then_authenticates_at_v2(ghcr):
    verdict = check_ghcr(ghcr, "octocat", PAT)

    assert verdict.ok and verdict.category == "ok", verdict.as_json()
    assert verdict.summary == f"Authenticated as octocat via token service {REALM}."
    assert verdict.warnings == []
    assert step_named(verdict, f"GET {V2}").detail == "HTTP 401, Bearer challenge."
    assert step_named(verdict, f"Token from {REALM}").detail == "Token issued for service ghcr.io."
    assert step_named(verdict, f"GET {V2} (authenticated)").detail == "HTTP 200."
    # Over the wire: the challenge, Basic user:PAT at the token service (never at /v2/),
    # then the token ghcr.io issued.
    challenge, token, retry = ghcr.to()
    assert (challenge.path, "authorization" in challenge.headers) == ("/v2/", False)
    assert token.path == "/token" and token.query == {"service": "ghcr.io"}
    assert token.headers["authorization"] == "Basic " + base64.b64encode(f"octocat:{PAT}".encode()).decode()
    assert retry.headers["authorization"] == f"Bearer {ghcr.issued[0]}"
    text = shown(verdict)
    assert PAT not in text and ghcr.issued[0] not in text


def test_the_user_name_is_case_insensitive_as_on_github(ghcr):
    assert check_ghcr(ghcr, "OctoCat", PAT).ok


@pytest.mark.parametrize("status", [401, 403])
def test_a_wrong_token_is_auth_with_the_scope_hint(ghcr, status):
    ghcr.refusal_status = status

    verdict = check_ghcr(ghcr, "octocat", "ghp_RevokedOrMistypedToken000000000002")

    assert verdict.category == "auth" and not verdict.ok
    step = failed_step(verdict)
    assert step.name == f"Token from {REALM}"
    assert f"answered {status}" in verdict.summary and "“octocat”" in verdict.summary
    assert "personal access token (classic)" in step.hint
    assert "read:packages" in step.hint and "write:packages" in step.hint
    assert "SSO" in step.hint and "not your GitHub password" in step.hint
    assert step.hint in verdict.reason
    assert [r.path for r in ghcr.to()] == ["/v2/", "/token"]  # no /v2/ retry after a refusal
    assert "ghp_RevokedOrMistypedToken000000000002" not in shown(verdict)


def test_the_token_of_another_user_is_refused(ghcr):
    verdict = check_ghcr(ghcr, "hubot", PAT)

    assert verdict.category == "auth"
    assert "“hubot”" in verdict.summary
    assert PAT not in shown(verdict)


def test_anonymous_access_is_healthy_for_public_packages(ghcr):
    verdict = check_ghcr(ghcr)

    assert verdict.ok and verdict.category == "ok", verdict.as_json()
    assert verdict.summary == (f"Reachable anonymously via token service {REALM}: only public "
                               "repositories can be pulled.")
    assert verdict.warnings == ["No credentials: only public repositories can be pulled, and nothing "
                                "can be pushed to this registry."]
    assert step_named(verdict, f"Token from {REALM}").detail == "Anonymous token issued for service ghcr.io."
    assert step_named(verdict, f"GET {V2} (anonymous token)").detail == "HTTP 200."
    assert all("authorization" not in r.headers for r in ghcr.to()[:2])
    assert ghcr.anonymous[0] not in shown(verdict)


def test_a_token_service_refusing_anonymous_tokens_is_auth(ghcr):
    """SPEC §7: without credentials the check asks as an anonymous pull would; a refusal
    means the endpoint cannot pull as configured."""
    ghcr.anonymous_tokens = False

    verdict = check_ghcr(ghcr)

    assert verdict.category == "auth" and verdict.status == "unhealthy"
    assert "requires credentials: anonymous access was refused" in verdict.summary
    step = failed_step(verdict)
    assert step.name == f"Token from {REALM}"
    assert step.hint.startswith("Enter the Access ID and Access Secret")


def test_a_rate_limited_token_service_is_rate_limited(ghcr):
    ghcr.token_reply = Reply(429, {"errors": [{"code": "TOOMANYREQUESTS", "message": "rate limited"}]},
                             {"Retry-After": "60"})

    verdict = check_ghcr(ghcr, "octocat", PAT)

    assert verdict.category == "rate_limited"
    assert failed_step(verdict).name == f"Token from {REALM}"
    assert "429" in verdict.summary and "Retry-After: 60" in verdict.summary
    assert PAT not in shown(verdict)


# --- unreachable ---


def test_an_unreachable_ghcr_io_names_the_host_to_allow(settings):
    settings.ENDPOINT_CONNECT_TO = [f"{HOST}:443:127.0.0.1:{free_port()}"]

    verdict = check(URL, "octocat", PAT, provider="github-ghcr")

    assert verdict.category == "connect"
    step = failed_step(verdict)
    assert step.name == "TCP connect"
    assert "ghcr.io" in step.hint and "firewall" in step.hint and "HTTPS_PROXY" in step.hint
    assert "Endpoint URL" not in step.hint  # the URL is fixed: nothing to correct there
    assert PAT not in shown(verdict)


def refusing_proxy(seen: list[str]):
    """An HTTP proxy that refuses every CONNECT with 403, as a locked-down egress proxy does."""

    def behaviour(conn: socket.socket, stopping: threading.Event) -> None:
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = conn.recv(4096)
            if not chunk:
                return
            request += chunk
        seen.append(request.split(b"\r\n", 1)[0].decode())
        conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        conn.close()

    return behaviour


def test_a_proxy_refusing_ghcr_io_is_named_as_the_cause(serve_raw, monkeypatch):
    """Harbor #21979: `Get "https://ghcr.io/v2/": Forbidden` was the egress proxy's answer
    to CONNECT, and Harbor called the registry unhealthy without saying so."""
    seen: list[str] = []
    proxy = serve_raw(refusing_proxy(seen))
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)

    verdict = check(URL, provider="github-ghcr")

    assert verdict.category == "connect"
    assert verdict.summary == "The proxy 127.0.0.1 did not relay the request to ghcr.io:443."
    assert [line.rsplit(" ", 1)[0] for line in seen] == ["CONNECT ghcr.io:443"]
    assert "ghcr.io" in failed_step(verdict).hint and "proxy" in failed_step(verdict).hint


# --- input, before any request ---


@pytest.mark.parametrize(
    ("username", "secret", "url", "expected"),
    [
        ("octocat", PAT, "https://ghcr.io/octocat/app", "URL is fixed: enter https://ghcr.io"),
        ("octocat", PAT, "https://docker.pkg.github.com", "URL is fixed: enter https://ghcr.io"),
        ("octocat", "github_pat_11AAAAAAA0EmulatedFineGrained", URL, "personal access token (classic)"),
        ("octocat@example.com", PAT, URL, "not the e-mail address"),
        ("", PAT, URL, "Enter the Access ID that goes with this secret"),
    ],
    ids=["repository-url", "old-docker-pkg-url", "fine-grained-token", "e-mail", "no-user"],
)
def test_wrong_input_stops_before_any_request(ghcr, username, secret, url, expected):
    verdict = check_ghcr(ghcr, username, secret, url)

    assert verdict.category == "invalid"
    assert failed_step(verdict).name == "Check input"
    assert expected in verdict.summary
    assert ghcr.server.requests == []
    assert secret not in shown(verdict)


# --- where the provider appears ---


def test_it_appears_in_the_form_admin_and_proxy_cache_list(owner_client):
    page = owner_client.get("/registries/new/?provider=github-ghcr").content.decode()
    assert '<option value="github-ghcr"' in page and ">GitHub GHCR</option>" in page
    assert 'name="url" value="https://ghcr.io"' in page
    assert "read:packages" in page and "GitHub GHCR endpoints can back a proxy-cache project." in page

    admin = owner_client.get("/admin/endpoints/registry/add/").content.decode()
    assert '<option value="github-ghcr">GitHub GHCR</option>' in admin

    assert "github-ghcr" in proxy_cache_provider_keys()


def test_the_api_describes_it_with_harbors_fixed_pattern(client, owner):
    basic = "Basic " + base64.b64encode(b"owner:pw-owner").decode()

    adapters = client.get("/api/v2.0/replication/adapters", HTTP_AUTHORIZATION=basic).json()
    infos = client.get("/api/v2.0/replication/adapterinfos", HTTP_AUTHORIZATION=basic).json()

    assert "github-ghcr" in adapters
    assert infos["github-ghcr"] == {"endpoint_pattern": {
        "endpoint_type": "EndpointPatternTypeFix",
        "endpoints": [{"key": "ghcr.io", "value": "https://ghcr.io"}]}}


# --- the CLI, in its own process ---


def ping_endpoint(ghcr: GhcrEmulator, settings, tmp_path, *args: str, secret: str | None = None,
                  ) -> subprocess.CompletedProcess:
    """`manage.py ping_endpoint --provider github-ghcr ...` with the emulator's CA, and
    ENDPOINT_CONNECT_TO in its environment as an operator would set it."""
    assert ghcr.server is not None
    return cli.ping_endpoint(tmp_path, "github-ghcr", URL, *args, secret=secret, ca_pem=ghcr.server.ca_pem,
                             ENDPOINT_CONNECT_TO=",".join(settings.ENDPOINT_CONNECT_TO))


def test_ping_endpoint_exits_0_when_healthy_and_1_for_a_wrong_token(ghcr, settings, tmp_path):
    healthy = ping_endpoint(ghcr, settings, tmp_path, "--access-id", "octocat", secret=PAT)
    refused = ping_endpoint(ghcr, settings, tmp_path, "--access-id", "octocat", "--json",
                            secret="ghp_RevokedOrMistypedToken000000000002")

    assert healthy.returncode == 0, healthy.stdout + healthy.stderr
    assert healthy.stdout.splitlines()[-1].startswith(
        f"Connection tested successfully. Authenticated as octocat via token service {REALM}.")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert json.loads(refused.stdout)["category"] == "auth"
    for result in (healthy, refused):
        assert PAT not in result.stdout + result.stderr
        assert "ghp_RevokedOrMistypedToken000000000002" not in result.stdout + result.stderr
