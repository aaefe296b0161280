"""S7: ENDPOINT_ALLOW_NETWORKS / ENDPOINT_DENY_NETWORKS are honoured as configured, also
for the numeric IPv4 spellings the resolver accepts (`2130706433`, `0x7f000001`, ...)."""

from __future__ import annotations

import ipaddress
import json

import pytest

from endpoints.probe import policy
from tests.fixtures import cli
from tests.fixtures.local_servers import REGISTRY_HEADERS
from tests.fixtures.probing import check, failed_step, step_named


def registry_reply(request):
    request.reply(200, "{}", REGISTRY_HEADERS)


def test_it_blocks_addresses_outside_the_allow_list(serve_http, settings):
    server = serve_http(registry_reply)
    settings.ENDPOINT_ALLOW_NETWORKS = ["10.0.0.0/8", "192.168.0.0/16"]

    verdict = check(server.url)

    assert verdict.category == "blocked"
    step = failed_step(verdict)
    assert step.name == "Address policy"
    assert ("127.0.0.1 is outside ENDPOINT_ALLOW_NETWORKS (10.0.0.0/8, 192.168.0.0/16, a server setting)"
            in verdict.summary)
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
        denied.summary
    )
    assert dialled == ["127.0.0.1"]  # the allowed check's pre-flight connection, used by its request
    assert len(server.seen) == 1


@pytest.mark.parametrize("spelling", ["2130706433", "0x7f000001"])
def test_numeric_spellings_are_checked_against_the_allow_list_too(spelling, serve_http, settings):
    server = serve_http(registry_reply)
    settings.ENDPOINT_ALLOW_NETWORKS = ["10.0.0.0/8"]

    verdict = check(f"http://{spelling}:{server.port}")

    assert verdict.category == "blocked"
    assert "127.0.0.1 is outside ENDPOINT_ALLOW_NETWORKS" in verdict.summary
    assert server.seen == []


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


@pytest.mark.parametrize("name, value", [
    ("ENDPOINT_DENY_NETWORKS", ["not-a-network"]),
    ("ENDPOINT_ALLOW_NETWORKS", ["10.0.0.0/33"]),
])
def test_a_malformed_network_setting_fails_closed_and_is_named(name, value, settings, dialled):
    setattr(settings, name, value)

    verdict = check("http://127.0.0.1:9")

    assert verdict.category == "invalid"
    assert name in verdict.summary and name in failed_step(verdict).hint
    assert dialled == []


def test_the_environment_variables_reach_the_policy(serve_http, tmp_path):
    """As an operator configures it: the variables in the environment of ping_endpoint."""
    server = serve_http(registry_reply)
    def ping(host: str, **extra: str) -> tuple[int, dict]:
        settings = {"ENDPOINT_DENY_NETWORKS": "169.254.0.0/16,127.0.0.0/8", **extra}
        result = cli.ping_endpoint(tmp_path, "docker-registry", f"http://{host}:{server.port}", "--json",
                                   **settings)
        return result.returncode, json.loads(result.stdout)

    for spelling in ("127.0.0.1", "2130706433", "0x7f000001"):
        code, answer = ping(spelling)
        assert (code, answer["category"]) == (1, "blocked"), answer
    code, answer = ping("127.0.0.1", ENDPOINT_DENY_NETWORKS="", ENDPOINT_ALLOW_NETWORKS="10.0.0.0/8")
    assert (code, answer["category"]) == (1, "blocked"), answer
    assert server.seen == []
    code, answer = ping("0x7f000001", ENDPOINT_DENY_NETWORKS="", ENDPOINT_ALLOW_NETWORKS="127.0.0.0/8")
    assert (code, answer["category"]) == (0, "ok"), answer
    assert len(server.seen) == 1
