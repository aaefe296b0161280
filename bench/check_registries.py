"""Benchmark 3: `check_registries` on 200 endpoints behind a server adding 200 ms latency.

A local HTTP server (tests/fixtures/local_servers.HTTPServerThread, in a child process)
answers every `GET <prefix>/v2/` like an open registry, after sleeping 200 ms. 200 Docker Registry
endpoints (distinct path prefixes, no credentials: one request each) are checked with
`python manage.py check_registries` (call_command, same process). The lower bound for a
pool of P concurrent checks is ceil(200 / P) × 200 ms; the target is ≤ 1.5× the bound at
the default pool (CHECK_REGISTRIES_POOL, 16), which must be ≥ 16.

Peak memory is measured in a separate run under tracemalloc (Python allocations), with
the process's peak RSS, since tracing slows the run.

For comparison in the same run (not with --quick): the default pool and pool 64 as before
P1 (services.check_registries' per-batch transaction switched off, so every write commits
on its own) and with SQLite in WAL mode, synchronous=NORMAL (proposal P1b, not applied).

    .venv/bin/python bench/check_registries.py              # pools 16 (default), 32, 64; 3 runs each
    .venv/bin/python bench/check_registries.py --quick      # default pool only, 2 runs
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import multiprocessing
import resource
import time
import tracemalloc
import types

import _common

ENDPOINTS = 200
LATENCY_S = 0.2


def _serve_slow_registry(latency_s: float, conn) -> None:
    from http.server import ThreadingHTTPServer

    from tests.fixtures.local_servers import REGISTRY_HEADERS, HTTPServerThread, Request

    # socketserver's default listen backlog (5) would drop SYNs when 16+ checks connect
    # at once, adding 1 s retransmits that are the benchmark's fault, not harborreg's.
    ThreadingHTTPServer.request_queue_size = 1024

    def slow_open_registry(request: Request) -> None:
        time.sleep(latency_s)
        status = 200 if request.path.endswith("/v2/") else 404
        request.reply(status, b"{}", REGISTRY_HEADERS)

    server = HTTPServerThread(slow_open_registry).start()
    conn.send(server.url)
    conn.recv()  # until the benchmark says stop
    server.stop()


class SlowRegistry:
    """The latency server in its own process, so its threads do not compete with the
    checks for this process's GIL (a remote registry would not either)."""

    def __init__(self, latency_s: float = LATENCY_S) -> None:
        context = multiprocessing.get_context("fork")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve_slow_registry, args=(latency_s, child), daemon=True)
        self._process.start()
        self.url = self._conn.recv()

    def stop(self) -> None:
        self._conn.send("stop")
        self._process.join(10)


def create_endpoints(url: str) -> None:
    from endpoints.models import Registry

    Registry.objects.bulk_create(
        Registry(name=f"slow-{i:03d}", provider="docker-registry", url=f"{url}/r{i}")
        for i in range(ENDPOINTS)
    )


def run_command(pool: int | None) -> None:
    from django.core.management import call_command

    args = ["check_registries"] + ([f"--pool={pool}"] if pool else [])
    out = io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=out)
    except SystemExit as exc:
        raise AssertionError("an endpoint was unhealthy:\n" + out.getvalue()[-2000:]) from exc
    assert f"checked={ENDPOINTS} healthy={ENDPOINTS}" in out.getvalue(), out.getvalue()[-2000:]


@contextlib.contextmanager
def without_p1():
    """check_registries as before P1: no transaction around a batch of results, so each
    write is its own autocommit transaction (one fsync each on SQLite)."""
    from endpoints import services

    real = services.transaction
    services.transaction = types.SimpleNamespace(atomic=contextlib.nullcontext)
    try:
        yield
    finally:
        services.transaction = real


