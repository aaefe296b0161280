"""The monitor's long-lived pool (services.CheckStream): checks are fed as they fall due,
at most `workers` at a time, and come back as they finish; a slow endpoint does not hold
back the others' results. Against the real docker-registry and a black hole."""

from __future__ import annotations

import time

import pytest

from endpoints import services
from endpoints.models import HealthCheck, Registry
from tests.fixtures.local_servers import black_hole

pytestmark = pytest.mark.django_db


def collect_all(stream: services.CheckStream, count: int, within: float = 10.0) -> list:
    results, end = [], time.monotonic() + within
    while len(results) < count and time.monotonic() < end:
        results += stream.collect(timeout=0.2)
    return results


def test_results_come_back_as_they_finish(make_registry, registry_open, serve_raw, settings):
    settings.ENDPOINT_TEST_DEADLINE = 2
    hole = serve_raw(black_hole)
    slow = make_registry(name="hole", url=hole.url)
    fast = make_registry(name="open", url=registry_open.url)
    stream = services.CheckStream(workers=2)
    try:
        stream.submit(slow)
        stream.submit(fast)
        assert stream.free == 0 and stream.in_flight == {slow.pk, fast.pk}

        first = stream.collect(timeout=1.5)
        assert [(registry.name, verdict.ok) for registry, verdict in first] == [("open", True)]
        assert stream.in_flight == {slow.pk}

        (second,) = collect_all(stream, 1)
        assert second[0].name == "hole" and second[1].category == "timeout"
        assert stream.free == 2
    finally:
        stream.close()


def test_the_caller_stores_a_batch_in_one_go_as_a_scheduled_check(make_registry, registry_open):
    registry = make_registry(name="open", url=registry_open.url)
    stream = services.CheckStream(workers=4)
    try:
        stream.submit(registry)
        results = collect_all(stream, 1)
    finally:
        stream.close()

    services.store_scheduled(results)

    check = HealthCheck.objects.get(registry=registry)
    assert check.ok and check.checked_by is None
    assert Registry.objects.get(pk=registry.pk).status == "healthy"


def test_an_undecryptable_secret_is_invalid_without_any_connection(make_registry, registry_basic, dialled):
    registry = make_registry(name="basic", url=registry_basic.url, access_id="ci", secret="x")
    Registry.objects.filter(pk=registry.pk).update(access_secret_encrypted="v1:gone:AAAA")
    registry.refresh_from_db()
    stream = services.CheckStream(workers=1)
    try:
        stream.submit(registry)
        ((_, verdict),) = collect_all(stream, 1)
    finally:
        stream.close()

    assert verdict.category == "invalid" and "cannot be decrypted" in verdict.summary
    assert dialled == []
