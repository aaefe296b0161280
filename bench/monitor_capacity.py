"""Issue 12: how many endpoints one `monitor_registries` process keeps on schedule.

A responder in its own process (bench/check_registries.py's: `GET <prefix>/v2/` answered
like an open registry after 200 ms, plain HTTP) stands in for N remote registries, each
endpoint with its own path prefix. For each pool size a fresh child process creates N
endpoints in a fresh database and runs the monitor (monitor.runner.Monitor, what the
command runs) for --measure intervals of --interval seconds, then stops it the way SIGTERM
does (the checks in flight finish and are stored).

"On schedule" means, over the whole run:
- completion >= 98 %: the checks stored are at least 98 % of the slots that fell due
  (every endpoint once per interval);
- the 95th percentile of the lag (how long after its slot a check started) <= 1 s, and the
  largest lag <= 5 s (a monitor that falls behind sees its lags grow without bound).

For each pool the largest N on schedule is searched for by bisection between 0 and 1.2x
the pool's ceiling (pool / 200 ms checks a second), on short intervals; the sustained rate
(N / interval, checks a second) is what carries over to HEALTH_CHECK_INTERVAL = 300 s:
N_300 = rate x 300, checked again with one run at twice the interval. CPU is the child's
user + system time over the run (all threads), per check and as a share of one core.

    .venv/bin/python bench/monitor_capacity.py                   # pools 16 and 64, ~10 min
    .venv/bin/python bench/monitor_capacity.py --pools 16 --interval 10 --steps 4
    .venv/bin/python bench/monitor_capacity.py --runs 16:4500:60 64:15840:60   # given runs only
    scripts/with-postgres.sh .venv/bin/python bench/monitor_capacity.py --postgres
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import _common
from check_registries import LATENCY_S, RESULT, Responder

COMPLETION_MIN = 0.98
LAG_P95_MAX_S = 1.0
LAG_MAX_S = 5.0


# --- one run (the child process) ---


def child(args: argparse.Namespace) -> None:
    _common.setup_django()
    from endpoints.models import HealthCheck, Registry
    from monitor.runner import Monitor
    from monitor.schedule import phase

    Registry.objects.bulk_create(
        (Registry(name=f"ep-{i:06d}", provider="docker-registry", url=f"{args.url}/r{i}") for i in
         range(args.endpoints)), batch_size=2000)
    ids = list(Registry.objects.values_list("pk", flat=True))
    monitor = Monitor(interval=args.interval, pool=args.pool, lease_seconds=max(60.0, args.interval),
                      holder="bench", lag_history=args.endpoints * (args.measure + 2) + 1000)
    thread = threading.Thread(target=monitor.run, daemon=True)
    cpu_started = resource.getrusage(resource.RUSAGE_SELF)
    started = time.time()
    thread.start()
    time.sleep(args.measure * args.interval)
    stopped = time.time()
    monitor.stop()
    thread.join()
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    cpu_s = (cpu.ru_utime - cpu_started.ru_utime) + (cpu.ru_stime - cpu_started.ru_stime)

    def slots(pk: int) -> int:  # this endpoint's slots in [started, stopped)
        offset = phase(pk, args.interval)
        return (math.ceil((stopped - offset) / args.interval) - math.ceil((started - offset) / args.interval))

    expected = sum(slots(pk) for pk in ids)
    stored = HealthCheck.objects.count()
    healthy = HealthCheck.objects.filter(ok=True).count()
    lags = sorted(lag for _at, lag in monitor.lags)
    print(RESULT + json.dumps({
        "expected": expected, "stored": stored, "healthy": healthy,
        "completion": stored / expected if expected else 1.0,
        "lag_p50": statistics.median(lags) if lags else 0.0,
        "lag_p95": lags[int(0.95 * (len(lags) - 1))] if lags else 0.0,
        "lag_max": lags[-1] if lags else 0.0,
        "wall_s": stopped - started, "drain_s": time.time() - stopped, "cpu_s": cpu_s,
        "hwm_mib": _common.proc_status_kib("VmHWM") / 1024,
    }), flush=True)


# --- the driver ---


def run(args: argparse.Namespace, responder: Responder, pool: int, endpoints: int, interval: float) -> dict:
    command = [sys.executable, __file__, "--child", "--pool", str(pool), "--endpoints", str(endpoints),
               "--interval", str(interval), "--measure", str(args.measure), "--url", responder.urls["http"]]
    cpu_before = responder.cpu_s()
    output = subprocess.run(command, capture_output=True, text=True, timeout=args.measure * interval + 600,
                            env={**os.environ, "PYTHONPATH": str(_common.ROOT)})
    line = next((line for line in output.stdout.splitlines() if line.startswith(RESULT)), None)
    if line is None:
        raise SystemExit(f"the run failed:\n{output.stderr[-3000:]}")
    result = json.loads(line.removeprefix(RESULT))
    result.update(pool=pool, endpoints=endpoints, interval=interval,
                  responder_cpu_s=responder.cpu_s() - cpu_before)
    result["on_schedule"] = (result["completion"] >= COMPLETION_MIN and result["lag_p95"] <= LAG_P95_MAX_S
                             and result["lag_max"] <= LAG_MAX_S)
    result["load"] = os.getloadavg()[0]
    checks = max(result["stored"], 1)
    verdict = "on schedule" if result["on_schedule"] else "BEHIND     "
    print(f"  pool {pool:3d}  N {endpoints:6d} / {interval:g} s ({endpoints / interval:6.1f}/s): {verdict}  "
          f"completion {result['completion']:6.1%}  "
          f"lag p50 {result['lag_p50']:.2f} p95 {result['lag_p95']:.2f} max {result['lag_max']:.2f} s  "
          f"CPU {result['cpu_s'] / result['wall_s']:5.1%} of a core, "
          f"{1000 * result['cpu_s'] / checks:.2f} ms/check  healthy {result['healthy']}/{result['stored']}  "
          f"load {result['load']:.1f}", flush=True)
    return result


def search(args: argparse.Namespace, responder: Responder, pool: int) -> tuple[dict, list[dict]]:
    """The largest N kept on schedule at --interval, by bisection on the rate."""
    ceiling = pool / LATENCY_S  # checks a second if a check cost nothing but its latency
    low, high = 0.0, 1.2 * ceiling
    best: dict | None = None
    runs = []
    for _ in range(args.steps):
        rate = (low + high) / 2
        result = run(args, responder, pool, max(1, round(rate * args.interval)), args.interval)
        runs.append(result)
        if result["on_schedule"]:
            low, best = rate, result
        else:
            high = rate
    if best is None:
        raise SystemExit(f"pool {pool}: nothing on schedule even at {low:.1f} checks a second")
    return best, runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pools", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--interval", type=float, default=10.0, help="seconds (default 10)")
    parser.add_argument("--measure", type=int, default=2, help="intervals per run (default 2)")
    parser.add_argument("--steps", type=int, default=5, help="bisection steps per pool (default 5)")
    parser.add_argument("--runs", nargs="+", metavar="POOL:N:INTERVAL", default=[],
                        help="only these runs, no bisection (e.g. 16:4500:60)")
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--pool", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--endpoints", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.postgres:
        _common.use_postgres_from_env()
    if args.child:
        child(args)
        return

    scratch = _common.scratch_dir()
    responder = Responder(scratch)
    database = "PostgreSQL" if _common.on_postgres() else "SQLite"
    print(f"monitor capacity: {platform.node()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"{database}; remotes answer after {LATENCY_S * 1000:.0f} ms; on schedule = completion >= "
          f"{COMPLETION_MIN:.0%}, lag p95 <= {LAG_P95_MAX_S:g} s, "
          f"max <= {LAG_MAX_S:g} s", flush=True)
    table = []
    if args.runs:
        try:
            for spec in args.runs:
                pool, endpoints, interval = spec.split(":")
                run(args, responder, int(pool), int(endpoints), float(interval))
        finally:
            responder.stop()
        return
    try:
        for pool in args.pools:
            print(f"pool {pool}: bisection at {args.interval:g} s intervals", flush=True)
            best, _runs = search(args, responder, pool)
            rate = best["endpoints"] / best["interval"]
            print(f"pool {pool}: confirming {rate:.1f} checks/s at {2 * args.interval:g} s intervals",
                  flush=True)
            confirm = run(args, responder, pool, round(rate * 2 * args.interval), 2 * args.interval)
            table.append((pool, best, confirm, rate))
    finally:
        responder.stop()

    print("\n| Pool | Largest N on schedule (interval) | Checks/s | N per 300 s (extrapolated) | "
          "Confirmed at 2x interval | Lag p50 / p95 / max | CPU (one core) | CPU per check |")
    print("|---|---|---|---|---|---|---|---|")
    for pool, best, confirm, rate in table:
        confirmed = (f"{confirm['endpoints']} / {confirm['interval']:g} s: "
                     f"{'yes' if confirm['on_schedule'] else 'no'} ({confirm['completion']:.1%})")
        per_check = 1000 * best["cpu_s"] / max(best["stored"], 1)
        print(f"| {pool} | {best['endpoints']} / {best['interval']:g} s | {rate:.1f} | "
              f"{round(rate * 300):,} | {confirmed} | "
              f"{best['lag_p50']:.2f} / {best['lag_p95']:.2f} / {best['lag_max']:.2f} s | "
              f"{best['cpu_s'] / best['wall_s']:.0%} | {per_check:.2f} ms |")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
