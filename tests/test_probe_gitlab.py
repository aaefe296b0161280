"""Test Connection for the GitLab provider against an emulated registry.gitlab.com and the
GitLab host behind its token realm (gitlab.com: `/jwt/auth`, `/api/v4`), over TLS."""

from __future__ import annotations

import base64

import pytest

from tests.fixtures.emulators import Reply
from tests.fixtures.gitlab_emulator import REGISTRY_HOST, WEB_HOST, GitLabEmulator
from tests.fixtures.probing import check, failed_step, shown, step_named

pytestmark = pytest.mark.django_db

URL = f"https://{REGISTRY_HOST}"
REALM = f"https://{WEB_HOST}/jwt/auth"
TOKEN = "glpat-Emulated-Full-Token-1"
PULL_ONLY_TOKEN = "glpat-Emulated-Pull-Only-2"


@pytest.fixture
def gitlab(emulate) -> GitLabEmulator:
    remote = GitLabEmulator()
    remote.tokens[PULL_ONLY_TOKEN] = ["read_api", "read_registry"]
    remote.server = emulate(remote.hosts, remote)
    return remote


def check_gitlab(gitlab: GitLabEmulator, username: str = "", password: str = "", url: str = URL):
    assert gitlab.server is not None
    return check(url, username, password, provider="gitlab", ca_pem=gitlab.server.ca_pem)


def test_it_authenticates_at_the_realm_and_reports_the_token_scopes(gitlab):
    verdict = check_gitlab(gitlab, "jack", TOKEN)

    assert verdict.ok and verdict.category == "ok", verdict.as_json()
    assert verdict.warnings == []
    assert verdict.summary == f"Authenticated as jack via token service {REALM}."
    assert step_named(verdict, "GitLab API host").detail == f"Realm {REALM} → API https://{WEB_HOST}."
    scopes = step_named(verdict, "GitLab token scopes")
    assert scopes.detail == "Scopes: read_api, read_registry, write_registry."
    # Over the wire: Basic username:token at the realm, PRIVATE-TOKEN at the realm's host.
    jwt, token_self = gitlab.to(WEB_HOST)
    assert jwt.path == "/jwt/auth" and jwt.query == {"service": "container_registry"}
    assert jwt.headers["authorization"] == "Basic " + base64.b64encode(f"jack:{TOKEN}".encode()).decode()
    assert token_self.path == "/api/v4/personal_access_tokens/self"
    assert token_self.headers["private-token"] == TOKEN
    assert gitlab.to(REGISTRY_HOST)[-1].headers["authorization"] == f"Bearer {gitlab.issued[0]}"
    assert TOKEN not in shown(verdict) and gitlab.issued[0] not in shown(verdict)


def test_it_warns_when_the_token_cannot_push(gitlab):
    verdict = check_gitlab(gitlab, "jack", PULL_ONLY_TOKEN)

    assert verdict.ok and verdict.category == "ok", verdict.as_json()
    assert step_named(verdict, "GitLab token scopes").detail == "Scopes: read_api, read_registry."
    (warning,) = verdict.warnings
    assert "lacks the write_registry scope" in warning and "cannot push" in warning
    assert PULL_ONLY_TOKEN not in shown(verdict)


def test_it_says_auth_with_gitlab_advice_when_the_token_is_wrong(gitlab):
    verdict = check_gitlab(gitlab, "jack", "glpat-Revoked-Or-Wrong-3")

    assert verdict.category == "auth"
    step = failed_step(verdict)
    assert step.name == f"Token from {REALM}"
    assert "401" in verdict.summary and "“jack”" in verdict.summary
    assert "personal access token" in step.hint and "read_registry" in step.hint
    assert "not your GitLab password" in step.hint
    assert [r.path for r in gitlab.to(WEB_HOST)] == ["/jwt/auth"]  # no API call after a refusal
    assert "glpat-Revoked-Or-Wrong-3" not in shown(verdict)


