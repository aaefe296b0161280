"""S10: the Bearer challenge names the token service (the realm). A realm on a denied
address, or a plain-http realm of an https registry (a downgrade), gets no credentials:
the token service sees no request at all (registry-client CVEs on realm handling)."""

from __future__ import annotations

import pytest

from tests.fixtures.local_servers import REGISTRY_HEADERS
from tests.fixtures.probing import check, failed_step
from tests.forms import registry_form

PASSWORD = "pw-S10-realm-canary"


def bearer_registry(realm: str):
    def reply(request):
        if request.headers.get("Authorization", "").startswith("Bearer "):
            request.reply(200, "{}", REGISTRY_HEADERS)
        else:
            request.reply(401, "", {"WWW-Authenticate": f'Bearer realm="{realm}",service="reg"'})

    return reply


def token_reply(request):
    request.reply(200, '{"token": "issued-token-S10"}', {"Content-Type": "application/json"})


@pytest.mark.registry
def test_it_never_sends_credentials_to_an_http_realm_of_an_https_registry(registry_tls_http_realm):
    server = registry_tls_http_realm
    requests_before = len(server.token_server.requests)

    verdict = check(server.url, server.username, server.password, ca_pem=server.ca_pem)

    assert verdict.category == "blocked"
    step = failed_step(verdict)
    assert step.name == f"Token from {server.token_server.realm}"
    assert "plain http" in verdict.summary and "not sent" in verdict.summary
    assert "https token realm" in step.hint and "127.0.0.1" in step.hint
    # Over the wire: the token service saw nothing at all, so no Authorization either.
    assert server.token_server.requests[requests_before:] == []


@pytest.mark.registry
def test_it_refuses_a_token_realm_on_a_denied_address(registry_token, settings):
    settings.ENDPOINT_DENY_NETWORKS = [*settings.ENDPOINT_DENY_NETWORKS, "127.0.0.2/32"]
    requests_before = len(registry_token.token_server.requests)

    verdict = check(registry_token.url, registry_token.username, registry_token.password)

    assert verdict.category == "blocked"
    step = failed_step(verdict)
    assert step.name == "Address policy"
    assert "127.0.0.2 is in ENDPOINT_DENY_NETWORKS (127.0.0.2/32, a server setting)" in verdict.summary
    assert "ENDPOINT_DENY_NETWORKS" in step.hint
    assert f"The token service at {registry_token.token_server.realm} is not reachable" in verdict.summary
    assert registry_token.token_server.requests[requests_before:] == []


def test_a_realm_on_the_metadata_address_gets_nothing(serve_http, socket_connects):
    origin = serve_http(bearer_registry("http://169.254.169.254/latest/api/token"))

    verdict = check(origin.url, "ci", PASSWORD)

    assert verdict.category == "blocked"
    assert "169.254.169.254 is in ENDPOINT_DENY_NETWORKS" in verdict.summary
    assert not any(address == "169.254.169.254" for address, _ in socket_connects)
    assert all("Authorization" not in seen.headers for seen in origin.seen)


@pytest.mark.django_db
def test_the_downgrade_is_refused_from_the_page_too(owner_client, serve_http, server_tls, registry_ca):
    """An https registry (local, test CA) whose realm is plain http: Test Connection with a
    typed password; the http token service must not even be asked."""
    token_service = serve_http(token_reply)
    origin = serve_http(bearer_registry(f"{token_service.url}/token"), tls=server_tls("127.0.0.1"))
    ca_pem = registry_ca.cert_pem.bytes().decode()

    answer = owner_client.post("/registries/test/", registry_form(
        url=origin.url, access_id="ci", access_secret=PASSWORD, ca_certificate=ca_pem, action="test",
    ), HTTP_ACCEPT="application/json").json()

    assert (answer["ok"], answer["category"]) == (False, "blocked"), answer
    assert "the credentials were not sent" in answer["summary"]
    assert token_service.seen == []
    assert all("Authorization" not in seen.headers for seen in origin.seen)


def test_an_https_realm_of_an_https_registry_is_used(serve_http, server_tls, registry_ca):
    """The control: the same setup with an https realm authenticates (the test above fails
    for the downgrade, not for the TLS setup)."""
    token_service = serve_http(token_reply, tls=server_tls("127.0.0.1"))
    origin = serve_http(bearer_registry(f"{token_service.url}/token"), tls=server_tls("127.0.0.1"))

    verdict = check(origin.url, "ci", PASSWORD, ca_pem=registry_ca.cert_pem.bytes().decode())

    assert verdict.ok, verdict.as_json()
    assert token_service.seen[0].headers["Authorization"].startswith("Basic ")
