"""Test Connection for Quay against a local stand-in for quay.io that checks the JSON
secret's docker login and its optional OAuth2 API token."""

from __future__ import annotations

import base64
import json

import pytest

from endpoints.probe.target import Target
from endpoints.providers import run_check
from tests.fixtures import quay_emulator
from tests.fixtures.probing import failed_step, shown, step_named
from tests.fixtures.quay_emulator import Quay

pytestmark = pytest.mark.django_db

QUAY_IO_NOTE = "quay.io cannot create organizations automatically"


@pytest.fixture
def quay(emulate) -> Quay:
    return quay_emulator.start(emulate)


def check(quay: Quay, secret: dict | None):
    text = json.dumps(secret) if secret else ""
    target = Target("quay", "https://quay.io", "json_file" if secret else "", text,
                    ca_certificate=quay.server.ca_pem)
    return run_check(target)


def assert_nothing_secret_shown(verdict, secret: dict, quay: Quay) -> None:
    text = shown(verdict)
    for value in (secret["docker_cli_password"], secret.get("oauth2_token"), *quay.tokens):
        if value:
            assert value not in text
            assert base64.b64encode(value.encode()).decode() not in text
    assert json.dumps(secret) not in text


def test_it_logs_in_with_account_name_and_docker_cli_password(quay):
    secret = quay.add_account("jack")

    verdict = check(quay, secret)

    assert verdict.ok and verdict.category == "ok", verdict.as_json()
    assert verdict.summary.startswith("Authenticated as jack via token service https://quay.io/v2/auth.")
    assert "Quay API token" not in [s.name for s in verdict.steps]
    assert not any(r.path.startswith("/api/") for r in quay.server.requests)
    auth = next(r for r in quay.server.requests if r.path == "/v2/auth")
    assert auth.query == {"service": "quay.io"}
    sent = base64.b64decode(auth.headers["authorization"].removeprefix("Basic ")).decode()
    assert sent == f"jack:{secret['docker_cli_password']}"
    assert any(QUAY_IO_NOTE in w for w in verdict.warnings)
    assert "organizations must be created by hand" in verdict.summary
    assert_nothing_secret_shown(verdict, secret, quay)


def test_it_checks_the_oauth2_token_against_the_quay_api(quay):
    secret = quay.add_account("jack", oauth2_user="jack")

    verdict = check(quay, secret)

    assert verdict.ok, verdict.as_json()
    step = step_named(verdict, "Quay API token")
    assert step.ok and step.detail == "API user jack."
    assert verdict.steps[-1] is step
    assert "The Quay API accepts the oauth2_token (user jack)." in verdict.summary
    api = [r for r in quay.server.requests if r.path == "/api/v1/user/"]
    assert [r.headers["authorization"] for r in api] == [f"Bearer {secret['oauth2_token']}"]
    assert_nothing_secret_shown(verdict, secret, quay)


def test_it_says_auth_at_the_token_step_when_the_docker_cli_password_is_wrong(quay):
    secret = {**quay.add_account("jack", oauth2_user="jack"), "docker_cli_password": "stale-password-1"}

    verdict = check(quay, secret)

    assert verdict.category == "auth"
    step = failed_step(verdict)
    assert step.name == "Token from https://quay.io/v2/auth"
    assert "“jack”" in verdict.summary
    assert "Access ID and Access Secret for quay.io" in step.hint
    assert not any(r.path.startswith("/api/") for r in quay.server.requests)
    assert_nothing_secret_shown(verdict, secret, quay)


def test_it_says_auth_at_the_quay_api_step_when_the_oauth2_token_is_refused(quay):
    secret = {**quay.add_account("jack"), "oauth2_token": "revoked-oauth2-token-123"}

    verdict = check(quay, secret)

    assert verdict.category == "auth"
    step = failed_step(verdict)
    assert step.name == "Quay API token"
    assert verdict.summary == "The Quay API at https://quay.io/api/v1/user/ answered 401."
    assert "oauth2_token is not accepted by the Quay API" in step.hint
    assert "needed only to create organizations automatically" in step.hint
    # The registry login itself worked before the API step.
    assert step_named(verdict, "GET https://quay.io/v2/ (authenticated)").ok
    assert_nothing_secret_shown(verdict, secret, quay)


def test_it_accepts_a_robot_account(quay):
    secret = quay.add_account("acme+replicator")

    verdict = check(quay, secret)

    assert verdict.ok, verdict.as_json()
    assert verdict.summary.startswith("Authenticated as acme+replicator via")
    assert "acme+replicator" in quay.tokens.values()
    assert_nothing_secret_shown(verdict, secret, quay)


@pytest.mark.parametrize("access_id", ["", "json_file"])
def test_it_checks_with_an_anonymous_token_when_the_secret_is_empty(quay, access_id):
    verdict = run_check(Target("quay", "https://quay.io", access_id, "", ca_certificate=quay.server.ca_pem))

    assert verdict.ok and verdict.category == "ok", verdict.as_json()
    assert verdict.warnings == ["No credentials: only public repositories can be pulled, and nothing "
                                "can be pushed to this registry."]
    assert "only public repositories can be pulled" in verdict.summary
    assert [r.path for r in quay.server.requests] == ["/v2/", "/v2/auth", "/v2/"]
