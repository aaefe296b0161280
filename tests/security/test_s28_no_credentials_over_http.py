"""S28: when the registry is https, no credential or token goes to a plain-http host —
not a token realm, not a provider's API host (GitLab's is taken from the realm of an
anonymous `GET /v2/`), not a redirect target. The refusal lives in the one HTTP seam, so it
covers every provider and every step."""

from __future__ import annotations

import pytest

from endpoints.probe.engine import Probe
from endpoints.probe.errors import OutboundError
from endpoints.probe.target import Target
from tests.fixtures.emulators import REGISTRY_HEADERS, Reply, Request
from tests.fixtures.local_servers import REGISTRY_HEADERS as PLAIN_REGISTRY_HEADERS
from tests.fixtures.probing import check, failed_step

TOKEN = "glpat-S28-canary-token"


def test_gitlab_never_sends_its_token_to_an_http_api_host(emulate, serve_http):
    """The registry names an http realm once (anonymous GET /v2/), then answers 200: the
    Bearer flow (and its guard) never runs, but the token-scope lookup would go to the http
    API host with PRIVATE-TOKEN."""
    api = serve_http(lambda r: r.reply(200, '{"scopes": ["api"]}', {"Content-Type": "application/json"}))
    seen_v2: list[int] = []

    def registry(request: Request) -> Reply:
        seen_v2.append(1)
        if len(seen_v2) == 1:
            return Reply(401, "", {"WWW-Authenticate": f'Bearer realm="{api.url}/jwt/auth",service="reg"'})
        return Reply(200, {}, REGISTRY_HEADERS)

    gitlab = emulate(["registry.gitlab.example.test"], registry)

    verdict = check("https://registry.gitlab.example.test", "jack", TOKEN, ca_pem=gitlab.ca_pem,
                    provider="gitlab")

    assert api.seen == []  # nothing at all, so no PRIVATE-TOKEN
    assert verdict.category == "blocked", verdict.as_json()
    step = failed_step(verdict)
    assert step.name == "GitLab token scopes"
    assert "plain http" in verdict.summary and "not sent" in verdict.summary
    assert TOKEN not in verdict.summary


@pytest.mark.parametrize("headers", [
    {"Authorization": "Bearer tok-S28"},
    {"PRIVATE-TOKEN": "tok-S28"},
    {"X-API-KEY-SECRET": "tok-S28"},
])
def test_the_seam_refuses_any_credential_header_to_http_for_an_https_endpoint(headers, serve_http):
    server = serve_http(lambda r: r.reply(200, "{}", PLAIN_REGISTRY_HEADERS))
    probe = Probe(Target("docker-registry", "https://registry.example.test"))

    with pytest.raises(OutboundError) as refused:
        probe.http.request("GET", f"{server.url}/api", headers=headers)

    assert refused.value.category == "blocked"
    assert server.seen == []


def test_a_credential_body_is_refused_too(serve_http):
    server = serve_http(lambda r: r.reply(200, "{}", PLAIN_REGISTRY_HEADERS))
    probe = Probe(Target("docker-hub", "https://hub.docker.com"))

    with pytest.raises(OutboundError):
        probe.http.request("POST", f"{server.url}/login", json_body={"identifier": "a", "secret": "b-S28"})

    assert server.seen == []


def test_anonymous_requests_to_http_still_work_for_an_https_endpoint(serve_http):
    """An anonymous token from an http realm carries nothing: it is allowed (and warned
    about by the flow)."""
    server = serve_http(lambda r: r.reply(200, '{"token": "t"}', {"Content-Type": "application/json"}))
    probe = Probe(Target("docker-registry", "https://registry.example.test"))

    assert probe.http.request("GET", f"{server.url}/token").status == 200


def test_an_http_endpoint_may_use_http(serve_http):
    """A plain-http registry was saved as such by its administrator: its credentials go
    where the URL says (the verdict warns that they travel unencrypted)."""
    server = serve_http(lambda r: r.reply(200, "{}", PLAIN_REGISTRY_HEADERS))
    probe = Probe(Target("docker-registry", server.url))

    assert probe.http.request("GET", f"{server.url}/v2/", auth=("ci", "pw")).status == 200
