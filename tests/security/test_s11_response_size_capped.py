"""S11: a remote that streams 50 MB, or a gzip bomb, costs at most 64 KiB read (and
decoded), and the body's text is not echoed beyond a short sanitized excerpt."""

from __future__ import annotations

import re
import time
import tracemalloc

import pytest

from endpoints.probe.http import BODY_CAP, OutboundClient
from tests.fixtures.local_servers import gzip_bomb
from tests.fixtures.probing import check, shown
from tests.forms import registry_form

MARKER = b"BODYTEXT-" * 7282  # ~64 KiB of recognisable text per chunk
FIFTY_MB = 50 * 1024 * 1024


def streaming(server_state: dict, status: int, content_type: str):
    def reply(request):
        remaining = [FIFTY_MB]

        def chunk():
            if remaining[0] <= 0:
                return None
            remaining[0] -= len(MARKER)
            return MARKER

        server_state["sent"] = request.stream(
            status, {"Content-Type": content_type, "Content-Length": str(FIFTY_MB)}, chunk
        )

    return reply


def test_a_50_mb_body_is_cut_at_64_kib_and_not_echoed(serve_http):
    state: dict = {}
    server = serve_http(streaming(state, 200, "text/plain"))

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
    assert state["sent"] < 16 * 1024 * 1024


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


@pytest.mark.django_db
def test_an_error_page_of_50_mb_shows_at_most_a_short_excerpt(owner_client, serve_http):
    """Through the page: a 500 whose body is 50 MB of text. The JSON answer stays small and
    quotes at most the 160-character excerpt."""
    state: dict = {}
    server = serve_http(streaming(state, 500, "text/html"))

    started = time.monotonic()
    response = owner_client.post("/registries/test/", registry_form(url=server.url, action="test"),
                                 HTTP_ACCEPT="application/json")
    took = time.monotonic() - started

    answer = response.json()
    assert (answer["ok"], answer["category"]) == (False, "http"), answer
    assert took < 3
    assert len(response.content) < 4096
    runs = re.findall(rb"(?:BODYTEXT-?|ODYTEXT-|DYTEXT-|YTEXT-|TEXT-|EXT-|XT-|T-)+", response.content)
    assert runs and max(len(run) for run in runs) <= 160  # the excerpt, in the summary and the step


@pytest.mark.django_db
def test_a_gzip_bomb_through_check_now_stores_a_short_reason(owner_client, make_registry, serve_http):
    bomb = gzip_bomb(32)
    server = serve_http(lambda r: r.reply(200, bomb, {
        "Content-Encoding": "gzip", "Content-Type": "application/json",
    }))
    registry = make_registry(name="bomb", url=server.url)

    response = owner_client.post(f"/registries/{registry.pk}/check/", HTTP_ACCEPT="application/json")

    assert response.json()["category"] == "not_registry"
    registry.refresh_from_db()
    assert registry.status == "unhealthy" and len(registry.status_detail) <= 500
