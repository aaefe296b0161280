"""Test Connection for the Docker Hub provider against emulated hub.docker.com,
registry-1.docker.io and auth.docker.io (one TLS server, ENDPOINT_CONNECT_TO)."""

from __future__ import annotations

import base64
import socket

import pytest

from tests.fixtures.docker_hub_emulator import (
    AUTH_HOST,
    HOSTS,
    HUB_HOST,
    REALM,
    REGISTRY_HOST,
    DockerHubEmulator,
)
from tests.fixtures.emulators import Reply
from tests.fixtures.probing import check, failed_step, shown, step_named

pytestmark = pytest.mark.django_db

URL = "https://hub.docker.com"
V2 = f"https://{REGISTRY_HOST}/v2/"


@pytest.fixture
def hub(emulate) -> DockerHubEmulator:
    docker_hub = DockerHubEmulator()
    docker_hub.server = emulate(HOSTS, docker_hub)
    return docker_hub


def check_hub(hub: DockerHubEmulator, username: str = "", password: str = "", *, verify: bool = True):
    assert hub.server is not None
    return check(URL, username, password, provider="docker-hub", verify=verify,
                 ca_pem=hub.server.ca_pem if verify else "")


def test_it_logs_in_then_authenticates_at_the_registry_with_a_personal_access_token(hub):
    verdict = check_hub(hub, "jack", hub.personal_access_token)

    assert verdict.ok and verdict.category == "ok", verdict.as_json()
    assert verdict.summary == f"Authenticated as jack via token service {REALM}."
    assert step_named(verdict, "Docker Hub login").detail == "Logged in as jack."
    assert step_named(verdict, f"GET {V2} (authenticated)").ok
    # Over the wire: the login's JSON, then the registry's own token flow with Basic.
    (login,) = hub.to(HUB_HOST)
    assert login.method == "POST" and login.path == "/v2/auth/token"
    assert login.headers["content-type"] == "application/json"
    assert login.json() == {"identifier": "jack", "secret": hub.personal_access_token}
    token, budget_token = hub.to(AUTH_HOST)  # the second reads the pull budget (tests/monitor)
    assert token.query == {"service": "registry.docker.io"}
    assert budget_token.query["scope"] == "repository:ratelimitpreview/test:pull"
    basic = base64.b64encode(f"jack:{hub.personal_access_token}".encode()).decode()
    assert token.headers["authorization"] == f"Basic {basic}"
    assert hub.to(REGISTRY_HOST)[-2].headers["authorization"] == f"Bearer {hub.registry_tokens[0]}"
    text = shown(verdict)
    assert hub.personal_access_token not in text
    assert hub.hub_tokens[0] not in text and hub.registry_tokens[0] not in text


def test_it_says_auth_at_the_login_step_and_never_reaches_the_registry(hub):
    verdict = check_hub(hub, "jack", "wrong-Hub-password-2")

    assert verdict.category == "auth"
    step = failed_step(verdict)
    assert step.name == "Docker Hub login"
    assert "it rejected the Docker ID or password/access token" in verdict.summary
    assert "“jack”" in step.hint and "personal access token" in step.hint
    assert hub.to(REGISTRY_HOST) == [] and hub.to(AUTH_HOST) == []
    assert "wrong-Hub-password-2" not in shown(verdict)


def test_it_reports_anonymous_access_healthy_with_an_anonymous_token(hub):
    verdict = check_hub(hub)

    assert verdict.ok and verdict.category == "ok", verdict.as_json()
    assert verdict.summary.startswith(f"Reachable anonymously via token service {REALM}")
    assert "public images only" in verdict.summary
    assert verdict.warnings == ["No credentials: only public repositories can be pulled, and nothing "
                                "can be pushed to this registry."]
    assert step_named(verdict, f"Token from {REALM}").ok
    assert step_named(verdict, f"GET {V2} (anonymous token)").detail == "HTTP 200."
    assert hub.to(HUB_HOST) == []  # no login without credentials
    token, budget_token = hub.to(AUTH_HOST)  # the second reads the pull budget (tests/monitor)
    assert "authorization" not in token.headers and "authorization" not in budget_token.headers
    assert hub.registry_tokens[0] not in shown(verdict)


