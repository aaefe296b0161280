"""The address policy (SECURITY S6–S10): denied and allowed networks on the address
actually connected, numeric IPv4 spellings, DNS rebinding, redirects, ENDPOINT_CONNECT_TO
and proxies from the environment."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from endpoints.probe import http, policy
from tests.fixtures.local_servers import REGISTRY_HEADERS, black_hole, connect_proxy, wait_until
from tests.fixtures.probing import check, failed_step, step_named


@pytest.fixture
def dialled(monkeypatch) -> list[str]:
    """Every address the seam opens a TCP connection to (still connecting for real)."""
    addresses: list[str] = []
    real = http.open_connection

    def recording(address, port, clock):
        addresses.append(str(address))
        return real(address, port, clock)

    monkeypatch.setattr(http, "open_connection", recording)
    return addresses


@pytest.fixture
def fake_dns(monkeypatch):
    """fake_dns({"name": ["addr", ...] or [[first answer], [second answer], ...]})."""
    calls: list[str] = []

    def install(table: dict[str, list]) -> list[str]:
        answers = {name: list(value) for name, value in table.items()}

        def getaddrinfo(host, port):
            calls.append(host)
            if host not in answers:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            entry = answers[host]
            addresses = entry.pop(0) if isinstance(entry[0], list) and len(entry) > 1 else (
                entry[0] if isinstance(entry[0], list) else entry
            )
            return [
                (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
                for a in addresses
            ]

        monkeypatch.setattr(policy, "getaddrinfo", getaddrinfo)
        return calls

    return install


def registry_reply(request):
    request.reply(200, "{}", REGISTRY_HEADERS)


# Denied networks ------------------------------------------------------------------------


@pytest.mark.parametrize("url, address, network", [
    ("http://169.254.169.254", "169.254.169.254", "169.254.0.0/16"),
    ("http://[::ffff:169.254.169.254]", "169.254.169.254", "169.254.0.0/16"),
    ("http://[fd00:ec2::254]", "fd00:ec2::254", "fd00:ec2::254/128"),
    ("https://100.100.100.200/", "100.100.100.200", "100.100.100.200/32"),
    ("http://[fe80::1]:5000", "fe80::1", "fe80::/10"),
])
def test_it_blocks_denied_addresses_without_connecting(url, address, network, dialled):
    verdict = check(url, "ci", "pw-blocked")

    assert verdict.category == "blocked"
    step = failed_step(verdict)
    assert step.name == "Address policy"
    assert f"{address} is in ENDPOINT_DENY_NETWORKS ({network})" in step.detail
    assert f"remove {network} from ENDPOINT_DENY_NETWORKS" in step.hint
    assert dialled == []


def test_it_blocks_a_host_name_that_resolves_to_a_denied_address(fake_dns, dialled):
    fake_dns({"metadata.example.test": ["169.254.169.254"]})

    verdict = check("http://metadata.example.test")

    assert verdict.category == "blocked"
    assert step_named(verdict, "DNS").detail == "metadata.example.test → 169.254.169.254"
    step = failed_step(verdict)
    assert step.name == "Address policy"
    assert "metadata.example.test resolves to 169.254.169.254" in step.detail
    assert dialled == []


def test_it_blocks_a_name_with_any_denied_answer(fake_dns, dialled):
    fake_dns({"mixed.example.test": ["127.0.0.1", "169.254.169.254"]})

    verdict = check("http://mixed.example.test")

    assert verdict.category == "blocked"
    assert dialled == []


def test_a_denied_name_makes_no_connection_over_the_wire(serve_raw, fake_dns, settings):
    server = serve_raw(black_hole)
    settings.ENDPOINT_DENY_NETWORKS = ["127.0.0.0/8"]
    fake_dns({"local.example.test": ["127.0.0.1"]})

    verdict = check(f"http://local.example.test:{server.port}")

    assert verdict.category == "blocked"
    assert not wait_until(lambda: server.accepted > 0, timeout=0.2)


def test_it_blocks_addresses_outside_the_allow_list(serve_http, settings):
    server = serve_http(registry_reply)
    settings.ENDPOINT_ALLOW_NETWORKS = ["10.0.0.0/8", "192.168.0.0/16"]

    verdict = check(server.url)

    assert verdict.category == "blocked"
    step = failed_step(verdict)
    assert step.name == "Address policy"
    assert "127.0.0.1 is outside ENDPOINT_ALLOW_NETWORKS (10.0.0.0/8, 192.168.0.0/16)" in step.detail
    assert "ENDPOINT_ALLOW_NETWORKS" in step.hint
    assert server.seen == []


def test_it_allows_addresses_inside_the_allow_list(serve_http, settings):
    server = serve_http(registry_reply)
    settings.ENDPOINT_ALLOW_NETWORKS = ["127.0.0.0/8"]

    verdict = check(server.url)

    assert verdict.ok
    assert "inside ENDPOINT_ALLOW_NETWORKS" in step_named(verdict, "Address policy").detail


def test_the_deny_list_wins_over_the_allow_list(settings, dialled):
    settings.ENDPOINT_ALLOW_NETWORKS = ["169.254.0.0/16"]

    assert check("http://169.254.169.254").category == "blocked"
    assert dialled == []


@pytest.mark.parametrize("spelling", ["2130706433", "0x7f000001", "0177.0.0.1", "127.1"])
def test_it_reads_numeric_ipv4_spellings_like_the_resolver(spelling, serve_http, settings, dialled):
    server = serve_http(registry_reply)

    allowed = check(f"http://{spelling}:{server.port}")
    settings.ENDPOINT_DENY_NETWORKS = ["127.0.0.0/8"]
    denied = check(f"http://{spelling}:{server.port}")

    assert allowed.ok, allowed.as_json()
    assert f"{spelling} means 127.0.0.1" in step_named(allowed, "Address policy").detail
    assert denied.category == "blocked"
    assert f"{spelling} means 127.0.0.1, and 127.0.0.1 is in ENDPOINT_DENY_NETWORKS" in (
        failed_step(denied).detail
    )
    assert dialled == ["127.0.0.1", "127.0.0.1"]  # pre-flight and request of the allowed check


@pytest.mark.parametrize("host, expected", [
    ("2130706433", "127.0.0.1"), ("0x7f000001", "127.0.0.1"), ("0177.0.0.1", "127.0.0.1"),
    ("127.1", "127.0.0.1"), ("10.1", "10.0.0.1"), ("[::1]", "::1"),
    ("::ffff:169.254.169.254", "::ffff:a9fe:a9fe"),
    ("registry.example.com", None), ("1.2.3.4.5", None), ("0x1g", None),
])
def test_literal_address(host, expected):
    result = policy.literal_address(host)

    assert (str(result) if result else None) == expected


def test_ipv4_mapped_addresses_are_unwrapped():
    assert policy.unwrap(ipaddress.ip_address("::ffff:169.254.169.254")) == ipaddress.ip_address(
        "169.254.169.254"
    )


# DNS rebinding --------------------------------------------------------------------------


def test_it_refuses_a_name_that_rebinds_to_a_denied_address_at_connect(serve_http, fake_dns, dialled):
    server = serve_http(registry_reply)
    calls = fake_dns({"rebind.example.test": [["127.0.0.1"], ["169.254.169.254"]]})

    verdict = check(f"http://rebind.example.test:{server.port}")

    assert verdict.category == "blocked"
    assert step_named(verdict, "Address policy").ok  # the pre-flight saw 127.0.0.1
    step = failed_step(verdict)
    assert step.name == f"GET http://rebind.example.test:{server.port}/v2/"
    assert "rebind.example.test resolves to 169.254.169.254" in step.detail
    assert calls == ["rebind.example.test", "rebind.example.test"]
    assert dialled == ["127.0.0.1"]  # only the pre-flight's connection
    assert server.seen == []


# Redirects ------------------------------------------------------------------------------


@pytest.mark.parametrize("location", ["file:///etc/passwd", "gopher://127.0.0.1:70/_x"])
def test_it_never_follows_a_redirect_to_another_scheme(location, serve_http):
    server = serve_http(lambda r: r.reply(302, "", {"Location": location}))

    verdict = check(server.url)

    assert verdict.category == "blocked"
    step = failed_step(verdict)
    assert step.name == f"GET {server.url}/v2/"
    assert f"redirects to a {location.split(':')[0]}: URL, which is never followed" in step.detail
    assert "Endpoint URL" in step.hint


def test_it_polices_every_redirect_hop(serve_http, dialled):
    server = serve_http(lambda r: r.reply(307, "", {"Location": "http://169.254.169.254/latest/meta-data/"}))

    verdict = check(server.url, "ci", "pw-redirect")

    assert verdict.category == "blocked"
    step = failed_step(verdict)
    assert step.name == "Address policy"
    assert "169.254.169.254 is in ENDPOINT_DENY_NETWORKS" in step.detail
    assert "169.254.169.254" not in dialled


def test_it_stops_after_three_redirects(serve_http):
    server = serve_http(lambda r: r.reply(302, "", {"Location": r.path + "x"}))

    verdict = check(server.url)

    assert verdict.category == "http"
    assert "more than 3 redirects" in failed_step(verdict).detail
    assert len(server.seen) == 4


# ENDPOINT_CONNECT_TO ----------------------------------------------------------------------


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
    ("ENDPOINT_DENY_NETWORKS", ["not-a-network"]),
    ("ENDPOINT_ALLOW_NETWORKS", ["10.0.0.0/33"]),
    ("ENDPOINT_CONNECT_TO", ["only:three:fields"]),
])
def test_a_malformed_setting_is_named(name, value, settings):
    setattr(settings, name, value)

    verdict = check("http://127.0.0.1:9")

    assert verdict.category == "invalid"
    assert name in failed_step(verdict).detail and name in failed_step(verdict).hint


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
    assert step_named(verdict, "TCP connect").detail == f"connected to [::1]:{server.port}"
    assert server.seen[0].headers["Host"] == f"[::1]:{server.port}"
