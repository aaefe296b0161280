"""Benchmark 8: the list and detail pages through gunicorn, before vs after; start-up costs.

Run it on PostgreSQL (`scripts/with-postgres.sh … --postgres`); SQLite works too.

The "before" app (`--before PATH`, a git worktree of an earlier commit) migrates a fresh
database, which is then filled: 10 000 registries with replication rules and proxy-cache
projects (bench/list_page.build_fleet), 400 000 rows in Django's change log
(django_admin_log, 40 per registry) and a staff user with a session. The "after" database
is a copy of it (PostgreSQL: CREATE DATABASE … TEMPLATE) migrated by the "after" app, as
an upgrade would; both are ANALYZEd. Three gunicorns serve them as the README deploys
the app (2 gthread workers × 8 threads):

- before: the old app on its database;
- after: this app on its copy (CONN_MAX_AGE 600 by default, health checks on);
- after, CONN_MAX_AGE=0: the same app and database with a new connection per request,
  as before the change.

Over HTTP with a keep-alive session, interleaved (before, after, after-0, before, …):
the list (page 1, sorted by name), an endpoint's detail page (its change log) and the
admin's change page of the same endpoint (the baseline the detail page was compared with).
Every side first gets --warmup rounds, so each worker thread has opened its connection.

Then start-up:
- the first request after a gunicorn start (1 worker × 8 threads, measured once the
  worker's CPU time stops moving, i.e. after it booted) against the median of the next 10;
- `manage.py check` wall time, and whether it imports botocore (`python -X importtime`).

    scripts/with-postgres.sh .venv/bin/python bench/pages.py --postgres --before /tmp/bench-before
    .venv/bin/python bench/pages.py --quick                # SQLite, after only, 1 000 rows
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import _common
import requests

SEED = r"""
import json, sys
sys.path.insert(0, {bench!r})
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client

import _common
from list_page import build_fleet
from endpoints.models import Registry

build_fleet({registries})
user = _common.staff_user()
user.is_superuser = True  # the admin's change page, with every permission
user.save()
low = Registry.objects.order_by("pk").values_list("pk", flat=True).first()
content_type = ContentType.objects.get_for_model(Registry).pk
message = '[{{"changed": {{"fields": ["Description"]}}}}]'
with connection.cursor() as cursor:
    if connection.vendor == "postgresql":
        cursor.execute(
            "INSERT INTO django_admin_log (action_time, user_id, content_type_id, object_id, "
            "object_repr, action_flag, change_message) SELECT now() - n * interval '1 second', "
            "%s, %s, (%s + n %% %s)::text, 'reg', 2, %s FROM generate_series(0, %s - 1) AS n",
            [user.pk, content_type, low, {registries}, message, {log_rows}])
    else:
        cursor.execute(
            "WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s WHERE n < %s - 1) "
            "INSERT INTO django_admin_log (action_time, user_id, content_type_id, object_id, "
            "object_repr, action_flag, change_message) SELECT datetime('now', '-' || n || ' seconds'), "
            "%s, %s, CAST(%s + n %% %s AS TEXT), 'reg', 2, %s FROM s",
            [{log_rows}, user.pk, content_type, low, {registries}, message])
    cursor.execute("ANALYZE")
