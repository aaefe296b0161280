"""Broken remotes: small gzip bodies, unresolvable names, closed ports and hang-ups end in
a clear verdict. Black holes, slow drips, huge bodies and gzip bombs (S11, S12) are in
tests/security/."""

from __future__ import annotations

import socket

from endpoints.probe.http import OutboundClient
from tests.fixtures.local_servers import REGISTRY_HEADERS
from tests.fixtures.probing import check, failed_step

DEADLINE_S = 2.0


def test_a_small_gzip_body_is_decoded(serve_http):
    import gzip

    server = serve_http(lambda r: r.reply(200, gzip.compress(b'{"ok": true}'), {
        "Content-Encoding": "gzip", **REGISTRY_HEADERS,
    }))

    response = OutboundClient().request("GET", server.url + "/v2/")

    assert response.json() == {"ok": True} and not response.truncated


def test_an_unresolvable_name_is_a_dns_failure():
    verdict = check("https://registry.nosuchhost.invalid")

    assert verdict.category == "dns"
    step = failed_step(verdict)
    assert step.name == "DNS"
    assert "registry.nosuchhost.invalid cannot be resolved" in verdict.summary
    assert "registry.nosuchhost.invalid in Endpoint URL" in step.hint


def test_a_closed_port_is_a_connect_failure():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connections are refused

        verdict = check(f"http://127.0.0.1:{port}")

    assert verdict.category == "connect"
    step = failed_step(verdict)
    assert step.name == "TCP connect"
    assert f"The connection to 127.0.0.1:{port} was refused" in verdict.summary
    assert f"Check the port in Endpoint URL (127.0.0.1:{port})" in step.hint


def test_a_server_that_hangs_up_is_a_connect_failure(serve_raw):
    server = serve_raw(lambda conn, stopping: (conn.recv(1024), conn.close()))

    verdict = check(server.url)

    assert verdict.category == "connect"
    assert "closed the connection without an HTTP answer" in verdict.summary


def test_invalid_input_fails_before_any_network_step():
    verdict = check("ftp://registry.example.test")

    assert verdict.category == "invalid"
    assert [s.name for s in verdict.steps] == ["Check input"]


def test_an_unsupported_challenge_fails_in_the_v2_step(serve_http):
    server = serve_http(lambda r: r.reply(401, b"", {"WWW-Authenticate": "Negotiate"}))
    verdict = check(server.url, "ci", "pw")
    assert verdict.category == "provider"
    step = failed_step(verdict)
    assert step.name == f"GET {server.url}/v2/"
    assert "unsupported authentication scheme “negotiate”" in verdict.summary
    assert "Bearer or Basic" in step.hint
    assert ".." not in verdict.summary
