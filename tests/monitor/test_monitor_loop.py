"""The monitor in this process (a thread), against the real docker-registry, a black hole
and a local webhook receiver, with intervals of a few seconds. Times are asserted with
generous bounds only. The command's own process (SIGTERM, SIGKILL and the lease's
hand-over) is in test_monitor_process.py."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest

from endpoints.models import HealthCheck, Registry
from monitor.lease import Lease
from monitor.models import Event, NotificationChannel
from monitor.runner import Monitor
from tests.fixtures.local_servers import REGISTRY_HEADERS, black_hole, wait_until
from tests.fixtures.webhook_receiver import signature_is_valid

pytestmark = pytest.mark.django_db(transaction=True)


class Running:
    """A monitor running in a thread until the test ends."""

    def __init__(self, **options) -> None:
        self.monitor = Monitor(**options)
        self.thread = threading.Thread(target=self.monitor.run, daemon=True)
        self.thread.start()

    def stop(self, within: float = 15.0) -> float:
        started = time.monotonic()
        self.monitor.stop()
        self.thread.join(within)
        assert not self.thread.is_alive(), "the monitor did not stop"
        return time.monotonic() - started


@pytest.fixture
def start_monitor():
    running: list[Running] = []

    def start(**options) -> Running:
        options.setdefault("lease_seconds", 3)
        running.append(Running(**options))
        return running[-1]

    yield start
    for each in running:
        if each.thread.is_alive():
            each.stop()


def check_times(registry: Registry) -> list[float]:
    return sorted(check.checked_at.timestamp() for check in HealthCheck.objects.filter(registry=registry))


def test_every_endpoint_is_checked_once_per_interval_without_anyone_clicking(
        make_registry, registry_open, serve_raw, settings, start_monitor):
    settings.ENDPOINT_TEST_DEADLINE = 1.5
    hole = serve_raw(black_hole)
    up = make_registry(name="up", url=registry_open.url)
    down = make_registry(name="hole", url=hole.url)

    running = start_monitor(interval=2, pool=4)
    time.sleep(7)
    running.stop()

    for registry in (up, down):
        times = check_times(registry)
        assert 3 <= len(times) <= 5, (registry.name, times)
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
        assert all(1.0 < gap < 3.6 for gap in gaps), (registry.name, gaps)
    assert set(HealthCheck.objects.values_list("checked_by", flat=True)) == {None}
    assert Registry.objects.get(pk=up.pk).status == "healthy"
    down.refresh_from_db()
    assert (down.status, down.status_category) == ("unhealthy", "timeout")


def test_checks_are_spread_over_the_interval_not_all_at_once(make_registry, registry_open, start_monitor):
    registries = [make_registry(name=f"r{i:02}", url=registry_open.url) for i in range(12)]

    running = start_monitor(interval=4, pool=16)
    # (Polled in memory: on the tests' in-memory SQLite a read here could lock out a write.)
    assert wait_until(lambda: running.monitor.checked >= 12, timeout=8)
    running.stop()

    first = sorted(check_times(registry)[0] for registry in registries)
    assert first[-1] - first[0] > 2.0, first  # over most of the 4 s, not in one burst
    buckets = Counter(int(moment * 2) for moment in first)  # half-second windows
    assert max(buckets.values()) <= 4, buckets


def test_only_the_lease_holder_checks(make_registry, registry_open, start_monitor):
    make_registry(name="up", url=registry_open.url)
    first = start_monitor(interval=1, holder="first")
    assert wait_until(lambda: first.monitor.checked > 0, timeout=5)
    second = start_monitor(interval=1, holder="second")
    time.sleep(3)

    assert first.monitor.holding and not second.monitor.holding
    assert second.monitor.checked == 0
    first.stop()
    assert wait_until(lambda: second.monitor.checked > 0, timeout=6)  # released: taken at once


def test_stopping_finishes_the_checks_in_flight_and_releases_the_lease(
        make_registry, serve_raw, settings, start_monitor):
    settings.ENDPOINT_TEST_DEADLINE = 2
    hole = serve_raw(black_hole)
    registry = make_registry(name="hole", url=hole.url)
    running = start_monitor(interval=6, holder="stopping")
    assert wait_until(lambda: hole.accepted > 0, timeout=8)  # its check hangs in the black hole

    took = running.stop()

    assert 1 < took < 2 + 3  # waited for the check's deadline, not longer
    (check,) = HealthCheck.objects.filter(registry=registry)  # the check in flight was stored
    assert check.category == "timeout"
    assert Lease.current() is None


def test_a_stopped_registry_alerts_one_signed_webhook_not_one_per_check(
        make_registry, serve_http, receiver, settings, start_monitor):
    settings.HEALTH_ALERT_AFTER = 2
    server = serve_http(lambda request: request.reply(200, "{}", REGISTRY_HEADERS) if server.state["up"]
                        else request.reply(503, "stopped"))
    server.state["up"] = True
    channel = NotificationChannel(name="ops", kind="webhook", url=receiver.url)
    channel.set_secret("whsec-loop-test-0123456789")
    channel.save()
    registry = make_registry(name="mirror", url=server.url)

    running = start_monitor(interval=1)
    assert wait_until(lambda: running.monitor.checked > 0, timeout=5)
    server.state["up"] = False
    assert wait_until(lambda: len(receiver.received) == 1, timeout=8)
    time.sleep(3)  # three more failed checks: nothing more to say
    running.stop()

    (post,) = receiver.received
    assert post.json()["event"] == "unhealthy" and post.json()["endpoint"]["name"] == "mirror"
    assert signature_is_valid(post, "whsec-loop-test-0123456789")
    assert list(Event.objects.values_list("kind", flat=True)) == ["unhealthy"]
    assert HealthCheck.objects.filter(registry=registry, ok=False).count() >= 4