def wal_mode() -> None:
    """Proposal P1b on the benchmark's database: journal_mode=WAL, synchronous=NORMAL."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")


def time_storing_results() -> tuple[_common.Stats, _common.Stats, list[str]]:
    """The serial part of check_registries: storing each verdict in the calling thread,
    each write committing on its own (before P1) and all in one transaction (P1)."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from endpoints.models import Registry
    from endpoints.probe.result import Category, Verdict

    registries = list(Registry.objects.all())
    verdict = Verdict(True, Category.OK, "Reachable.", [], 200, [])

    def store_all() -> None:
        for registry in registries:
            registry.record_verdict(verdict)

    def store_all_atomic() -> None:
        with transaction.atomic():
            store_all()

    with CaptureQueriesContext(connection) as captured:
        registries[0].record_verdict(verdict)
    statements = [q["sql"].split()[0] for q in captured.captured_queries]
    return (_common.measure(store_all, repeat=3, warmup=0),
            _common.measure(store_all_atomic, repeat=3, warmup=0), statements)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="default pool only, 2 runs")
    parser.add_argument("--repeat", type=int, default=3, help="runs per pool (default 3)")
    parser.add_argument("--pools", type=int, nargs="*",
                        help="extra pools besides the default (default 32 64)")
    args = parser.parse_args()
    repeat = 2 if args.quick else args.repeat
    extra_pools = [] if args.quick else (args.pools if args.pools is not None else [32, 64])

    _common.setup_django()
    _common.header(f"check_registries on {ENDPOINTS} endpoints with {LATENCY_S * 1000:.0f} ms latency",
                   "python bench/check_registries.py" + (" --quick" if args.quick else ""))
    from django.conf import settings

    from endpoints.models import HealthCheck, Registry

    server = SlowRegistry()
    try:
        create_endpoints(server.url)
        default_pool = settings.CHECK_REGISTRIES_POOL
        rows = []

        def timed_pools(pools: list[int | None], note: str = "") -> None:
            for pool in pools:
                size = pool or default_pool
                bound = math.ceil(ENDPOINTS / size) * LATENCY_S
                stats = _common.measure(lambda pool=pool: run_command(pool), repeat=repeat, warmup=0)
                ratio = stats.median / bound
                per_round = sorted(s / bound for s in stats.samples)
                rows.append([
                    f"{size}" + (" (default)" if pool is None else "") + note, f"{bound:.2f}", stats.s(),
                    f"{ratio:.2f}× ({per_round[0]:.2f}–{per_round[-1]:.2f})",
                    "yes" if ratio <= 1.5 else "**no**",
                ])

        timed_pools([None, *extra_pools])
        healthy = Registry.objects.filter(status="healthy").count()
        stored = HealthCheck.objects.count()
        storing, storing_atomic, statements = time_storing_results()

        tracemalloc.start()
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        run_command(None)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

        storing_wal = None
        if not args.quick:
            comparison = [None, 64]
            with without_p1():
                timed_pools(comparison, ", before P1 (autocommit per write)")
            wal_mode()  # P1b, last: it changes the database file for good
            timed_pools(comparison, ", P1 + WAL (P1b)")
            storing_wal, _, _ = time_storing_results()
    finally:
        server.stop()

    _common.print_table(
        ["pool", "bound s", "wall s: median (min–max)", "ratio to bound", "≤ 1.5×?"], rows,
        title=f"{repeat} runs per pool; every run stores {ENDPOINTS} results",
    )
    print(f"\n- default pool (CHECK_REGISTRIES_POOL): {default_pool} (target ≥ 16: "
          f"{'met' if default_pool >= 16 else 'NOT met'})")
    print(f"- stored: {healthy} endpoints healthy, {stored} HealthCheck rows")
    print(f"- storing {ENDPOINTS} verdicts serially (Registry.record_verdict, the calling thread's "
          f"share), statements per verdict: {' '.join(statements)}")
    print(f"  - each write its own transaction (before P1): {storing.s()} s, "
          f"{storing.median / ENDPOINTS * 1000:.1f} ms each")
    print(f"  - all in one transaction (P1 at its best: one batch): {storing_atomic.s()} s")
    if storing_wal is not None:
        print(f"  - each write its own transaction, WAL + synchronous=NORMAL (P1b): {storing_wal.s()} s")
    print(f"- peak Python memory during one run at the default pool (tracemalloc): {peak / 2**20:.1f} MiB")
    print(f"- process peak RSS: {rss_after / 1024:.1f} MiB (before that run: {rss_before / 1024:.1f} MiB)")


if __name__ == "__main__":
    main()
