"""S29: a 307/308 redirect keeps the method and the body. After a request whose body
carries a credential (Docker Hub's login `{"identifier", "secret"}`), the body is never
re-sent to another origin, nor from https to http: the redirect is refused and says so."""

from __future__ import annotations

import pytest

from endpoints.probe.errors import OutboundError
from endpoints.probe.http import OutboundClient
from tests.fixtures.docker_hub_emulator import HOSTS as DOCKER_HUB_HOSTS
from tests.fixtures.docker_hub_emulator import DockerHubEmulator
from tests.fixtures.emulators import Reply, Request
from tests.fixtures.probing import check, failed_step

PASSWORD = "pw-S29-canary"


@pytest.mark.parametrize("status", [307, 308])
def test_the_docker_hub_login_body_does_not_follow_a_redirect(status, emulate, serve_http):
    elsewhere = serve_http(lambda r: r.reply(200, '{"access_token": "t"}',
                                             {"Content-Type": "application/json"}))
    hub = DockerHubEmulator(password=PASSWORD)

    def handler(request: Request) -> Reply:
        if request.path == "/v2/auth/token" and request.method == "POST":
            return Reply(status, "", {"Location": f"{elsewhere.url}/v2/auth/token"})
        return hub(request)

    hub.server = emulate(DOCKER_HUB_HOSTS, handler)

    verdict = check("https://hub.docker.com", "jack", PASSWORD, ca_pem=hub.server.ca_pem,
                    provider="docker-hub")

    assert elsewhere.seen == []
    assert verdict.category == "blocked", verdict.as_json()
    step = failed_step(verdict)
    assert step.name == "Docker Hub login"
    assert f"redirects to {elsewhere.url}" in verdict.summary and "not re-sent" in verdict.summary


@pytest.mark.parametrize("status", [307, 308])
def test_a_body_follows_a_redirect_within_its_origin(status, serve_http):
    def reply(request):
        if request.path == "/old":
            request.reply(status, "", {"Location": "/new"})
        else:
            request.reply(200, "{}", {"Content-Type": "application/json"})

    server = serve_http(reply)

    response = OutboundClient().request("POST", f"{server.url}/old", json_body={"secret": "x-S29"})

    assert response.status == 200
    assert [seen.path for seen in server.seen] == ["/old", "/new"]


def test_a_redirect_to_another_port_is_another_origin(serve_http):
    """Scheme, host and port make the origin: only the exact origin gets the body again."""
    target = serve_http(lambda r: r.reply(200, "{}"))
    source = serve_http(lambda r: r.reply(308, "", {"Location": f"{target.url}/next"}))

    with pytest.raises(OutboundError) as refused:
        OutboundClient().request("POST", f"{source.url}/", data={"password": "x-S29"})

    assert refused.value.category == "blocked"
    assert target.seen == []
