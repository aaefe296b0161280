"""Benchmark 1: the Registries list against the Django admin changelist of the same rows.

For 100, 1 000 and 10 000 registries (each with replication rules and proxy-cache
projects pointing at them) it requests page 1, a search and the sort by status through
Django's test client, interleaving the list and the admin, and prints the median (min–max)
time, the ratio to the admin and the SQL queries of one request.

The list shows 15 rows by default and the admin 100, so the list is also measured at
per_page=100 (the same number of rows rendered: the like-for-like comparison).

The sort by status is measured a second time on the index it had before P4 (`status`
alone instead of `(status, name)`, swapped with the schema editor and restored), for the
before/after of P4 in the same run.

    .venv/bin/python bench/list_page.py            # 100, 1 000, 10 000 rows; 20 requests each
    .venv/bin/python bench/list_page.py --quick    # 100 and 1 000 rows only
    .venv/bin/python bench/list_page.py --profile  # also cProfile the slowest list request
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import pstats
import random

import _common

SEARCH = "mirror"  # in one description out of ten
CASES = [
    # (label, list URL, admin URL)
    ("page 1", "/registries/", "/admin/endpoints/registry/"),
    ("search", f"/registries/?q={SEARCH}", f"/admin/endpoints/registry/?q={SEARCH}"),
    ("sort by status", "/registries/?sort=status", "/admin/endpoints/registry/?o=4"),
]
PROVIDERS = ["harbor", "docker-hub", "docker-registry", "aws-ecr", "azure-acr", "quay", "gitlab"]
PROXY_CACHE = {"harbor", "docker-hub", "aws-ecr", "azure-acr", "quay"}
STATUSES = ["healthy", "unhealthy", "unknown"]


def build_fleet(size: int, seed: int = 5) -> None:
    """`size` registries; about one rule per registry (source, destination or both) and one
    proxy-cache project per two proxy-cache-capable registries."""
    from django.db import transaction
    from django.utils import timezone

    from endpoints import secrets
    from endpoints.models import ProxyCacheProject, Registry, ReplicationRule

    rng = random.Random(seed)
    envelope = secrets.encrypt("bench-secret")  # one ciphertext: realistic row width, no cost
    now = timezone.now()
    with transaction.atomic():
        Registry.objects.bulk_create(
            [
                Registry(
                    name=f"reg-{i:05d}",
                    provider=PROVIDERS[i % len(PROVIDERS)],
                    url=f"https://registry-{i}.example.com",
                    description="EU mirror for team builds" if i % 10 == 0 else f"endpoint {i}",
                    access_id=f"robot$bench-{i}",
                    access_secret_encrypted=envelope,
                    status=STATUSES[i % 3],
                    status_detail="" if i % 3 else "reachable",
                    last_checked_at=now - dt.timedelta(minutes=i % 90),
                )
                for i in range(size)
            ],
            batch_size=500,
        )
        registries = list(Registry.objects.values_list("pk", "provider"))
        pks = [pk for pk, _ in registries]
        rules = []
        for i in range(size):
            source, destination = rng.choice(pks), rng.choice(pks)
            kind = i % 3
            rules.append(ReplicationRule(
                name=f"rule-{i:05d}",
                source_registry_id=source if kind != 1 else None,
                destination_registry_id=destination if kind != 0 else None,
            ))
        ReplicationRule.objects.bulk_create(rules, batch_size=500)
        capable = [pk for pk, provider in registries if provider in PROXY_CACHE]
        ProxyCacheProject.objects.bulk_create(
            [ProxyCacheProject(name=f"proj-{i:05d}", registry_id=rng.choice(capable))
             for i in range(len(capable) // 2)],
            batch_size=500,
        )
    # Both sides rely on the same indexes and statistics: give the planner its numbers.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def clear_fleet() -> None:
    from endpoints.models import HealthCheck, ProxyCacheProject, Registry, ReplicationRule

    ProxyCacheProject.objects.all().delete()
    ReplicationRule.objects.all().delete()
    HealthCheck.objects.all().delete()
    Registry.objects.all().delete()


def swap_status_index(before_p4: bool) -> None:
    """Replace the (status, name) index of migration 0003 with the earlier (status) one, or
    back; then ANALYZE so the planner sees the change."""
    from django.db import connection, models

    from endpoints.models import Registry

    current = next(i for i in Registry._meta.indexes if i.fields and i.fields[0] == "status")
    old = models.Index(fields=["status"], name="endpoints_r_status_8055f9_idx")
    with connection.schema_editor() as editor:
        editor.remove_index(Registry, current if before_p4 else old)
        editor.add_index(Registry, old if before_p4 else current)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def count_queries(client, url: str) -> tuple[int, list[str]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(captured), [q["sql"] for q in captured.captured_queries]


def fetch(client, url: str):
    def run() -> None:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    return run


def profile_request(client, url: str, top: int = 25) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(5):
        client.get(url)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="100 and 1 000 rows only")
    parser.add_argument("--sizes", type=int, nargs="*", help="registry counts (default 100 1000 10000)")
    parser.add_argument("--repeat", type=int, default=20, help="requests per figure (default 20)")
    parser.add_argument("--profile", action="store_true", help="cProfile the slowest list request")
    parser.add_argument("--show-sql", action="store_true", help="print the list's SQL at each size")
    args = parser.parse_args()
    sizes = args.sizes or ([100, 1000] if args.quick else [100, 1000, 10000])

    _common.setup_django()
    _common.header("Registries list vs Django admin changelist",
                   "python bench/list_page.py" + (" --quick" if args.quick else ""))
    client = _common.logged_in_client(_common.staff_user())

    rows = []
    query_rows = []
    slowest: tuple[float, str] = (0.0, "")
    for size in sizes:
        clear_fleet()
        build_fleet(size)
        cases = [(label, list_url, admin_url, False) for label, list_url, admin_url in CASES]
        cases.append(("sort by status, before P4", CASES[2][1], CASES[2][2], True))
        for label, list_url, admin_url, before_p4 in cases:
            if before_p4:
                swap_status_index(before_p4=True)
            list_100 = list_url + ("&" if "?" in list_url else "?") + "per_page=100"
            stats = _common.measure_interleaved(
                {"list": fetch(client, list_url), "list100": fetch(client, list_100),
                 "admin": fetch(client, admin_url)},
                repeat=args.repeat,
            )
            n_list, sql = count_queries(client, list_url)
            n_list100, _ = count_queries(client, list_100)
            n_admin, _ = count_queries(client, admin_url)
            admin = stats["admin"].median
            met = stats["list"].median <= admin and stats["list100"].median <= admin
            rows.append([
                f"{size:,}".replace(",", " "), label, stats["admin"].ms(), stats["list"].ms(),
                _common.ratio(stats["list"], stats["admin"]), stats["list100"].ms(),
                _common.ratio(stats["list100"], stats["admin"]), "yes" if met else "**no**",
            ])
            query_rows.append([f"{size:,}".replace(",", " "), label, n_list, n_list100, n_admin])
            if not before_p4 and stats["list100"].median > slowest[0]:
                slowest = (stats["list100"].median, list_100)
            if args.show_sql:
                print(f"\n-- {size} rows, {label}:")
                for statement in sql:
                    print("   ", statement[:600])
            if before_p4:
                swap_status_index(before_p4=False)
        print(f"  ... {size} rows done", flush=True)

    _common.print_table(
        ["rows", "request", "admin (100 rows) ms", "list (15 rows) ms", "list/admin",
         "list per_page=100 ms", "list100/admin", "≤ 1.0×?"],
        rows,
        title=f"Time per request: median (min–max) of {args.repeat}, interleaved",
    )
    _common.print_table(
        ["rows", "request", "list queries", "list per_page=100 queries", "admin queries"],
        query_rows,
        title="SQL queries per request (target: constant in N and ≤ 8)",
    )
    if args.profile and slowest[1]:
        print(f"\n### cProfile of 5 × {slowest[1]} ({sizes[-1]} rows)\n```")
        print(profile_request(client, slowest[1]))
        print("```")


if __name__ == "__main__":
    main()
