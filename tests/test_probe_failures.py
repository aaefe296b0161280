"""Hostile or broken remotes (SECURITY S11–S12): black holes, slow drips, huge bodies,
gzip bombs, unresolvable names and closed ports all end in a verdict, on time."""

from __future__ import annotations

import socket
import time
import tracemalloc

import pytest

from endpoints.probe.http import BODY_CAP, OutboundClient
from tests.fixtures.local_servers import REGISTRY_HEADERS, black_hole, gzip_bomb, slow_drip
from tests.fixtures.probing import check, failed_step, shown

DEADLINE_S = 2.0


@pytest.fixture
def short_deadline(settings):
    settings.ENDPOINT_TEST_DEADLINE = DEADLINE_S
    return DEADLINE_S


def timed_check(url: str, **kwargs):
    started = time.monotonic()
    verdict = check(url, **kwargs)
    return verdict, time.monotonic() - started


def test_a_black_hole_gets_a_verdict_within_the_deadline(serve_raw, short_deadline):
    server = serve_raw(black_hole)

    verdict, took = timed_check(server.url, username="ci", password="pw-black-hole")

    assert took < short_deadline + 0.5, took
    assert verdict.category == "timeout"
    step = failed_step(verdict)
    assert step.name == f"GET {server.url}/v2/"
    assert "ENDPOINT_TEST_DEADLINE (2 s)" in step.detail
    assert "127.0.0.1" in step.hint
    assert verdict.elapsed_ms < (short_deadline + 0.5) * 1000


def test_a_black_hole_behind_https_times_out_in_the_tls_step(serve_raw, short_deadline):
    server = serve_raw(black_hole)

    verdict, took = timed_check(server.url.replace("http://", "https://"))

    assert took < short_deadline + 0.5, took
    assert verdict.category == "timeout"
    assert failed_step(verdict).name == "TLS"


def test_the_read_timeout_applies_before_the_deadline(serve_raw, settings):
    settings.ENDPOINT_READ_TIMEOUT = 0.5
    server = serve_raw(black_hole)

    verdict, took = timed_check(server.url)

    assert took < 1.5, took
    assert verdict.category == "timeout"
    assert "no answer within ENDPOINT_READ_TIMEOUT (0.5 s)" in failed_step(verdict).detail


def test_a_slow_drip_gets_a_verdict_within_the_deadline(serve_raw, short_deadline):
    # One byte every 0.1 s: no single read ever waits long, the headers never end.
    server = serve_raw(slow_drip(0.1))

    verdict, took = timed_check(server.url)

    assert took < short_deadline + 0.5, took
    assert verdict.category == "timeout"
    assert failed_step(verdict).name == f"GET {server.url}/v2/"
    assert "ENDPOINT_TEST_DEADLINE" in failed_step(verdict).detail


def test_run_check_takes_a_deadline_argument(serve_raw):
    server = serve_raw(black_hole)

    verdict, took = timed_check(server.url, deadline_s=1.0)

    assert took < 1.5, took
    assert verdict.category == "timeout"
    assert "(1 s)" in failed_step(verdict).detail


def test_a_50_mb_body_is_cut_at_64_kib_and_not_echoed(serve_http):
    marker = b"BODYTEXT-" * 7282  # ~64 KiB of recognisable text per chunk
    total = 50 * 1024 * 1024

    def huge(request):
        remaining = [total]

        def chunk():
            if remaining[0] <= 0:
                return None
            remaining[0] -= len(marker)
            return marker

        server.state["sent"] = request.stream(
            200, {"Content-Type": "text/plain", "Content-Length": str(total)}, chunk
        )

    server = serve_http(huge)

    started = time.monotonic()
    response = OutboundClient().request("GET", server.url + "/v2/")
    took = time.monotonic() - started
    verdict = check(server.url)

    assert len(response.body) == BODY_CAP and response.truncated
    assert took < 2
    assert verdict.category == "not_registry"
    assert "BODYTEXT" not in shown(verdict)
    # The client hung up long before 50 MB: the kernel buffers are all that got through.
    time.sleep(0.1)
    assert server.state["sent"] < 16 * 1024 * 1024


def test_a_gzip_bomb_is_decoded_at_most_to_64_kib(serve_http):
    bomb = gzip_bomb(32)  # 32 MiB of zeros in ~32 KiB: under the raw cap, 500× over decoded
    server = serve_http(lambda r: r.reply(200, bomb, {
        "Content-Encoding": "gzip", "Content-Type": "application/json",
    }))

    tracemalloc.start()
    try:
        response = OutboundClient().request("GET", server.url + "/v2/")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    verdict = check(server.url)

    assert peak < 4 * 1024 * 1024, peak  # never inflated the 32 MiB, even briefly
    assert len(bomb) < BODY_CAP
    assert len(response.body) <= BODY_CAP and response.truncated
    assert response.json() is None
    assert verdict.category == "not_registry"


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
    assert "registry.nosuchhost.invalid cannot be resolved" in step.detail
    assert "registry.nosuchhost.invalid in Endpoint URL" in step.hint


def test_a_closed_port_is_a_connect_failure():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connections are refused

        verdict = check(f"http://127.0.0.1:{port}")

    assert verdict.category == "connect"
    step = failed_step(verdict)
    assert step.name == "TCP connect"
    assert f"127.0.0.1:{port} refused the connection" in step.detail
    assert f"Check the port in Endpoint URL (127.0.0.1:{port})" in step.hint


def test_a_server_that_hangs_up_is_a_connect_failure(serve_raw):
    server = serve_raw(lambda conn, stopping: (conn.recv(1024), conn.close()))

    verdict = check(server.url)

    assert verdict.category == "connect"
    assert "closed the connection without an HTTP answer" in failed_step(verdict).detail


def test_invalid_input_fails_before_any_network_step():
    verdict = check("ftp://registry.example.test")

    assert verdict.category == "invalid"
    assert [s.name for s in verdict.steps] == ["Check input"]
