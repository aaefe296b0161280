"""Test Connection for Google GCR / Artifact Registry against a local stand-in for gcr.io
and europe-west1-docker.pkg.dev that checks the `_json_key` Basic login."""

from __future__ import annotations

import base64
import json

import pytest

from endpoints.probe.target import Target
from endpoints.providers import run_check
from tests.fixtures import gcr_emulator
from tests.fixtures.gcr_emulator import GoogleRegistries, service_account_key
from tests.fixtures.probing import failed_step, shown

pytestmark = pytest.mark.django_db

EMAIL = "replicator@my-project.iam.gserviceaccount.com"


@pytest.fixture
def google(emulate) -> GoogleRegistries:
    return gcr_emulator.start(emulate)


def check(google: GoogleRegistries, host: str, key_text: str = "", access_id: str = "_json_key"):
    target = Target("google-gcr", f"https://{host}", access_id if key_text else "", key_text,
                    ca_certificate=google.server.ca_pem)
    return run_check(target)


def assert_nothing_secret_shown(verdict, key_text: str, google: GoogleRegistries) -> None:
    text = shown(verdict)
    key = json.loads(key_text)
    assert key_text not in text and json.dumps(key_text) not in text
    assert base64.b64encode(f"_json_key:{key_text}".encode()).decode() not in text
    for secret in (key["private_key"], json.dumps(key["private_key"])[1:-1], key["private_key_id"]):
        assert secret not in text
    assert "PRIVATE KEY" not in text
    for token in google.tokens:
        assert token not in text


@pytest.mark.parametrize("host", ["gcr.io", "europe-west1-docker.pkg.dev"])
def test_it_authenticates_with_the_whole_json_key(google, host):
    key_text = google.issue_key()

    verdict = check(google, host, key_text)

    assert verdict.ok and verdict.category == "ok", verdict.as_json()
    assert verdict.summary == f"Authenticated as {EMAIL} (project my-project) with the service-account key."
    names = [s.name for s in verdict.steps]
    assert f"Token from https://{host}/v2/token" in names
    assert names[-1] == f"GET https://{host}/v2/ (authenticated)"
    # What went over the wire: Basic _json_key:<the exact file>, for this host's service.
    token_request = next(r for r in google.server.to(host) if r.path == "/v2/token")
    assert token_request.query == {"service": host}
    sent = base64.b64decode(token_request.headers["authorization"].removeprefix("Basic ")).decode()
    assert sent == f"_json_key:{key_text}"
    assert google.tokens
    assert_nothing_secret_shown(verdict, key_text, google)


def test_it_says_auth_when_google_does_not_know_the_key(google):
    google.issue_key()
    stranger = service_account_key("someone-else@other-project.iam.gserviceaccount.com", "other-project")

    verdict = check(google, "gcr.io", stranger)

    assert verdict.category == "auth"
    step = failed_step(verdict)
    assert step.name == "Token from https://gcr.io/v2/token"
    assert "answered 401" in verdict.summary
    assert "someone-else@other-project.iam.gserviceaccount.com" in step.hint
    assert "Create a new JSON key" in step.hint and "whole service-account JSON key file" in step.hint
    assert step.hint in verdict.reason
    assert_nothing_secret_shown(verdict, stranger, google)


def test_it_names_the_missing_role_and_the_project_when_the_account_may_not_pull(google):
    key_text = google.issue_key("no-roles@prod-images.iam.gserviceaccount.com", project_id="prod-images",
                                can_pull=False)

    verdict = check(google, "europe-west1-docker.pkg.dev", key_text)

    assert verdict.category == "auth"
    step = failed_step(verdict)
    assert step.name == "Token from https://europe-west1-docker.pkg.dev/v2/token"
    assert "answered 403" in verdict.summary
    assert "Storage Object Viewer / Artifact Registry Reader (pull) or Writer (push)" in step.hint
    assert "on project prod-images" in step.hint
    assert "no-roles@prod-images.iam.gserviceaccount.com" in step.hint
    assert_nothing_secret_shown(verdict, key_text, google)


def test_it_asks_for_the_whole_file_when_google_cannot_parse_the_key(google):
    key = json.loads(google.issue_key())
    key["private_key"] = key["private_key"].split("\n", 1)[1]  # the BEGIN line lost in copy-paste
    mangled = json.dumps(key)

    verdict = check(google, "gcr.io", mangled)

    assert verdict.category == "auth"
    step = failed_step(verdict)
    assert step.name == "Token from https://gcr.io/v2/token"
    assert "answered HTTP 400" in verdict.summary  # the body of an answer to the key is never quoted
    assert "Unable to parse json key" in step.hint
    assert "paste the whole service-account JSON key file" in step.hint
    assert_nothing_secret_shown(verdict, mangled, google)


@pytest.mark.parametrize("access_id", ["", "_json_key"])
def test_it_checks_public_gcr_with_an_anonymous_token(google, access_id):
    target = Target("google-gcr", "https://gcr.io", access_id, "", ca_certificate=google.server.ca_pem)

    verdict = run_check(target)

    assert verdict.ok and verdict.category == "ok", verdict.as_json()
    assert verdict.warnings == ["No credentials: only public repositories can be pulled, and nothing "
                                "can be pushed to this registry."]
    assert "only public repositories can be pulled" in verdict.summary
    assert [r.path for r in google.server.requests] == ["/v2/", "/v2/token", "/v2/"]
    assert "authorization" not in google.server.requests[1].headers  # an anonymous token
