"""S24: `0.0.0.0` (every spelling of 0.0.0.0/8) and `::` are the local host: Linux
connects them to loopback. With loopback in ENDPOINT_DENY_NETWORKS, or left out of
ENDPOINT_ALLOW_NETWORKS, they are refused like 127.0.0.1 — typed directly, resolved from a
name, reached by a redirect or named as a token realm — and nothing is contacted."""

from __future__ import annotations

import pytest

from tests.fixtures.local_servers import REGISTRY_HEADERS
from tests.fixtures.probing import check, failed_step

LOOPBACK = ["127.0.0.0/8", "::1/128"]
SPELLINGS = ["0.0.0.0", "0", "0x0", "0.0.0", "00000", "0.1.2.3", "[::ffff:0.0.0.0]", "[::]", "[0::0]"]


def registry_reply(request):
    request.reply(200, "{}", REGISTRY_HEADERS)


@pytest.fixture
def loopback_denied(settings):
    settings.ENDPOINT_DENY_NETWORKS = [*settings.ENDPOINT_DENY_NETWORKS, *LOOPBACK]


@pytest.mark.parametrize("host", SPELLINGS)
def test_every_spelling_is_refused_when_loopback_is_denied(host, serve_http, loopback_denied,
                                                            socket_connects):
    server = serve_http(registry_reply)

    verdict = check(f"http://{host}:{server.port}")

    assert verdict.category == "blocked", verdict.as_json()
    step = failed_step(verdict)
    assert step.name == "Address policy"
    assert "this host" in verdict.summary and "ENDPOINT_DENY_NETWORKS" in verdict.summary
    assert server.seen == []
    assert [port for _address, port in socket_connects if port == server.port] == []


@pytest.mark.parametrize("host", ["0.0.0.0", "[::]"])
def test_only_one_loopback_entry_is_needed(host, serve_http, settings):
    """A deny list naming only 127.0.0.0/8 still covers :: (and ::1/128 covers 0.0.0.0)."""
    server = serve_http(registry_reply)
    settings.ENDPOINT_DENY_NETWORKS = ["127.0.0.0/8"] if host == "[::]" else ["::1/128"]

    verdict = check(f"http://{host}:{server.port}")

    assert verdict.category == "blocked", verdict.as_json()
    assert server.seen == []


@pytest.mark.parametrize("host", ["0.0.0.0", "[::]"])
def test_an_allow_list_without_loopback_refuses_it(host, serve_http, settings, socket_connects):
    server = serve_http(registry_reply)
    settings.ENDPOINT_ALLOW_NETWORKS = ["10.0.0.0/8", "0.0.0.0/8", "::/128"]

    verdict = check(f"http://{host}:{server.port}")

    assert verdict.category == "blocked", verdict.as_json()
    assert "ENDPOINT_ALLOW_NETWORKS" in verdict.summary
    assert server.seen == []


def test_it_is_allowed_where_loopback_is(serve_http):
    """The default policy allows loopback (on-premises registries), so 0.0.0.0 works too."""
    server = serve_http(registry_reply)

    assert check(f"http://0.0.0.0:{server.port}").ok


def test_a_name_resolving_to_it_is_refused(serve_http, loopback_denied, fake_dns):
    server = serve_http(registry_reply)
    fake_dns({"zero.example.test": ["0.0.0.0"]})

    verdict = check(f"http://zero.example.test:{server.port}")

    assert verdict.category == "blocked"
    assert "zero.example.test resolves to 0.0.0.0" in verdict.summary
    assert server.seen == []


def test_a_redirect_to_it_is_not_followed(serve_http, settings):
    target = serve_http(registry_reply)
    origin = serve_http(lambda r: r.reply(302, "", {"Location": f"http://0.0.0.0:{target.port}/v2/"}),
                        host="127.0.0.2")
    settings.ENDPOINT_DENY_NETWORKS = [*settings.ENDPOINT_DENY_NETWORKS, "127.0.0.1/32"]

    verdict = check(origin.url)

    assert verdict.category == "blocked", verdict.as_json()
    assert len(origin.seen) == 1
    assert target.seen == []


def test_a_token_realm_on_it_gets_no_credentials(serve_http, settings):
    token_service = serve_http(lambda r: r.reply(200, '{"token": "t"}', {"Content-Type": "application/json"}))
    realm = f"http://0.0.0.0:{token_service.port}/token"
    registry = serve_http(
        lambda r: r.reply(401, "", {"WWW-Authenticate": f'Bearer realm="{realm}",service="reg"'}),
        host="127.0.0.2",
    )
    settings.ENDPOINT_DENY_NETWORKS = [*settings.ENDPOINT_DENY_NETWORKS, "127.0.0.1/32"]

    verdict = check(registry.url, "ci", "pw-S24-canary")

    assert verdict.category == "blocked", verdict.as_json()
    assert f"The token service at {realm} is not reachable" in verdict.summary
    assert token_service.seen == []
