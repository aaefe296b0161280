"""Test Connection for JFrog Artifactory against a local stand-in for acme.jfrog.io: the
system ping, then the registry v2 flow at the base URL, and the URL forms that break it."""

from __future__ import annotations

import base64

import pytest

from endpoints.probe.target import Target
from endpoints.providers import run_check
from tests.fixtures import artifactory_emulator
from tests.fixtures.artifactory_emulator import Artifactory
from tests.fixtures.probing import failed_step, shown, step_named

pytestmark = pytest.mark.django_db

BASE = "https://acme.jfrog.io"


@pytest.fixture
def artifactory(emulate) -> Artifactory:
    return artifactory_emulator.start(emulate)


def check(artifactory: Artifactory, user: str = "", secret: str = ""):
    target = Target("jfrog-artifactory", BASE, user, secret, ca_certificate=artifactory.server.ca_pem)
    return run_check(target)


def assert_nothing_secret_shown(verdict, artifactory: Artifactory, *secrets: str) -> None:
    text = shown(verdict)
    for value in (*secrets, *artifactory.tokens):
        assert value not in text
        assert base64.b64encode(value.encode()).decode() not in text


def test_it_pings_artifactory_then_logs_in_at_the_base_url(artifactory):
    api_key = artifactory.add_user("deployer")

    verdict = check(artifactory, "deployer", api_key)

    assert verdict.ok and verdict.category == "ok", verdict.as_json()
    assert step_named(verdict, "Artifactory ping").detail == (
        "Artifactory is up (api/system/ping answered OK).")
    names = [s.name for s in verdict.steps]
    assert names[-4:] == ["Artifactory ping", f"GET {BASE}/v2/", f"Token from {BASE}/v2/token",
                          f"GET {BASE}/v2/ (authenticated)"]
    assert verdict.summary == f"Authenticated as deployer via token service {BASE}/v2/token."
    token_request = next(r for r in artifactory.server.requests if r.path == "/v2/token")
    assert token_request.query == {"service": "acme.jfrog.io"}
    assert base64.b64decode(token_request.headers["authorization"][6:]).decode() == f"deployer:{api_key}"
    assert verdict.warnings == []
    assert_nothing_secret_shown(verdict, artifactory, api_key)


def test_it_says_auth_at_the_token_step_when_the_password_is_wrong(artifactory):
    artifactory.add_user("deployer")

    verdict = check(artifactory, "deployer", "an-old-api-key-123")

    assert verdict.category == "auth"
    step = failed_step(verdict)
    assert step.name == f"Token from {BASE}/v2/token"
    assert "answered 401" in verdict.summary and "“deployer”" in verdict.summary
    assert "Access ID and Access Secret for acme.jfrog.io" in step.hint
    assert_nothing_secret_shown(verdict, artifactory, "an-old-api-key-123")


def test_it_names_the_base_url_and_the_other_access_methods_on_a_404_at_v2(artifactory):
    artifactory.docker_access = "subdomain"
    api_key = artifactory.add_user("deployer")

    verdict = check(artifactory, "deployer", api_key)

    assert verdict.category == "not_registry"
    step = failed_step(verdict)
    assert step.name == f"GET {BASE}/v2/"
    assert "answered 404" in verdict.summary
    assert step.hint == (
        "Artifactory answered 404 at /v2/: enter the Artifactory base URL (e.g. https://acme.jfrog.io); "
        "if your Artifactory uses the subdomain or port access method, use the Docker Registry "
        "provider with the repository's own URL."
    )
    assert step.hint in verdict.reason
    assert step_named(verdict, "Artifactory ping").ok
    assert_nothing_secret_shown(verdict, artifactory, api_key)


def test_it_recognizes_the_artifactory_ui_answering_at_v2(artifactory):
    artifactory.docker_access = "ui"
    api_key = artifactory.add_user("deployer")

    verdict = check(artifactory, "deployer", api_key)

    assert verdict.category == "not_registry"
    step = failed_step(verdict)
    assert step.name == f"GET {BASE}/v2/"
    assert step.hint.startswith("A web page (the Artifactory UI?) answered at /v2/ instead of the Docker API")
    assert "Artifactory base URL" in step.hint and "Docker Registry provider" in step.hint
    assert "/ui/" in [r.path for r in artifactory.server.requests]
    assert_nothing_secret_shown(verdict, artifactory, api_key)


def test_it_only_warns_when_the_ping_is_not_found(artifactory):
    artifactory.ping = False
    api_key = artifactory.add_user("deployer")

    verdict = check(artifactory, "deployer", api_key)

    assert verdict.ok, verdict.as_json()
    assert step_named(verdict, "Artifactory ping").detail == "HTTP 404."
    assert verdict.warnings == [
        f"The server at {BASE}/artifactory/api/system/ping answered HTTP 404, not OK: {BASE} may not be the "
        "Artifactory base URL; the registry check decides."
    ]


def test_anonymous_access_refused_by_artifactory_is_auth(artifactory):
    verdict = check(artifactory)

    assert verdict.category == "auth" and not verdict.ok, verdict.as_json()
    assert "requires credentials: anonymous access was refused" in verdict.summary
    assert [r.path for r in artifactory.server.requests] == [
        "/artifactory/api/system/ping", "/v2/", "/v2/token"]
    assert not any("authorization" in r.headers for r in artifactory.server.requests)
