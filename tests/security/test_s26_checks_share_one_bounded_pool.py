"""S26: one user cannot exhaust the server's threads. A bulk Check now of 100 endpoints
runs in the process's one shared pool (CHECK_NOW_POOL threads), never a thread and a
connection per endpoint; what cannot start within half the test deadline is reported as
not checked and stored as nothing (a busy server is not an unhealthy endpoint). Parallel
tests by one user are capped by S25's ENDPOINT_TESTS_CONCURRENT."""

from __future__ import annotations

import threading
import time

import pytest

from endpoints.models import Registry
from tests.fixtures.local_servers import black_hole

POOL = 8
DEADLINE_S = 2.0


@pytest.fixture
def small_pool(settings):
    settings.CHECK_NOW_POOL = POOL
    settings.ENDPOINT_TEST_DEADLINE = DEADLINE_S


def test_a_bulk_check_of_100_endpoints_uses_the_shared_pool(owner_client, make_registry, serve_raw,
                                                            small_pool):
    server = serve_raw(black_hole)
    ids = [make_registry(name=f"hole-{n:03}", url=server.url).pk for n in range(100)]
    before = {thread.ident for thread in threading.enumerate()}
    peak = {"threads": 0}
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.02):
            # Threads this request made, not the black hole's own (one per connection).
            made = [t for t in threading.enumerate() if t.ident not in before
                    and t is not threading.current_thread() and not t.name.endswith("(black_hole)")]
            peak["threads"] = max(peak["threads"], len(made))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.monotonic()
    page = owner_client.post("/registries/bulk/", {"action": "check", "ids": ids}, follow=True)
    took = time.monotonic() - started
    stop.set()
    sampler.join()

    assert page.status_code == 200
    # Connections opened: each pool thread's check dials twice (DNS/TCP/TLS pre-flight, then
    # the request), one at a time.
    assert server.accepted <= 2 * POOL
    assert 0 < peak["threads"] <= POOL, peak  # the shared pool's threads, nothing per endpoint
    assert took < DEADLINE_S * 1.5 + 1, took
    checked = Registry.objects.filter(status=Registry.Status.UNHEALTHY).count()
    assert 0 < checked <= POOL  # the black holes that got a thread timed out...
    text = page.content.decode()
    # ...the others are said to be not checked, with nothing stored for them.
    assert text.count("Not checked: this server&#x27;s checks were all busy") == 100 - checked
    assert Registry.objects.filter(status=Registry.Status.UNKNOWN).count() == 100 - checked


@pytest.mark.django_db(transaction=True)
def test_check_now_waits_for_the_same_threads_as_a_running_bulk_check(make_registry, serve_raw,
                                                                       small_pool):
    """While one request's bulk check holds every thread of the pool, another request's
    Check now gets no thread of its own: it is reported as not checked, nothing stored."""
    from endpoints import services

    server = serve_raw(black_hole)
    bulk = [make_registry(name=f"hole-{n:03}", url=server.url) for n in range(POOL)]
    single = make_registry(name="single", url=server.url)
    running = threading.Thread(target=services.check_registries, args=(bulk,), kwargs={"shared": True})
    running.start()
    time.sleep(0.3)  # the bulk check has taken every thread

    ((_, verdict),) = services.check_registries([single], shared=True)
    running.join()

    assert verdict is None
    assert server.accepted <= 2 * POOL
    single.refresh_from_db()
    assert single.status == Registry.Status.UNKNOWN
    assert Registry.objects.filter(status=Registry.Status.UNHEALTHY).count() == POOL