def test_it_says_rate_limited_when_the_login_is_throttled(hub):
    hub.login_reply = Reply(429, {"message": "too many failed login attempts"}, {"Retry-After": "600"})

    verdict = check_hub(hub, "jack", hub.password)

    assert verdict.category == "rate_limited"
    step = failed_step(verdict)
    assert step.name == "Docker Hub login"
    assert "429" in verdict.summary and "Retry-After: 600" in verdict.summary
    assert "wait and test again" in step.hint and "Save anyway" in step.hint
    assert hub.to(REGISTRY_HOST) == []
    assert hub.password not in shown(verdict)


def test_it_still_works_with_verify_remote_cert_off(hub):
    """Harbor #8965: the checkbox was ignored for Docker Hub; here every host honours it."""
    verdict = check_hub(hub, "jack", hub.password, verify=False)

    assert verdict.ok, verdict.as_json()
    assert any("Verify Remote Cert is off" in w and HUB_HOST in w for w in verdict.warnings)
    assert any("Verify Remote Cert is off" in w and REGISTRY_HOST in w for w in verdict.warnings)
    assert hub.password not in shown(verdict)


def test_without_verify_off_and_without_the_ca_the_certificate_is_refused_at_login(hub):
    verdict = check(URL, "jack", hub.password, provider="docker-hub")

    assert verdict.category == "tls"
    assert failed_step(verdict).name == "TLS"
    assert hub.to(HUB_HOST) == []


def test_an_organization_access_token_stops_at_input_without_any_request(hub):
    verdict = check_hub(hub, "acme", "dckr_oat_Org-Token-For-Acme")

    assert verdict.category == "invalid"
    step = failed_step(verdict)
    assert step.name == "Check input"
    assert "Docker Registry provider" in verdict.summary and "https://index.docker.io" in verdict.summary
    assert hub.server.requests == []
    assert "dckr_oat_Org-Token-For-Acme" not in shown(verdict)


def test_an_unreachable_auth_docker_io_fails_the_anonymous_check(emulate, settings):
    """Pulls of public images need auth.docker.io too: a firewall that only lets
    registry-1.docker.io through must not pass as healthy."""
    docker_hub = DockerHubEmulator()
    docker_hub.server = emulate([HUB_HOST, REGISTRY_HOST], docker_hub)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    settings.ENDPOINT_CONNECT_TO = [f"{AUTH_HOST}:443:127.0.0.1:{closed}", *settings.ENDPOINT_CONNECT_TO]

    verdict = check_hub(docker_hub)

    assert verdict.category == "connect"
    assert failed_step(verdict).name == "TCP connect"
    step = step_named(verdict, f"Token from {REALM}")
    assert not step.ok and f"The token service at {REALM} is not reachable" in verdict.summary
    assert step.hint.startswith("This server must reach Docker Hub's fixed hosts")
    assert "auth.docker.io" in step.hint
    assert "firewall" in step.hint and "HTTPS_PROXY" in step.hint
    assert step.hint in verdict.reason


def test_an_open_mirror_in_docker_hubs_place_is_healthy_anonymously(emulate):
    """ENDPOINT_CONNECT_TO may send registry-1.docker.io to a pull-through mirror."""
    open_registry = Reply(200, {}, {"Docker-Distribution-API-Version": "registry/2.0"})
    mirror = emulate([REGISTRY_HOST], lambda request: open_registry)

    verdict = check(URL, provider="docker-hub", ca_pem=mirror.ca_pem)

    assert verdict.ok, verdict.as_json()
    assert verdict.summary == f"Reachable: {V2} answers without authentication."
    assert [r.host for r in mirror.requests] == [REGISTRY_HOST]
