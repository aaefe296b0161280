"""The address policy beyond the SECURITY checks: ENDPOINT_CONNECT_TO, proxies from the
environment, IPv6 literals. Denied/allowed networks, rebinding and redirects (S6–S9) are
in tests/security/."""

from __future__ import annotations

import pytest

from endpoints.probe import policy
from tests.fixtures.local_servers import REGISTRY_HEADERS, connect_proxy
from tests.fixtures.probing import check, failed_step, step_named


def registry_reply(request):
    request.reply(200, "{}", REGISTRY_HEADERS)


# Denied networks ------------------------------------------------------------------------


def test_connect_to_maps_a_name_and_keeps_the_host_header(serve_http, settings):
    server = serve_http(registry_reply)
    settings.ENDPOINT_CONNECT_TO = [f"api.example.test:80:127.0.0.1:{server.port}"]

    verdict = check("http://api.example.test")

    assert verdict.ok, verdict.as_json()
    assert server.seen[0].headers["Host"] == "api.example.test"
    assert "ENDPOINT_CONNECT_TO" in step_named(verdict, "Address policy").detail


def test_connect_to_targets_are_policed(settings, dialled):
    settings.ENDPOINT_CONNECT_TO = ["registry.example.test:443:169.254.169.254:443"]

    verdict = check("https://registry.example.test")

    assert verdict.category == "blocked"
    assert dialled == []


@pytest.mark.parametrize("rules, host, port, expected", [
    (["a.test:443:b.test:8443"], "a.test", 443, ("b.test", 8443)),
    (["a.test:443:b.test:8443"], "a.test", 80, ("a.test", 80)),
    (["::b.test:"], "anything.test", 80, ("b.test", 80)),
    (["a.test:::9000"], "a.test", 443, ("a.test", 9000)),
    (["A.Test:443:[::1]:5000"], "a.test", 443, ("::1", 5000)),
    (["a.test:443:first:1", "a.test:443:second:2"], "a.test", 443, ("first", 1)),
])
def test_connect_to_rules(rules, host, port, expected, settings):
    settings.ENDPOINT_CONNECT_TO = rules

    connect_host, connect_port, _rule = policy.route(host, port, policy.connect_rules())

    assert (connect_host, connect_port) == expected


# Settings errors ------------------------------------------------------------------------


@pytest.mark.parametrize("name, value", [
    ("ENDPOINT_CONNECT_TO", ["only:three:fields"]),  # the network settings: tests/security/test_s07_*
])
def test_a_malformed_setting_is_named(name, value, settings):
    setattr(settings, name, value)

    verdict = check("http://127.0.0.1:9")

    assert verdict.category == "invalid"
    assert name in verdict.summary and name in failed_step(verdict).hint


# Proxies ------------------------------------------------------------------------------------


def test_it_uses_http_proxy_from_the_environment(serve_http, monkeypatch):
    proxy = serve_http(registry_reply)
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)

    verdict = check("http://registry.example.test")

    assert verdict.ok, verdict.as_json()
    assert proxy.seen[0].path == "http://registry.example.test/v2/"
    assert "through the proxy 127.0.0.1" in step_named(verdict, "Address policy").detail


def test_no_proxy_bypasses_the_proxy(serve_http, monkeypatch):
    proxy = serve_http(registry_reply)
    direct = serve_http(registry_reply)
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")

    assert check(direct.url).ok
    assert proxy.seen == [] and len(direct.seen) == 1


def test_a_proxy_does_not_lift_the_policy_on_literal_addresses(serve_http, monkeypatch):
    proxy = serve_http(registry_reply)
    monkeypatch.setenv("HTTP_PROXY", proxy.url)

    verdict = check("http://169.254.169.254")

    assert verdict.category == "blocked"
    assert proxy.seen == []


def test_it_tunnels_https_through_https_proxy(registry_tls, serve_raw, monkeypatch):
    log: list[str] = []
    proxy = serve_raw(connect_proxy(log))
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    url = f"https://localhost:{registry_tls.port}"

    trusted = check(url, registry_tls.username, registry_tls.password, ca_pem=registry_tls.ca_pem)
    untrusted = check(url)

    assert trusted.ok, trusted.as_json()
    assert log[0].startswith(f"CONNECT localhost:{registry_tls.port} HTTP/")
    assert "through the proxy 127.0.0.1" in step_named(trusted, "Address policy").detail
    # Through the tunnel the certificate is still checked, against the same trust store.
    assert untrusted.category == "tls"
    assert "into CA Certificate" in failed_step(untrusted).hint


def test_it_reaches_an_ipv6_literal(serve_http):
    try:
        server = serve_http(registry_reply, host="::1")
    except OSError:
        pytest.skip("no IPv6 loopback here")

    verdict = check(server.url)

    assert verdict.ok, verdict.as_json()
    assert step_named(verdict, "TCP connect").detail == f"Connected to [::1]:{server.port}."
    assert server.seen[0].headers["Host"] == f"[::1]:{server.port}"
