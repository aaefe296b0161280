"""Test Connection against the real docker-registry (open, Basic, token) and against
local responders for the answers a registry can give (SPEC §7)."""

from __future__ import annotations

import base64

import pytest

from endpoints.probe.flows import parse_challenge
from tests.fixtures.local_servers import REGISTRY_HEADERS
from tests.fixtures.probing import check, failed_step, shown, step_named

pytestmark = pytest.mark.registry


# Real registries ------------------------------------------------------------------------


def test_it_reports_an_open_registry_healthy(registry_open):
    verdict = check(registry_open.url)

    assert verdict.ok and verdict.category == "ok"
    assert [s.name for s in verdict.steps] == [
        "Check input", "Address policy", "TCP connect", f"GET {registry_open.url}/v2/",
    ]
    assert "127.0.0.1 allowed" in step_named(verdict, "Address policy").detail
    assert verdict.summary == f"Reachable: {registry_open.url}/v2/ answers without authentication."
    assert verdict.warnings == []


def test_it_warns_that_credentials_were_not_checked_on_an_open_registry(registry_open):
    verdict = check(registry_open.url, "ci", "unused-password")

    assert verdict.ok
    assert "credentials were not checked" in " ".join(verdict.warnings)


def test_it_authenticates_with_basic(registry_basic):
    verdict = check(registry_basic.url, registry_basic.username, registry_basic.password)

    assert verdict.ok, verdict.as_json()
    assert verdict.summary == "Authenticated as ci via Basic authentication."
    assert step_named(verdict, f"GET {registry_basic.url}/v2/").detail == "HTTP 401, Basic challenge."
    assert step_named(verdict, f"GET {registry_basic.url}/v2/ (authenticated)").detail == "HTTP 200."
    assert registry_basic.password not in shown(verdict)


def test_it_says_auth_when_the_basic_password_is_wrong(registry_basic):
    verdict = check(registry_basic.url, "ci", "wrong-password-123")

    assert verdict.category == "auth"
    step = failed_step(verdict)
    assert step.name == f"GET {registry_basic.url}/v2/ (authenticated)"
    assert "“ci”" in verdict.summary
    assert "Access ID and Access Secret" in step.hint and "127.0.0.1" in step.hint
    assert "wrong-password-123" not in shown(verdict)


def test_it_authenticates_through_the_token_service(registry_token):
    realm = registry_token.token_server.realm
    before = len(registry_token.token_server.issued)

    verdict = check(registry_token.url, registry_token.username, registry_token.password)

    assert verdict.ok, verdict.as_json()
    assert verdict.summary == f"Authenticated as ci via token service {realm}."
    names = [s.name for s in verdict.steps]
    token_step = names.index(f"Token from {realm}")
    # The realm is on another host (127.0.0.2): it gets its own pre-flight first.
    assert names[token_step - 2:token_step] == ["Address policy", "TCP connect"]
    assert "127.0.0.2 allowed" in verdict.steps[token_step - 2].detail
    token = registry_token.token_server.issued[before]
    assert token not in shown(verdict)
    assert registry_token.password not in shown(verdict)


def test_it_says_auth_when_the_token_service_rejects_the_password(registry_token):
    realm = registry_token.token_server.realm

    verdict = check(registry_token.url, "ci", "wrong-password-123")

    assert verdict.category == "auth"
    step = failed_step(verdict)
    assert step.name == f"Token from {realm}"
    assert "401" in verdict.summary and "“ci”" in verdict.summary
    assert "Access ID and Access Secret" in step.hint and "127.0.0.2" in step.hint


def test_it_says_not_registry_for_an_html_page(serve_http):
    server = serve_http(lambda r: r.reply(200, "<html><body>Welcome to nginx!</body></html>",
                                          {"Content-Type": "text/html"}))

    verdict = check(server.url)

    assert verdict.category == "not_registry"
    step = failed_step(verdict)
    assert step.name == f"GET {server.url}/v2/"
    assert "not like a registry" in verdict.summary
    assert server.url in step.hint and "Endpoint URL" in step.hint


def test_it_accepts_a_json_answer_without_the_distribution_header(serve_http):
    server = serve_http(lambda r: r.reply(200, "{}", {"Content-Type": "application/json"}))

    assert check(server.url).ok


def test_it_says_not_registry_for_404(serve_http):
    server = serve_http(lambda r: r.reply(404, "no such page"))

    verdict = check(server.url + "/prefix")

    assert verdict.category == "not_registry"
    step = failed_step(verdict)
    assert step.name == f"GET {server.url}/prefix/v2/"
    assert f"{server.url}/prefix/v2/" in step.hint
    assert server.seen[-1].path == "/prefix/v2/"  # the path prefix is kept