client = Client()
client.force_login(user)
from django.conf import settings
print(json.dumps({{"cookie": settings.SESSION_COOKIE_NAME,
                  "session": client.cookies[settings.SESSION_COOKIE_NAME].value,
                  "detail_pk": low + {registries} // 2, "logs": LogEntry.objects.count()}}))
"""

ANALYZE = "from django.db import connection\nconnection.cursor().execute('ANALYZE')\n"


@dataclass
class Server:
    name: str
    root: Path
    env: dict[str, str]
    gunicorn: _common.Gunicorn | None = None
    session: requests.Session = field(default_factory=requests.Session)


def seed(args, scratch: Path, seed_root: Path, after_root: Path) -> tuple[str, str, dict]:
    """(before database URL, after database URL, seed facts)."""
    db_before = _common.fresh_database_url(scratch, "pages_before")
    env = _common.tree_env(seed_root, db_before, scratch)
    started = time.perf_counter()
    _common.manage(seed_root, env, "migrate", "--noinput")
    facts = json.loads(_common.run_python(seed_root, env, SEED.format(
        bench=str(seed_root / "bench"), registries=args.registries, log_rows=args.log_rows)).splitlines()[-1])
    print(f"- seeded in {time.perf_counter() - started:.0f} s: {args.registries} registries, "
          f"{facts['logs']} change-log rows", flush=True)
    if seed_root == after_root:
        return db_before, db_before, facts
    if _common.on_postgres():
        db_after = _common.create_postgres_database(
            "pages_after", template=_common.database_name(db_before))
    else:
        path = scratch / "pages_after.sqlite3"
        shutil.copy(db_before.removeprefix("sqlite:///"), path)
        db_after = f"sqlite:///{path}"
    env_after = _common.tree_env(after_root, db_after, scratch)
    started = time.perf_counter()
    applied = _common.manage(after_root, env_after, "migrate", "--noinput")
    steps = [line.split("Applying ", 1)[1].split("...")[0]
             for line in applied.splitlines() if "Applying" in line]
    _common.run_python(after_root, env_after, ANALYZE)
    print(f"- after's database: the copy migrated in {time.perf_counter() - started:.1f} s "
          f"({', '.join(steps)})", flush=True)
    return db_before, db_after, facts


def get(server: Server, path: str):
    def run() -> None:
        response = server.session.get(server.gunicorn.base + path, timeout=60)
        assert response.status_code == 200, (server.name, path, response.status_code)
    return run


def worker_pids(master: int) -> list[int]:
    try:
        text = Path(f"/proc/{master}/task/{master}/children").read_text()
    except OSError:
        return []
    return [int(pid) for pid in text.split()]


def cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return -1
    return int(fields[11]) + int(fields[12])


def wait_booted(gunicorn: _common.Gunicorn, timeout: float = 30) -> float:
    """Seconds from spawn until the worker exists and its CPU time stood still for 0.5 s."""
    end = time.monotonic() + timeout
    last, still_since = None, None
    while time.monotonic() < end:
        workers = worker_pids(gunicorn.process.pid)
        ticks = sum(cpu_ticks(pid) for pid in workers) if workers else None
        now = time.perf_counter()
        if ticks is not None and ticks == last:
            if still_since is None:
                still_since = now
            elif now - still_since >= 0.5:
                return still_since - gunicorn.started
        else:
            still_since = None
        last = ticks
        time.sleep(0.1)
    raise RuntimeError("gunicorn's worker did not settle")


def first_requests(servers: list[Server], scratch: Path, paths: list[tuple[str, str]],
                   starts: int) -> dict[str, dict]:
    """After each start: every page once (its first request in this worker), then each page
    5 more times (steady). Per side: boot seconds, and per page the first and steady times."""
    out: dict[str, dict] = {s.name: {"boot": [], **{label: ([], []) for label, _ in paths}} for s in servers}
    for round_ in range(starts):
        for server in servers if round_ % 2 == 0 else servers[::-1]:
            gunicorn = _common.Gunicorn(server.root, server.env, scratch / f"first-{server.name}.log",
                                        workers=1, threads=8)
            try:
                out[server.name]["boot"].append(wait_booted(gunicorn))
                session = requests.Session()
                session.cookies.update(server.session.cookies)

                def timed_get(path: str) -> float:
                    started = time.perf_counter()
                    response = session.get(gunicorn.base + path, timeout=60)  # noqa: B023
                    assert response.status_code == 200, (path, response.status_code)
                    return time.perf_counter() - started

                for label, path in paths:
                    out[server.name][label][0].append(timed_get(path))
                for label, path in paths:
                    out[server.name][label][1].append(statistics.median(timed_get(path) for _ in range(5)))
            finally:
                gunicorn.stop()
    return out


def connect_cost(database_url: str, repeat: int = 20) -> _common.Stats | None:
    """A new PostgreSQL connection (TCP, SCRAM authentication, start-up), then closed: what
    CONN_MAX_AGE=0 pays at every request."""
    if not database_url.startswith(("postgres://", "postgresql://")):
        return None
    from urllib.parse import unquote, urlsplit

    import psycopg

    parts = urlsplit(database_url)

    def connect() -> None:
        psycopg.connect(host=parts.hostname, port=parts.port, user=unquote(parts.username or ""),
                        password=unquote(parts.password or ""), dbname=parts.path.lstrip("/")).close()

    return _common.measure(connect, repeat=repeat)


def startup(servers: list[Server], runs: int) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for server in servers:
        result = subprocess.run([_common.PYTHON, "-X", "importtime", "manage.py", "check"], cwd=server.root,
                                env=server.env, capture_output=True, text=True, timeout=120)
        # Every botocore/boto3 module's own import time ("self" column), wherever imported.
        own_us = sum(int(line.split("|")[0].split(":")[1]) for line in result.stderr.splitlines()
                     if re.search(r"\|\s+(botocore|boto3)(\.|$)", line))
        out[server.name] = {"botocore_us": own_us, "walls": []}
    for round_ in range(runs):
        for server in servers if round_ % 2 == 0 else servers[::-1]:
            started = time.perf_counter()
            subprocess.run([_common.PYTHON, "manage.py", "check"], cwd=server.root, env=server.env,
                           capture_output=True, check=True, timeout=120)
            out[server.name]["walls"].append(time.perf_counter() - started)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", metavar="PATH", help="worktree of the commit to compare with")
    parser.add_argument("--after", metavar="PATH", help="worktree of the commit to measure (default: here)")
    parser.add_argument("--postgres", action="store_true", help="on the PostgreSQL of DATABASE_URL")
    parser.add_argument("--registries", type=int, default=10_000)
    parser.add_argument("--log-rows", type=int, default=400_000)
    parser.add_argument("--repeat", type=int, default=30, help="requests per page and side (30)")
    parser.add_argument("--warmup", type=int, default=10, help="unmeasured rounds first (10)")
    parser.add_argument("--starts", type=int, default=3, help="gunicorn starts per side (3)")
    parser.add_argument("--startup-runs", type=int, default=10, help="manage.py check runs per side (10)")
    parser.add_argument("--quick", action="store_true", help="1 000 registries, 40 000 log rows, 10 rounds")
    args = parser.parse_args()
    if args.postgres:
        _common.use_postgres_from_env()
    if args.quick:
        args.registries, args.log_rows, args.repeat, args.warmup, args.starts, args.startup_runs = (
            1000, 40_000, 10, 3, 1, 3)

    scratch = _common.scratch_dir()
    after_root = _common.prepare_tree(args.after) if args.after else _common.ROOT
    before_root = _common.prepare_tree(args.before) if args.before else None
    print("## Pages through gunicorn, before vs after\n")
    print(f"- machine: {_common.machine()}")
    database = "PostgreSQL, a fresh database per side" if _common.on_postgres() else "SQLite files"
    print(f"- database: {database}")
    print(f"- after = {_common.tree_commit(after_root)} ({after_root})"
          + (f"; before = {_common.tree_commit(before_root)} ({before_root})" if before_root else ""))
    print(f"- command: `python bench/pages.py {' '.join(sys.argv[1:])}`", flush=True)

    db_before, db_after, facts = seed(args, scratch, before_root or after_root, after_root)
    servers = []
    if before_root:
        servers.append(Server("before", before_root, _common.tree_env(before_root, db_before, scratch)))
    servers.append(Server("after", after_root, _common.tree_env(after_root, db_after, scratch)))
    servers.append(Server("after, CONN_MAX_AGE=0", after_root,
                          _common.tree_env(after_root, db_after, scratch, CONN_MAX_AGE="0")))
    for server in servers:
        server.gunicorn = _common.Gunicorn(server.root, server.env, scratch / f"{server.name[:5]}.log")
        server.session.cookies.set(facts["cookie"], facts["session"])

    pk = facts["detail_pk"]
    pages = [
        ("list, page 1", "/registries/"),
        ("list, sorted by name", "/registries/?sort=name"),
        ("detail page (change log)", f"/registries/{pk}/"),
        ("admin change page (baseline)", f"/admin/endpoints/registry/{pk}/change/"),
    ]
    results: dict[tuple[str, str], _common.Stats] = {}
    for label, path in pages:
        stats = _common.measure_interleaved({s.name: get(s, path) for s in servers},
                                            repeat=args.repeat, warmup=args.warmup)
        for name, value in stats.items():
            results[(label, name)] = value
        print(f"  {label}: " + ", ".join(f"{n} {v.ms()}" for n, v in stats.items())
              + f"; load {_common.load_average()}", flush=True)
    for server in servers:
        server.gunicorn.stop()
    connecting = connect_cost(db_after)
    if connecting is not None:
        print(f"\n- a new PostgreSQL connection (connect, SCRAM, close), 20 times: {connecting.ms(2)} ms")

    names = [s.name for s in servers]
    rows = []
    for label, _path in pages:
        after = results[(label, "after")]
        row = [label] + [results[(label, n)].ms() for n in names]
        row.append(_common.ratio(results[(label, "after, CONN_MAX_AGE=0")], after))
        if before_root:
            row.append(_common.ratio(after, results[(label, "before")]))
        rows.append(row)
    admin = "admin change page (baseline)"
    detail = "detail page (change log)"
    rows.append(["detail / admin change page"] + [_common.ratio(results[(detail, n)], results[(admin, n)])
                                                   for n in names] + [""] * (2 if before_root else 1))
    _common.print_table(
        ["request", *(f"{n} ms" for n in names), "CONN_MAX_AGE=0 / after"]
        + (["after / before"] if before_root else []),
        rows, title=f"median (min–max) of {args.repeat} requests per side, interleaved, after "
                    f"{args.warmup} warm-up rounds; {args.registries} registries, {facts['logs']} log rows",
    )

    first_pages = [("list", "/registries/"), ("New (form)", "/registries/new/"),
                   ("detail", f"/registries/{pk}/")]
    first = first_requests([s for s in servers if s.name != "after, CONN_MAX_AGE=0"], scratch,
                           first_pages, args.starts)
    rows = []
    for name, values in first.items():
        extra_total = [sum(values[label][0][i] - values[label][1][i] for label, _ in first_pages)
                       for i in range(args.starts)]
        for label, _path in first_pages:
            firsts, steadies = values[label]
            rows.append([name, label, _common.Stats(firsts).ms(0), _common.Stats(steadies).ms(1),
                         _common.Stats([f - s for f, s in zip(firsts, steadies, strict=True)]).ms(0)])
        rows.append([name, "**sum of the three**", "", "", _common.Stats(extra_total).ms(0)])
        rows.append([name, "spawn → worker booted (s)", _common.Stats(values["boot"]).s(), "", ""])
    _common.print_table(
        ["side", "page", "first request ms", "next 5, median ms", "first − steady ms"],
        rows, title=f"The first requests after a gunicorn start (1 worker × 8 threads), "
                    f"{args.starts} starts, after the worker booted",
    )

    start = startup([s for s in servers if s.name != "after, CONN_MAX_AGE=0"], args.startup_runs)
    rows = [[name, _common.Stats(v["walls"]).ms(0),
             f"yes, {v['botocore_us'] / 1000:.0f} ms (its modules' own import time)"
             if v["botocore_us"] else "no"] for name, v in start.items()]
    _common.print_table(["side", "manage.py check, wall ms", "imports botocore?"], rows,
                        title=f"manage.py start-up, {args.startup_runs} runs per side, interleaved")
    print(f"\n- load average at the end: {_common.load_average()}")


if __name__ == "__main__":
    main()
