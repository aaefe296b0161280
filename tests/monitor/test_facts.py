"""What a check learns beyond healthy or not travels in the verdict as facts: the TLS
certificate's expiry, a credential's expiry the provider reports (GitLab), Docker Hub's pull
budget. Over real sockets: docker-registry with a trustme certificate, the GitLab and
Docker Hub emulators."""

from __future__ import annotations

import base64
from datetime import date, timedelta

import pytest

from tests.fixtures.docker_hub_emulator import AUTH_HOST, HOSTS, REGISTRY_HOST, DockerHubEmulator
from tests.fixtures.emulators import Reply
from tests.fixtures.gitlab_emulator import GitLabEmulator
from tests.fixtures.probing import check, shown, step_named

pytestmark = pytest.mark.django_db

GITLAB_TOKEN = "glpat-Emulated-Full-Token-1"
BUDGET_PATH = "/v2/ratelimitpreview/test/manifests/latest"


# --- TLS certificate ---


def test_it_reports_when_the_certificate_expires(registry_tls_5_days):
    server = registry_tls_5_days

    verdict = check(server.url, ca_pem=server.ca_pem)

    assert verdict.ok, verdict.as_json()
    assert verdict.facts["certificate"] == {"host": "127.0.0.1", "not_after": server.not_after.isoformat()}
    assert verdict.as_json()["facts"] == verdict.facts
    (warning,) = [w for w in verdict.warnings if "certificate" in w]
    assert f"expires on {server.not_after:%Y-%m-%d} (in 5 days)" in warning


def test_an_unverified_certificate_is_no_fact(registry_tls_5_days):
    """Verify Remote Cert off: an expired certificate does not stop replication."""
    verdict = check(registry_tls_5_days.url, verify=False)

    assert verdict.ok
    assert "certificate" not in verdict.facts


def test_plain_http_has_no_facts(registry_open):
    verdict = check(registry_open.url)

    assert verdict.ok and verdict.facts == {}


def test_the_warning_starts_at_expiry_warning_days(registry_tls_5_days, settings):
    settings.EXPIRY_WARNING_DAYS = 3

    verdict = check(registry_tls_5_days.url, ca_pem=registry_tls_5_days.ca_pem)

    assert not [w for w in verdict.warnings if "certificate" in w]
    assert "certificate" in verdict.facts  # known all the same


# --- GitLab personal access token ---


@pytest.fixture
def gitlab(emulate) -> GitLabEmulator:
    remote = GitLabEmulator()
    remote.server = emulate(remote.hosts, remote)
    return remote


def check_gitlab(gitlab: GitLabEmulator):
    return check("https://registry.gitlab.com", "jack", GITLAB_TOKEN, provider="gitlab",
                 ca_pem=gitlab.server.ca_pem)


def test_it_reads_the_gitlab_tokens_expiry_from_the_self_lookup(gitlab):
    soon = (date.today() + timedelta(days=12)).isoformat()
    gitlab.token_expiry[GITLAB_TOKEN] = soon

    verdict = check_gitlab(gitlab)

    assert verdict.ok, verdict.as_json()
    assert verdict.facts["credential"] == {"expires_on": soon, "source": "GitLab personal access token"}
    (warning,) = verdict.warnings
    assert f"The personal access token expires on {soon} (in 12 days)" in warning
    assert GITLAB_TOKEN not in shown(verdict)


def test_a_gitlab_token_that_never_expires_is_no_fact(gitlab):
    gitlab.token_expiry[GITLAB_TOKEN] = None

    verdict = check_gitlab(gitlab)

    assert verdict.ok and "credential" not in verdict.facts and verdict.warnings == []


def test_a_distant_gitlab_expiry_is_a_fact_without_a_warning(gitlab):
    verdict = check_gitlab(gitlab)  # the emulator's default: 2099-12-31

    assert verdict.facts["credential"]["expires_on"] == "2099-12-31"
    assert verdict.warnings == []


# --- Docker Hub pull budget ---


@pytest.fixture
def hub(emulate) -> DockerHubEmulator:
    docker_hub = DockerHubEmulator()
    docker_hub.server = emulate(HOSTS, docker_hub)
    return docker_hub


def check_hub(hub: DockerHubEmulator, username: str = "", password: str = ""):
    return check("https://hub.docker.com", username, password, provider="docker-hub",
                 ca_pem=hub.server.ca_pem)


def test_it_reads_the_pull_budget_with_a_head_request_that_is_not_a_pull(hub):
    verdict = check_hub(hub, "jack", hub.personal_access_token)

    assert verdict.ok, verdict.as_json()
    assert verdict.facts["pull_budget"] == {"limit": 100, "remaining": 76, "window_s": 21600}
    assert step_named(verdict, "Docker Hub pull budget").detail == "Pulls left: 76 of 100 per 6 h."
    # Over the wire: a token for ratelimitpreview/test with the account's credentials, then
    # HEAD on its manifest (Docker's documented way; a HEAD does not count as a pull).
    budget_token = hub.to(AUTH_HOST)[-1]
    assert budget_token.query == {"service": "registry.docker.io",
                                  "scope": "repository:ratelimitpreview/test:pull"}
    basic = base64.b64encode(f"jack:{hub.personal_access_token}".encode()).decode()
    assert budget_token.headers["authorization"] == f"Basic {basic}"
    manifests = [r for r in hub.to(REGISTRY_HOST) if r.path == BUDGET_PATH]
    assert [r.method for r in manifests] == ["HEAD"]
    assert manifests[0].headers["authorization"] == f"Bearer {hub.registry_tokens[-1]}"
    assert hub.personal_access_token not in shown(verdict)
    assert not any(token in shown(verdict) for token in hub.registry_tokens)


def test_it_reads_the_anonymous_budget_without_credentials(hub):
    hub.pull_limit, hub.pulls_remaining = 10, 9
    hub.window_s = 3600

    verdict = check_hub(hub)

    assert verdict.facts["pull_budget"] == {"limit": 10, "remaining": 9, "window_s": 3600}
    assert "authorization" not in hub.to(AUTH_HOST)[-1].headers
    assert step_named(verdict, "Docker Hub pull budget").detail == "Pulls left: 9 of 10 per 1 h."


def test_it_warns_below_ten_percent_of_the_budget(hub):
    hub.pulls_remaining = 9

    verdict = check_hub(hub, "jack", hub.password)

    assert verdict.ok
    (warning,) = verdict.warnings
    assert "Only 9 of 100 Docker Hub pulls are left" in warning and "6 h" in warning


def test_an_account_without_a_pull_limit_has_no_budget(hub):
    hub.pull_limit = None  # paid plans send no ratelimit headers

    verdict = check_hub(hub, "jack", hub.password)

    assert verdict.ok and "pull_budget" not in verdict.facts
    assert step_named(verdict, "Docker Hub pull budget").detail == "Docker Hub reports no pull limit."


def test_an_unreadable_budget_never_fails_the_check(hub):
    hub.budget_reply = Reply(503, {"errors": [{"code": "UNAVAILABLE"}]})

    verdict = check_hub(hub, "jack", hub.password)

    assert verdict.ok and verdict.category == "ok", verdict.as_json()
    step = step_named(verdict, "Docker Hub pull budget")
    assert step.ok and step.detail.startswith("Not read:") and "503" in step.detail
    assert "pull_budget" not in verdict.facts
