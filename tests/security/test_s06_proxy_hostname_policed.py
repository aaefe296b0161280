"""S6 behind a proxy: with HTTPS_PROXY / HTTP_PROXY set the proxy resolves and connects,
but a host name that resolves here to a denied address (169.254.169.254 and friends) is
refused all the same, before the proxy hears of it. A name this server cannot resolve
(split-horizon DNS that only the proxy sees) still goes through the proxy, as before, and
the Address policy step says its address was not checked here."""

from __future__ import annotations

import pytest

from endpoints.probe.errors import OutboundError
from endpoints.probe.http import OutboundClient
from tests.fixtures.local_servers import REGISTRY_HEADERS, connect_proxy, wait_until
from tests.fixtures.probing import check, failed_step, step_named

PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "https_proxy", "http_proxy", "no_proxy")


def registry_reply(request):
    request.reply(200, "{}", REGISTRY_HEADERS)


@pytest.fixture
def use_proxy(monkeypatch):
    """use_proxy("HTTPS_PROXY", url): exactly this proxy variable, no NO_PROXY."""

    def set_proxy(variable: str, url: str) -> None:
        for name in PROXY_VARIABLES:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv(variable, url)

    return set_proxy


@pytest.fixture
def https_proxy(serve_raw, use_proxy):
    """A recording CONNECT proxy as HTTPS_PROXY: (server, the request lines it received)."""
    log: list[str] = []
    proxy = serve_raw(connect_proxy(log))
    use_proxy("HTTPS_PROXY", proxy.url)
    return proxy, log


@pytest.fixture
def http_proxy(serve_http, use_proxy):
    """A recording HTTP proxy as HTTP_PROXY that answers like a registry itself."""
    proxy = serve_http(registry_reply)
    use_proxy("HTTP_PROXY", proxy.url)
    return proxy


@pytest.mark.parametrize("answer", [
    ["169.254.169.254"],
    ["::ffff:169.254.169.254"],
    ["fd00:ec2::254"],
    ["10.20.30.40", "169.254.169.254"],  # every answer counts, not the first allowed one
])
def test_a_name_resolving_to_a_metadata_address_is_not_proxied(answer, https_proxy, fake_dns):
    proxy, log = https_proxy
    fake_dns({"metadata.example.test": answer})

    verdict = check("https://metadata.example.test", "ci", "pw-blocked")

    assert verdict.category == "blocked", verdict.as_json()
    step = failed_step(verdict)
    assert step.name == "Address policy"
    assert "metadata.example.test resolves to" in verdict.summary
    assert "ENDPOINT_DENY_NETWORKS" in verdict.summary and "no connection was made" in verdict.summary
    assert not wait_until(lambda: proxy.accepted > 0, timeout=0.2)
    assert log == []


def test_a_plain_http_name_resolving_to_a_metadata_address_is_not_proxied(http_proxy, fake_dns):
    fake_dns({"metadata.example.test": ["169.254.169.254"]})

    verdict = check("http://metadata.example.test/latest/meta-data")

    assert verdict.category == "blocked", verdict.as_json()
    assert http_proxy.seen == []


def test_a_name_resolving_outside_the_allowed_networks_is_not_proxied(http_proxy, fake_dns, settings):
    settings.ENDPOINT_ALLOW_NETWORKS = ["10.0.0.0/8"]
    fake_dns({"registry.example.test": ["192.168.7.7"]})

    verdict = check("http://registry.example.test")

    assert verdict.category == "blocked", verdict.as_json()
    assert "outside ENDPOINT_ALLOW_NETWORKS" in verdict.summary
    assert http_proxy.seen == []


def test_a_name_resolving_to_an_allowed_address_is_proxied(http_proxy, fake_dns):
    fake_dns({"registry.example.test": ["10.20.30.40"]})

    verdict = check("http://registry.example.test")

    assert verdict.ok, verdict.as_json()
    assert http_proxy.seen[0].path == "http://registry.example.test/v2/"
    detail = step_named(verdict, "Address policy").detail
    assert "registry.example.test → 10.20.30.40" in detail and "allowed" in detail
    assert "through the proxy 127.0.0.1" in detail


def test_an_unresolvable_name_is_left_to_the_proxy(http_proxy, fake_dns):
    fake_dns({})  # split-horizon: only the proxy knows the name

    verdict = check("http://registry.internal.test")

    assert verdict.ok, verdict.as_json()
    assert http_proxy.seen[0].path == "http://registry.internal.test/v2/"
    detail = step_named(verdict, "Address policy").detail
    assert "registry.internal.test cannot be resolved here" in detail
    assert "the proxy 127.0.0.1" in detail and "decides" in detail


def test_an_unresolvable_name_is_tunnelled_through_https_proxy(https_proxy, fake_dns, serve_http,
                                                                server_tls, registry_ca):
    """HTTPS: our resolver does not know `localhost`, the proxy's does."""
    proxy, log = https_proxy
    server = serve_http(registry_reply, tls=server_tls("localhost"))
    fake_dns({})

    verdict = check(f"https://localhost:{server.port}", ca_pem=registry_ca.cert_pem.bytes().decode())

    assert verdict.ok, verdict.as_json()
    assert log[0].startswith(f"CONNECT localhost:{server.port} HTTP/")
    assert "cannot be resolved here" in step_named(verdict, "Address policy").detail


def test_the_seam_polices_a_proxied_name_without_the_preflight(http_proxy, fake_dns):
    """A client used on its own (no Probe, so no pre-flight steps) is policed too."""
    fake_dns({"metadata.example.test": ["169.254.169.254"]})

    with pytest.raises(OutboundError) as raised:
        OutboundClient().request("GET", "http://metadata.example.test/latest/meta-data")

    assert raised.value.category == "blocked"
    assert http_proxy.seen == []
