"""Test Connection for Artifact Hub against a local stand-in for artifacthub.io: its REST
API anonymously, then with an API key (X-API-KEY-ID / X-API-KEY-SECRET)."""

from __future__ import annotations

import pytest

from endpoints.probe.target import Target
from endpoints.providers import run_check
from tests.fixtures import artifact_hub_emulator
from tests.fixtures.artifact_hub_emulator import ArtifactHub
from tests.fixtures.emulators import Reply
from tests.fixtures.probing import failed_step, shown, step_named

pytestmark = pytest.mark.django_db


@pytest.fixture
def hub(emulate) -> ArtifactHub:
    return artifact_hub_emulator.start(emulate)


def check(hub: ArtifactHub, key_id: str = "", secret: str = ""):
    target = Target("artifact-hub", "https://artifacthub.io", key_id, secret,
                    ca_certificate=hub.server.ca_pem)
    return run_check(target)


def test_it_reads_the_api_anonymously(hub):
    verdict = check(hub)

    assert verdict.ok and verdict.category == "ok", verdict.as_json()
    assert verdict.summary == "The Artifact Hub API answers; public packages are read anonymously."
    assert step_named(verdict, "Artifact Hub API").detail == "HTTP 200, 14263 packages."
    assert verdict.warnings == []
    # No registry check: Artifact Hub is not a registry.
    assert [(r.path, r.query) for r in hub.server.requests] == [("/api/v1/packages/search", {"limit": "1"})]
    assert not any(s.name.startswith("GET ") for s in verdict.steps)


def test_it_checks_the_api_key_on_an_endpoint_that_needs_it(hub):
    key_id, secret = hub.create_api_key(alias="jdoe")

    verdict = check(hub, key_id, secret)

    assert verdict.ok, verdict.as_json()
    step = step_named(verdict, "Artifact Hub API key")
    assert step.ok and step.detail == "API key of user jdoe."
    assert "API key of user jdoe" in verdict.summary
    profile = hub.server.requests[-1]
    assert profile.path == "/api/v1/users/profile"
    assert (profile.headers["x-api-key-id"], profile.headers["x-api-key-secret"]) == (key_id, secret)
    assert "authorization" not in profile.headers
    assert secret not in shown(verdict)


def test_it_says_auth_when_the_api_key_is_not_accepted(hub):
    key_id, _secret = hub.create_api_key()

    verdict = check(hub, key_id, "a-deleted-or-mistyped-secret")

    assert verdict.category == "auth"
    step = failed_step(verdict)
    assert step.name == "Artifact Hub API key"
    assert verdict.summary == (
        "The Artifact Hub API at https://artifacthub.io/api/v1/users/profile answered 401.")
    assert "API key id/secret is not accepted" in step.hint
    assert "Control Panel → Settings → API keys" in step.hint
    assert "a-deleted-or-mistyped-secret" not in shown(verdict)


def test_it_says_rate_limited_on_429(hub):
    hub.rate_limited = True

    verdict = check(hub)

    assert verdict.category == "rate_limited"
    step = failed_step(verdict)
    assert step.name == "Artifact Hub API"
    assert "429" in verdict.summary and "Retry-After: 60" in verdict.summary
    assert "wait a few minutes" in step.hint


def test_it_says_not_registry_when_a_web_page_answers_instead_of_the_api(hub):
    hub.maintenance = True
    key_id, secret = hub.create_api_key()

    verdict = check(hub, key_id, secret)

    assert verdict.category == "not_registry"
    step = failed_step(verdict)
    assert step.name == "Artifact Hub API"
    assert "text/html" in verdict.summary and "not the API's JSON" in verdict.summary
    assert "HTTPS_PROXY" in step.hint and "ENDPOINT_CONNECT_TO" in step.hint
    assert secret not in shown(verdict)
    assert "Down for maintenance" not in shown(verdict)


def test_it_warns_that_a_key_id_without_its_secret_is_not_checked(hub):
    verdict = check(hub, "8e5f0d1c-only-an-id")

    assert verdict.ok
    assert verdict.warnings == ["The API key ID was not checked: it is used only with its secret."]
    assert [r.path for r in hub.server.requests] == ["/api/v1/packages/search"]


def test_the_api_key_secret_does_not_follow_a_redirect_to_another_host(hub, emulate):
    elsewhere = emulate(["elsewhere.example.test"], lambda request: Reply(401, b""))
    hub.redirect_profile_to = "https://elsewhere.example.test/collect"
    key_id, secret = hub.create_api_key()

    check(hub, key_id, secret)

    assert [r.path for r in elsewhere.requests] == ["/collect"]
    assert "x-api-key-secret" not in elsewhere.requests[0].headers
