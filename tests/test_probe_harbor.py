"""Test Connection for the Harbor provider against an emulated remote Harbor 2.x
(`/api/version`, `/v2/`, `/service/token`) over TLS on harbor.example.test."""

from __future__ import annotations

import base64

import pytest

from tests.fixtures.emulators import Reply
from tests.fixtures.harbor_emulator import HARBOR_HOST, HarborEmulator
from tests.fixtures.probing import check, failed_step, shown, step_named
from tests.fixtures.registry_servers import free_port

pytestmark = pytest.mark.django_db

URL = f"https://{HARBOR_HOST}"
VERSION_STEP = f"GET {URL}/api/version"


@pytest.fixture
def harbor(emulate) -> HarborEmulator:
    remote = HarborEmulator()
    remote.server = emulate([HARBOR_HOST], remote)
    return remote


def check_harbor(harbor: HarborEmulator, username: str = "", password: str = "", url: str = URL):
    assert harbor.server is not None
    return check(url, username, password, provider="harbor", ca_pem=harbor.server.ca_pem)



def test_it_authenticates_a_robot_account_through_the_token_service(harbor):
    verdict = check_harbor(harbor, "robot$ci", harbor.password)

    assert verdict.ok and verdict.category == "ok", verdict.as_json()
    assert verdict.summary == (
        f"Authenticated as robot$ci via token service {URL}/service/token (Harbor API v2.0)."
    )
    assert step_named(verdict, VERSION_STEP).detail == "Harbor API v2.0."
    assert step_named(verdict, f"Token from {URL}/service/token").detail == (
        "Token issued for service harbor-registry."
    )
    # Harbor's own sequence: version, probe, token (with Basic), authenticated /v2/.
    assert harbor.paths() == ["/api/version", "/v2/", "/service/token", "/v2/"]
    version, _probe, token, v2 = harbor.server.requests
    basic = "Basic " + base64.b64encode(f"robot$ci:{harbor.password}".encode()).decode()
    assert version.headers["authorization"] == basic
    assert token.headers["authorization"] == basic and token.query == {"service": "harbor-registry"}
    assert v2.headers["authorization"] == f"Bearer {harbor.issued[0]}"
    assert harbor.password not in shown(verdict) and harbor.issued[0] not in shown(verdict)


def test_it_says_auth_at_the_token_step_when_the_robot_secret_is_wrong(harbor):
    verdict = check_harbor(harbor, "robot$ci", "wrong-robot-secret-9")

    assert verdict.category == "auth"
    step = failed_step(verdict)
    assert step.name == f"Token from {URL}/service/token"
    assert "401" in verdict.summary and "“robot$ci”" in verdict.summary
    assert "Access ID and Access Secret" in step.hint and HARBOR_HOST in step.hint
    # /api/version does not refuse wrong credentials (Harbor falls back to anonymous).
    assert step_named(verdict, VERSION_STEP).ok
    assert harbor.issued == []
    assert "wrong-robot-secret-9" not in shown(verdict)


def test_anonymous_access_refused_by_harbor_is_auth(harbor):
    """Harbor issues an anonymous token, but its /v2/ refuses it: an endpoint without
    credentials cannot pull (SPEC §7), so it is never a green Healthy."""
    verdict = check_harbor(harbor)

    assert verdict.category == "auth" and verdict.status == "unhealthy", verdict.as_json()
    assert verdict.summary == (f"The registry at {HARBOR_HOST} requires credentials: anonymous access "
                               "was refused.")
    step = failed_step(verdict)
    assert step.name == f"GET {URL}/v2/ (anonymous token)"
    assert step.hint.startswith("Enter the Access ID and Access Secret")
    assert all("authorization" not in r.headers or not r.headers["authorization"].startswith("Basic")
               for r in harbor.server.requests)
    # Like a pull, the anonymous check asks the token service: an unreachable realm shows here.
    assert "/service/token" in harbor.paths()


def test_it_names_the_external_url_when_the_token_realm_is_unreachable(harbor):
    """Harbor #11101: the remote announces a token service on an address this server
    cannot reach (here a closed port on 127.0.0.1)."""
    harbor.external_url = f"https://127.0.0.1:{free_port()}"
    realm = harbor.realm

    verdict = check_harbor(harbor, "robot$ci", harbor.password)

    assert verdict.category == "connect"
    assert failed_step(verdict).name == "TCP connect"  # the realm's own pre-flight
    step = step_named(verdict, f"Token from {realm}")
    assert not step.ok
    assert step.hint.startswith("Check the remote Harbor's external URL")
    assert "hostname/external_url in harbor.yml" in step.hint and URL in step.hint
    assert f"The token service at {realm} is not reachable from here" in verdict.summary
    assert "Check the remote Harbor's external URL" in verdict.reason
    assert harbor.password not in shown(verdict)


def test_it_names_the_external_url_when_the_realm_drops_the_port(harbor, settings):
    """Harbor #21389: the endpoint is on :8443, the realm says :443, where nothing listens."""
    settings.ENDPOINT_CONNECT_TO = [
        f"{HARBOR_HOST}:443:127.0.0.1:{free_port()}",
        f"{HARBOR_HOST}:8443:127.0.0.1:{harbor.server.port}",
        *settings.ENDPOINT_CONNECT_TO,
    ]

    verdict = check_harbor(harbor, "robot$ci", harbor.password, url=f"{URL}:8443")

    assert verdict.category == "connect"
    step = step_named(verdict, f"Token from {URL}/service/token")
    assert not step.ok
    assert f"The token service at {URL}/service/token is not reachable" in verdict.summary
    assert "Check the remote Harbor's external URL" in step.hint
    assert f"this endpoint uses {URL}:8443" in step.hint


@pytest.mark.parametrize("reply", [
    Reply(200, "<html><body>Welcome</body></html>", {"Content-Type": "text/html"}),
    Reply(200, {"version": "<b>1.4.2-beta of something else</b>"}),
], ids=["web page", "another API"])
def test_it_says_not_registry_when_api_version_is_not_harbors(harbor, reply):
    harbor.version_reply = reply

    verdict = check_harbor(harbor, "robot$ci", harbor.password)

    assert verdict.category == "not_registry"
    step = failed_step(verdict)
    assert step.name == VERSION_STEP
    assert "not with Harbor's version JSON" in verdict.summary
    assert "external URL" in step.hint and "Docker Registry provider" in step.hint
    assert harbor.paths() == ["/api/version"]  # stops at the first failure
    assert harbor.password not in shown(verdict)


def test_it_warns_and_goes_on_when_api_version_is_missing(harbor):
    harbor.version_reply = Reply(404, "404 page not found")

    verdict = check_harbor(harbor, "robot$ci", harbor.password)

    assert verdict.ok, verdict.as_json()
    assert any("looks like Harbor 1.x or not Harbor" in w for w in verdict.warnings)
    assert verdict.summary == f"Authenticated as robot$ci via token service {URL}/service/token."


def test_it_says_rate_limited_when_the_token_service_answers_429(harbor):
    harbor.token_reply = Reply(429, "too many requests", {"Retry-After": "30"})

    verdict = check_harbor(harbor, "robot$ci", harbor.password)

    assert verdict.category == "rate_limited"
    step = failed_step(verdict)
    assert step.name == f"Token from {URL}/service/token"
    assert "429" in verdict.summary and "Retry-After: 30" in verdict.summary
    assert "wait and test again" in step.hint and HARBOR_HOST in step.hint
    assert harbor.password not in shown(verdict)
