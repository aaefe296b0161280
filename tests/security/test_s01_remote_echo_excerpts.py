"""S1, remote echoes: a remote that answers an error by quoting the request back (its
headers and body) must not get a secret into the verdict, not even its first characters.

The error body quotes the request so that the secret starts at character 150: the
160-character excerpt of the body would cut it after 10 characters. The secret travels the
way each provider sends it: GitLab's PRIVATE-TOKEN header, Artifact Hub's X-API-KEY-SECRET
header, Docker Hub's JSON login body. What the user can see (json.dumps of the verdict, as
the JSON answer and the stored status detail carry it) holds no 4-character prefix of it.
"""

from __future__ import annotations

import json
import secrets
from urllib.parse import quote

import pytest

from endpoints.probe.engine import Probe
from endpoints.probe.http import OutboundClient, Response
from endpoints.probe.target import Target
from endpoints.providers import run_check
from tests.fixtures.artifact_hub_emulator import HOST as ARTIFACT_HUB_HOST
from tests.fixtures.artifact_hub_emulator import ArtifactHub
from tests.fixtures.docker_hub_emulator import HOSTS as DOCKER_HUB_HOSTS
from tests.fixtures.docker_hub_emulator import DockerHubEmulator
from tests.fixtures.emulators import Reply, Request
from tests.fixtures.gitlab_emulator import REGISTRY_HOST as GITLAB_REGISTRY_HOST
from tests.fixtures.gitlab_emulator import GitLabEmulator
from tests.fixtures.probing import failed_step
from tests.security.canary import PASSWORD_CANARY, find_canaries

pytestmark = pytest.mark.django_db

EXCERPT = 160  # Response.excerpt()'s default length
SECRET_AT = 150  # where the echoed secret starts in the error body


def long_secret(kind: str) -> str:
    """A unique secret of ~75 characters: far longer than what is left after the cut."""
    return f"{PASSWORD_CANARY}-{kind}-{secrets.token_hex(24)}"


def echo(request: Request, status: int, secret: str) -> Reply:
    """An error body quoting the request, padded so that `secret` straddles the cut."""

    # The offending header first, as a server naming what it refused would.
    headers = dict(sorted(request.headers.items(), key=lambda item: secret not in item[1]))

    def body(padding: str) -> str:
        return json.dumps({
            "message": f"request rejected{padding}",
            "you_sent": {"body": request.body.decode(), "headers": headers},
        })

    padding = "." * (SECRET_AT - body("").index(secret))
    text = body(padding)
    assert text.index(secret) == SECRET_AT < EXCERPT < SECRET_AT + len(secret)
    return Reply(status, text, {"Content-Type": "application/json"})


def assert_nothing_of(secret: str, verdict) -> None:
    shown = json.dumps(verdict.as_json())
    # The request carried the secret, so nothing of the answer's body is quoted (S27)...
    assert "request rejected" not in shown, shown
    # ...and the secret is nowhere, whole, encoded, or its first characters.
    assert find_canaries(shown, secret) == []
    assert secret[:4] not in shown, shown


@pytest.mark.parametrize("status", [500])  # 401/403 there are a warning without excerpt
def test_gitlab_private_token_echoed_by_the_api_is_not_shown(emulate, status):
    token = long_secret("glpat")
    gitlab = GitLabEmulator()
    gitlab.tokens[token] = ["read_api", "read_registry", "write_registry"]

    def handler(request: Request) -> Reply:
        if request.path == "/api/v4/personal_access_tokens/self":
            return echo(request, status, token)
        return gitlab(request)

    gitlab.server = emulate(gitlab.hosts, handler)
    target = Target("gitlab", f"https://{GITLAB_REGISTRY_HOST}", "jack", token,
                    ca_certificate=gitlab.server.ca_pem)

    verdict = run_check(target)

    assert verdict.category == "http"
    assert failed_step(verdict).name == "GitLab token scopes"
    assert gitlab.server.requests[-1].headers["private-token"] == token  # sent, and echoed
    assert_nothing_of(token, verdict)