def test_it_says_rate_limited_for_429(serve_http):
    server = serve_http(lambda r: r.reply(429, "slow down", {"Retry-After": "60"}))

    verdict = check(server.url, "ci", "pw-429-test")

    assert verdict.category == "rate_limited"
    step = failed_step(verdict)
    assert step.name == f"GET {server.url}/v2/"
    assert "429" in verdict.summary and "Retry-After: 60" in verdict.summary
    assert "127.0.0.1" in step.hint and "wait" in step.hint


@pytest.mark.parametrize("status", [401, 403])
def test_it_says_auth_for_any_401_or_403_with_credentials(serve_http, status):
    server = serve_http(lambda r: r.reply(status, "denied", {"WWW-Authenticate": 'Basic realm="x"'}
                                          if "Authorization" not in r.headers else {}))

    verdict = check(server.url, "robot$ci", "pw-denied-test")

    assert verdict.category == "auth"
    assert "robot$ci" in verdict.summary
    assert "Access ID and Access Secret" in failed_step(verdict).hint


def test_it_reports_a_server_error_with_a_short_excerpt(serve_http):
    server = serve_http(lambda r: r.reply(500, "<h1>Internal error</h1>" + "x" * 5000))

    verdict = check(server.url)

    assert verdict.category == "http"
    step = failed_step(verdict)
    assert "HTTP 500: Internal error" in verdict.summary
    assert len(verdict.summary) < 300
    assert "127.0.0.1" in step.hint


def test_it_tells_to_use_https_when_the_port_speaks_https(registry_tls):
    verdict = check(registry_tls.url.replace("https://", "http://"))

    assert verdict.category == "http"
    assert "https://" in failed_step(verdict).hint


def test_it_sends_the_harborreg_user_agent(serve_http):
    server = serve_http(lambda r: r.reply(200, "{}", REGISTRY_HEADERS))

    check(server.url)

    assert server.seen[0].headers["User-Agent"].startswith("harborreg/")


def test_it_prefers_the_bearer_challenge():
    challenge = parse_challenge('Basic realm="b", Bearer realm="https://auth.example/token",service="reg"')

    assert challenge.scheme == "bearer"
    assert challenge.realm == "https://auth.example/token" and challenge.service == "reg"


@pytest.mark.parametrize("header, scheme, params", [
    ('Basic realm="harborreg-test"', "basic", {"realm": "harborreg-test"}),
    ('Bearer realm="https://a.example/t",service="reg",scope="repository:x/y:pull"', "bearer",
     {"realm": "https://a.example/t", "service": "reg", "scope": "repository:x/y:pull"}),
    ("Bearer realm=https://a.example/t, service=reg", "bearer",
     {"realm": "https://a.example/t", "service": "reg"}),
    ('Negotiate, Basic realm="a \\"quoted\\" realm"', "negotiate", {}),
])
def test_it_parses_challenges(header, scheme, params):
    challenge = parse_challenge(header)

    assert challenge.scheme == scheme and challenge.params == params


def test_it_finds_no_challenge_in_an_empty_header():
    assert parse_challenge("") is None


def test_a_body_echoing_the_authorization_header_is_scrubbed(serve_http):
    def echo(request):
        if "Authorization" not in request.headers:
            request.reply(401, "", {"WWW-Authenticate": 'Basic realm="r"'})
        else:
            request.reply(500, f"bad request, you sent Authorization: {request.headers['Authorization']}")

    server = serve_http(echo)

    verdict = check(server.url, "ci", "echo-canary-pw")

    assert verdict.category == "http"
    assert verdict.summary.endswith("answered HTTP 500.")  # the echo is not quoted
    encoded = base64.b64encode(b"ci:echo-canary-pw").decode()
    assert encoded not in shown(verdict) and "echo-canary-pw" not in shown(verdict)


def test_a_body_echoing_the_bearer_token_is_scrubbed(serve_http, registry_token):
    issuer = registry_token.token_server
    realm = issuer.realm

    def echo(request):
        if "Authorization" not in request.headers:
            challenge = f'Bearer realm="{realm}",service="harborreg-test-registry"'
            request.reply(401, "", {"WWW-Authenticate": challenge})
        else:
            request.reply(500, f"rejected {request.headers['Authorization']}")

    server = serve_http(echo)
    before = len(issuer.issued)

    verdict = check(server.url, registry_token.username, registry_token.password)

    assert verdict.category == "http"
    assert issuer.issued[before] not in shown(verdict)
    assert verdict.summary.endswith("answered HTTP 500.")  # the echo is not quoted
