"""Host names as people type them (issue 10): typos are input errors naming the bad part,
never "a harborreg bug"; IDN names are converted to punycode and said so; IPv6 hosts are
shown in brackets with their port; a URL ending in /v2/ is accepted without it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from endpoints.probe.result import Category
from endpoints.validation import normalize_endpoint_url, read_endpoint_url
from tests.fixtures.local_servers import REGISTRY_HEADERS
from tests.fixtures.probing import check, failed_step, shown

LONG_LABEL = "a" * 64

# (what a user types, the part the message must name)
NASTY_HOSTS = [
    ("https://harbor..corp.example.com", "harbor..corp.example.com"),
    ("https://.example.com", ".example.com"),
    ("https://example.com..", "example.com.."),
    (f"https://{LONG_LABEL}.example.com", LONG_LABEL[:20]),
    ("https://" + ".".join(["abcdefghij" * 6] * 5), "253"),
    ("https://-harbor.example.com", "-harbor"),
    ("https://harbor-.example.com", "harbor-"),
    ("https://harbor%2eexample.com", "%"),
    ("https://harbor example.com", " "),
    ("https://harbor\u200b.example.com", "U+200B"),
    ("https://xn--zz-.example.com", "xn--zz-"),
    ("https://xn--a.example.com", "xn--a"),
    ("https://bücher..example", "bücher..example"),
    ("https://" + "ü" * 70 + ".example", "63"),
    ("https://harbor.example.com:abc", "abc"),
    ("https://harbor.example.com:0", "port"),
    ("https://harbor.example.com:70000", "70000"),
    ("https://[::1", "["),
    ("https://[zz::1]", "zz::1"),
    ("https://:5000", "no host name"),
]


@pytest.mark.parametrize("url, named", NASTY_HOSTS)
def test_a_nasty_host_is_an_input_error_naming_the_bad_part(url, named):
    verdict = check(url)

    assert verdict.category == Category.INVALID, verdict.as_json()
    assert [step.name for step in verdict.steps] == ["Check input"]
    assert named in verdict.summary, verdict.summary
    assert "harborreg bug" not in shown(verdict)
    assert not verdict.summary[0].islower() and verdict.summary.endswith(".")


@pytest.mark.parametrize("url, named", NASTY_HOSTS)
def test_the_model_and_the_forms_get_the_same_message(url, named):
    with pytest.raises(ValidationError) as refused:
        normalize_endpoint_url(url)

    assert named in " ".join(refused.value.messages)


def test_a_token_realm_with_a_broken_host_name_is_not_a_harborreg_bug(serve_http):
    server = serve_http(lambda r: r.reply(401, "", {
        **REGISTRY_HEADERS, "WWW-Authenticate": 'Bearer realm="https://auth..example.test/token"',
    }))

    verdict = check(server.url, "ci", "pw-realm-typo")

    assert verdict.category == Category.DNS, verdict.as_json()
    assert "harborreg bug" not in shown(verdict)
    assert "auth..example.test" in verdict.summary


def test_an_idn_host_is_converted_to_punycode_with_a_note():
    url = read_endpoint_url("https://Bücher.example/")

    assert url.url == "https://xn--bcher-kva.example"
    assert url.notes == [
        "The host name bücher.example was converted to its IDNA (punycode) form: "
        "xn--bcher-kva.example."
    ]
    assert normalize_endpoint_url("https://bücher.example") == "https://xn--bcher-kva.example"


def test_an_idn_host_is_checked_under_its_punycode_name(settings, serve_http):
    server = serve_http(lambda r: r.reply(200, "{}", REGISTRY_HEADERS))
    settings.ENDPOINT_CONNECT_TO = [f"xn--bcher-kva.example:80:127.0.0.1:{server.port}"]

    verdict = check("http://bücher.example")

    assert verdict.ok, verdict.as_json()
    assert server.seen[0].headers["Host"] == "xn--bcher-kva.example"
    assert "xn--bcher-kva.example" in verdict.steps[0].detail


@pytest.mark.parametrize("raw, normalized", [
    ("https://registry.example.com/v2/", "https://registry.example.com"),
    ("https://registry.example.com/v2", "https://registry.example.com"),
    ("registry.example.com/prefix/v2/", "https://registry.example.com/prefix"),
])
def test_a_url_ending_in_v2_is_accepted_without_it_and_said_so(raw, normalized):
    url = read_endpoint_url(raw)

    assert url.url == normalized
    assert f"/v2 was removed from the end of the URL: the check adds /v2/ itself ({normalized})." in url.notes


def test_a_scheme_less_url_gets_the_https_notice():
    assert read_endpoint_url("registry.example.com").notes == [
        "No scheme was given: https:// was assumed (https://registry.example.com)."
    ]


def test_a_v2_url_passes_the_provider_rules_and_is_checked_at_v2(serve_http):
    server = serve_http(lambda r: r.reply(200, "{}", REGISTRY_HEADERS))

    verdict = check(server.url + "/v2/", provider="harbor")

    assert server.seen[0].path in ("/api/version", "/v2/")
    assert "/v2/v2/" not in shown(verdict)
    assert "/v2 was removed" in verdict.steps[0].detail


def test_a_repository_path_after_v2_is_still_refused():
    verdict = check("https://registry.example.com/v2/library/nginx")

    assert verdict.category == Category.INVALID
    assert "/v2/library/nginx" in verdict.summary


@pytest.fixture
def ipv6_server(serve_http):
    try:
        return serve_http(lambda r: r.reply(404, "no registry here"), host="::1")
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")


def test_an_ipv6_host_is_shown_in_brackets_with_its_port(ipv6_server):
    url = f"http://[::1]:{ipv6_server.port}"

    verdict = check(url)

    assert verdict.category == Category.NOT_REGISTRY, verdict.as_json()
    text = shown(verdict)
    assert f"[::1]:{ipv6_server.port}" in text
    assert f" ::1:{ipv6_server.port}" not in text and f"(::1:{ipv6_server.port}" not in text


def test_a_refused_ipv6_port_is_shown_in_brackets():
    import socket

    with socket.socket(socket.AF_INET6) as sock:
        try:
            sock.bind(("::1", 0))
        except OSError:
            pytest.skip("no IPv6 loopback on this machine")
        port = sock.getsockname()[1]

        verdict = check(f"http://[::1]:{port}")

    assert verdict.category == Category.CONNECT
    step = failed_step(verdict)
    assert f"[::1]:{port} was refused" in verdict.summary
    assert f"[::1]:{port}" in step.hint and f"::1:{port}" not in step.hint.replace(f"[::1]:{port}", "")


def test_tls_to_a_plain_ipv6_port_names_it_in_brackets(ipv6_server):
    verdict = check(f"https://[::1]:{ipv6_server.port}")

    assert verdict.category == Category.TLS, verdict.as_json()
    assert f"[::1]:{ipv6_server.port} does not speak TLS" in verdict.summary


def test_an_unresolvable_idn_host_is_named_as_the_endpoints_own(monkeypatch):
    import socket

    from endpoints.probe import policy

    def no_such_host(host, port):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(policy, "getaddrinfo", no_such_host)

    verdict = check("https://bücher.example")

    assert verdict.category == Category.DNS
    hint = failed_step(verdict).hint
    assert "xn--bcher-kva.example in Endpoint URL" in hint
    assert "the registry sent this server there" not in hint