def test_it_says_the_web_url_is_not_the_registry_url(emulate):
    """Self-managed GitLab's web address: /v2/ redirects to the sign-in page."""
    web = GitLabEmulator(web_host="gitlab.example.test", registry_host="registry.example.test")
    web.server = emulate(web.hosts, web)

    verdict = check("https://gitlab.example.test", "jack", TOKEN, provider="gitlab", ca_pem=web.server.ca_pem)

    assert verdict.category == "not_registry"
    step = failed_step(verdict)
    assert step.name == "GitLab API host"
    assert "without GitLab's Bearer challenge" in verdict.summary
    assert step.hint.startswith("This is not a GitLab container registry URL: use the registry URL "
                                "(e.g. https://registry.gitlab.com), not the GitLab web URL.")
    assert [r.path for r in web.server.requests] == ["/v2/", "/users/sign_in"]
    assert all("authorization" not in r.headers for r in web.server.requests)
    assert TOKEN not in shown(verdict)


def test_it_says_provider_for_a_registry_that_is_not_gitlabs(emulate):
    basic = Reply(401, {"errors": []}, {"WWW-Authenticate": 'Basic realm="registry"',
                                        "Docker-Distribution-API-Version": "registry/2.0"})
    other = emulate(["registry.example.test"], lambda request: basic)

    verdict = check("https://registry.example.test", "jack", TOKEN, provider="gitlab", ca_pem=other.ca_pem)

    assert verdict.category == "provider"
    step = failed_step(verdict)
    assert step.name == "GitLab API host"
    assert "This is not a GitLab container registry URL" in step.hint
    assert TOKEN not in shown(verdict)


def test_the_gitlab_com_web_url_stops_at_input_without_any_request(gitlab):
    verdict = check_gitlab(gitlab, "jack", TOKEN, url=f"https://{WEB_HOST}")

    assert verdict.category == "invalid"
    step = failed_step(verdict)
    assert step.name == "Check input"
    assert "https://registry.gitlab.com" in verdict.summary
    assert gitlab.server.requests == []


@pytest.mark.parametrize("status", [401, 404])
def test_unreadable_scopes_are_only_a_warning(gitlab, status):
    gitlab.token_self_reply = Reply(status, {"message": f"{status}"})

    verdict = check_gitlab(gitlab, "jack", TOKEN)

    assert verdict.ok and verdict.category == "ok", verdict.as_json()
    assert step_named(verdict, "GitLab token scopes").detail == f"HTTP {status}."
    (warning,) = verdict.warnings
    assert "scopes could not be read" in warning and "write_registry" in warning
    assert TOKEN not in shown(verdict)


def test_a_gitlab_registry_refusing_anonymous_access_is_auth_with_no_api_call(gitlab):
    """The realm issues an anonymous token, but the registry refuses it: without
    credentials the endpoint cannot pull (SPEC §7), so it is auth, not Healthy."""
    verdict = check_gitlab(gitlab)

    assert verdict.category == "auth" and not verdict.ok, verdict.as_json()
    assert "requires credentials: anonymous access was refused" in verdict.summary
    assert failed_step(verdict).hint.startswith("Enter the Access ID and Access Secret")
    assert "GitLab token scopes" not in [s.name for s in verdict.steps]
    # Only the anonymous token a pull asks for reached the GitLab host: no API call.
    assert [(r.path, "authorization" in r.headers) for r in gitlab.to(WEB_HOST)] == [("/jwt/auth", False)]


def test_a_relative_url_root_moves_the_api_with_the_realm(emulate):
    remote = GitLabEmulator(web_host="gitlab.example.test", registry_host="registry.example.test",
                            relative_root="/gitlab")
    remote.server = emulate(remote.hosts, remote)

    verdict = check("https://registry.example.test", "jack", TOKEN, provider="gitlab",
                    ca_pem=remote.server.ca_pem)

    assert verdict.ok, verdict.as_json()
    assert step_named(verdict, "GitLab API host").detail.endswith("→ API https://gitlab.example.test/gitlab.")
    assert [r.path for r in remote.to("gitlab.example.test")] == [
        "/gitlab/jwt/auth", "/gitlab/api/v4/personal_access_tokens/self",
    ]