@pytest.mark.parametrize("status", [400, 500])  # 401/403 are `auth`, without excerpt
def test_artifact_hub_api_key_secret_echoed_is_not_shown(emulate, status):
    key_id, key_secret = "8e5f0d1c-key-id", long_secret("ahkey")
    hub = ArtifactHub()

    def handler(request: Request) -> Reply:
        if request.path == "/api/v1/users/profile":
            return echo(request, status, key_secret)
        return hub(request)

    hub.server = emulate([ARTIFACT_HUB_HOST], handler)
    target = Target("artifact-hub", f"https://{ARTIFACT_HUB_HOST}", key_id, key_secret,
                    ca_certificate=hub.server.ca_pem)

    verdict = run_check(target)

    assert verdict.category == "http"
    assert failed_step(verdict).name == "Artifact Hub API key"
    assert hub.server.requests[-1].headers["x-api-key-secret"] == key_secret
    assert_nothing_of(key_secret, verdict)


@pytest.mark.parametrize("status", [400, 500])  # 401/403 are `auth`, without excerpt
def test_docker_hub_login_body_echoed_is_not_shown(emulate, status):
    password = long_secret("dckr")
    hub = DockerHubEmulator(password=password)

    def handler(request: Request) -> Reply:
        if request.path == "/v2/auth/token" and request.method == "POST":
            return echo(request, status, password)
        return hub(request)

    hub.server = emulate(DOCKER_HUB_HOSTS, handler)
    target = Target("docker-hub", "https://hub.docker.com", "jack", password,
                    ca_certificate=hub.server.ca_pem)

    verdict = run_check(target)

    assert verdict.category == "http"
    assert failed_step(verdict).name == "Docker Hub login"
    assert hub.server.requests[-1].json() == {"identifier": "jack", "secret": password}
    assert_nothing_of(password, verdict)


# The seam on its own -------------------------------------------------------------------


def test_an_answer_to_a_request_with_any_key_header_is_not_quoted(serve_http):
    """Any header but the harmless ones may carry a key: the answer is not quoted even when
    nobody told the client the value is a secret."""
    key = long_secret("hdr")
    server = serve_http(lambda r: r.reply(500, "x" * SECRET_AT + f" {r.headers['X-Vendor-Key']}"))

    response = OutboundClient().request("GET", server.url + "/", headers={"X-Vendor-Key": key})

    assert response.excerpt() == ""
    assert key in response.body.decode()  # it was echoed: the empty excerpt is the rule at work


def test_a_value_the_request_carried_is_blanked_without_being_registered():
    """Still, what a request carried is blanked wherever an excerpt is made."""
    key = long_secret("hdr")
    body = ("x" * SECRET_AT + f" {key}").encode()

    excerpt = Response(500, {}, body, "https://r.test/", sensitive=(key,)).excerpt()

    assert excerpt.endswith("x ••••") and key[:4] not in excerpt


def test_the_checks_secrets_reach_the_client_also_when_learnt_later(serve_http):
    """The Probe's secrets, in forms the request did not carry (URL-encoded), and a token it
    learns after the client was made."""
    secret, token = long_secret("reg") + "/+=", long_secret("tok")
    echoed = f"login={quote(secret, safe='')} token={token}"  # the token straddles the cut
    server = serve_http(lambda r: r.reply(500, "y" * 100 + " " + echoed))
    probe = Probe(Target("docker-registry", server.url, "ci", secret))
    probe.add_sensitive(token)

    response = probe.http.request("GET", server.url + "/v2/")  # carries no credential itself

    excerpt = response.excerpt()
    assert "login=•••• token=••••" in excerpt
    assert secret[:4] not in excerpt and token[:4] not in excerpt


@pytest.mark.parametrize("quoted", [None, 30])  # the whole secret, or only its start
@pytest.mark.parametrize("before", [
    "z" * SECRET_AT,  # cut by the 160-character limit
    "<i>" * 200 + "z" * 30,  # cut where the tag-stripping slice ends, then pulled forward
])
def test_a_cut_never_leaves_the_first_characters_of_a_secret(before, quoted):
    secret = long_secret("cut")
    body = (before + secret[:quoted] + " and more").encode()

    excerpt = Response(500, {}, body, "https://r.test/", sensitive=(secret,)).excerpt()

    assert secret[:4] not in excerpt
    assert "z••••" in excerpt


def test_a_secret_split_by_markup_is_blanked_once_cleaned_up():
    secret = "cAnary split secret 4711"
    body = b"<p>denied for cAnary split\n  secret 4711</p>"

    excerpt = Response(500, {}, body, "https://r.test/", sensitive=(secret,)).excerpt()

    assert excerpt == "denied for ••••"
