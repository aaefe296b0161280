"""SQL queries per request of the Registries list: constant in the number of registries
(rules and projects included) and at most 8. Timings live in bench/; counts are
deterministic, so they are asserted here and cannot regress."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from endpoints.models import ProxyCacheProject, Registry, ReplicationRule

pytestmark = pytest.mark.django_db

MAX_QUERIES = 8
REQUESTS = {
    "page 1": "/registries/",
    "search": "/registries/?q=mirror",
    "sort by status": "/registries/?sort=status",
    "sort by status, 100 a page": "/registries/?sort=status&per_page=100",
}


def add_registries(count: int) -> None:
    """`count` more registries, each used by a rule, and a proxy-cache project on every
    other one: every row on a page has something in its Used by column."""
    start = Registry.objects.count()
    registries = Registry.objects.bulk_create(
        Registry(
            name=f"reg-{i:03d}",
            provider="harbor",
            url=f"https://registry-{i}.example.com",
            description="EU mirror" if i % 2 else "",
            status=("healthy", "unhealthy", "unknown")[i % 3],
        )
        for i in range(start, start + count)
    )
    ReplicationRule.objects.bulk_create(
        ReplicationRule(name=f"rule-{r.pk}", source_registry=r, destination_registry=r if i % 2 else None)
        for i, r in enumerate(registries)
    )
    ProxyCacheProject.objects.bulk_create(
        ProxyCacheProject(name=f"proj-{r.pk}", registry=r) for r in registries[::2]
    )


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("url", REQUESTS.values(), ids=REQUESTS.keys())
def test_it_runs_the_same_few_queries_for_5_or_120_registries(owner_client, url):
    add_registries(5)
    few = queries_for(owner_client, url)
    add_registries(115)
    many = queries_for(owner_client, url)
    assert many == few
    assert many <= MAX_QUERIES


@pytest.mark.parametrize("url", REQUESTS.values(), ids=REQUESTS.keys())
def test_it_stays_within_8_queries_with_a_full_page(owner_client, django_assert_max_num_queries, url):
    add_registries(120)
    with django_assert_max_num_queries(MAX_QUERIES):
        response = owner_client.get(url)
    html = response.content.decode()
    assert "of 120 items" in html or "of 60 items" in html  # the search matches half
    assert 'href="/registries/' in html and "#used-by" in html  # Used by links rendered


@pytest.mark.parametrize("batch", [1, 40])
def test_storing_a_batch_of_check_results_costs_the_same_queries_whatever_its_size(batch):
    """check_registries stores what finished together in one go: a monitor storing
    thousands of results must not pay several statements per endpoint."""
    from endpoints.probe.result import Verdict

    add_registries(batch)
    registries = list(Registry.objects.all()[:batch])
    verdicts = [(r, Verdict(i % 2 == 0, "ok" if i % 2 == 0 else "timeout", "s", elapsed_ms=5))
                for i, r in enumerate(registries)]

    with CaptureQueriesContext(connection) as queries:
        Registry.record_verdicts(verdicts)

    assert len(queries) <= 4, [q["sql"][:80] for q in queries]
    assert Registry.objects.exclude(status="unknown").count() >= batch


def test_the_check_history_keeps_the_last_twenty_per_endpoint():
    from endpoints.models import HealthCheck
    from endpoints.probe.result import Verdict

    add_registries(2)
    first, second = Registry.objects.order_by("pk")[:2]
    for n in range(25):
        Registry.record_verdicts([(first, Verdict(True, "ok", f"n{n}", elapsed_ms=n)),
                                  (second, Verdict(False, "dns", f"m{n}", elapsed_ms=n))])

    for registry in (first, second):
        kept = list(HealthCheck.objects.filter(registry=registry).values_list("elapsed_ms", flat=True))
        assert sorted(kept) == list(range(5, 25))
