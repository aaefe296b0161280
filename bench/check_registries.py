"""Benchmark 3: `check_registries` on 1 000 and 10 000 endpoints, HTTP and HTTPS, before vs after.

A responder in its own process (so that its threads never compete with the measured one)
answers `GET <prefix>/v2/` like an open registry after 200 ms, over plain HTTP and over
HTTPS with a certificate from a throwaway trustme CA. The endpoints trust that CA through
their CA Certificate field (Verify Remote Cert on), the way a registry with an internal CA
is set up. Each endpoint has its own path prefix and no credentials: one request each.

Every run is a fresh child process: `bench/check_registries.py --child` creates N
endpoints in a fresh database, then runs `manage.py check_registries --pool P` through
call_command, in the app of the checkout it is started from. "after" is this checkout;
"before" is `--before PATH`, a git worktree of an earlier commit (bench/_common.py copies
this bench/ into it). The runs of the two sides alternate (before, after, then after,
before, …) so that load from other work on the machine hits both.

Measured per run:
- wall time of the command against the bound ceil(N / P) × 200 ms (the latency alone);
- CPU time of the process (user + system, every thread) during the command, per endpoint;
- peak open files (/proc/PID/fd, sampled every 10 ms from the parent) and peak RSS
  (VmHWM), with RSS before the command for reference;
- healthy / unhealthy / not checked, with the failures' categories;
- the responder's CPU time, to show it kept up.

The child's soft RLIMIT_NOFILE is set to --nofile (default 1 024, systemd's and most
shells' default) for every run. Two extra rows at 10 000 HTTP endpoints (not with --quick)
ask for pools 128 and 512 under that limit: the open-file failure of issue 9.

Proposals measured in the same run (bench-side patches of the app, not applied; not with
--quick or --no-proposals), on HTTPS only:
- P6: `tls.shared_context` built under a lock (the pool's first wave builds it once, not
  once per thread);
- P7: the pre-flight's TLS 1.3 connection kept for the first request (session tickets are
  not "something unasked"), so an HTTPS check dials and shakes hands once.
And on HTTP at pool 64, "not storing": Registry.record_verdict made a no-op, the ceiling of
what batching the verdicts' storage (P8) could save in the calling thread.

Runs of "before" at 10 000 endpoints stop after --cap-before seconds (default 90 s) or 1.3×
the bound, whichever is longer: the row then shows how many endpoints were checked by then
and the projected total.

    .venv/bin/python bench/check_registries.py --before /tmp/bench-before      # ~20 min
    .venv/bin/python bench/check_registries.py --before /tmp/bench-before --quick   # 1 000 only
    .venv/bin/python bench/check_registries.py                                  # after only
    scripts/with-postgres.sh .venv/bin/python bench/check_registries.py --postgres --sizes 1000 --pools 64
"""

from __future__ import annotations

import argparse
import atexit
import collections
import contextlib
import io
import json
import math
import multiprocessing
import os
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import _common

LATENCY_S = 0.2
RESULT = "RESULT "


# --- the responder (a child process of the driver) ---


def _serve(latency_s: float, directory: str, conn) -> None:
    import ssl
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    import trustme

    resource.setrlimit(resource.RLIMIT_NOFILE, resource.getrlimit(resource.RLIMIT_NOFILE)[1:] * 2)
    ca = trustme.CA()
    ca_file = Path(directory) / "bench-ca.pem"
    ca_file.write_bytes(ca.cert_pem.bytes())
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(tls)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def setup(self) -> None:
            if isinstance(self.request, ssl.SSLSocket):
                # The handshake runs in this connection's thread, not in the accept loop.
                self.request.settimeout(30)
                self.request.do_handshake()
            super().setup()

        def log_message(self, *args: object) -> None:
            pass

        def handle(self) -> None:
            with contextlib.suppress(OSError, ssl.SSLError):
                super().handle()

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            time.sleep(latency_s)
            found = self.path.endswith("/v2/")
            body = b"{}" if found else b'{"errors":[]}'
            self.send_response(200 if found else 404)
            self.send_header("Docker-Distribution-API-Version", "registry/2.0")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 4096  # no dropped SYNs (1 s retransmits) when a pool connects at once

        def handle_error(self, request, client_address) -> None:
            pass

    class TLSServer(Server):
        def get_request(self):
            sock, address = self.socket.accept()
            return tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), address

    servers = [Server(("127.0.0.1", 0), Handler), TLSServer(("127.0.0.1", 0), Handler)]
    for server in servers:
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    conn.send({"http": f"http://127.0.0.1:{servers[0].server_address[1]}",
               "https": f"https://127.0.0.1:{servers[1].server_address[1]}", "ca_file": str(ca_file)})
    conn.recv()  # until the driver says stop
    for server in servers:
        server.shutdown()


class Responder:
    def __init__(self, scratch: Path, latency_s: float = LATENCY_S) -> None:
        context = multiprocessing.get_context("fork")
        self._conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(latency_s, str(scratch), child), daemon=True)
        self.process.start()
        self.urls = self._conn.recv()

    def cpu_s(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self._conn.send("stop")
        self.process.join(10)


# --- one run (the child process) ---


class _Progress(io.TextIOBase):
    """check_registries' stdout: counts the per-endpoint lines instead of keeping them."""

    def __init__(self) -> None:
        self.done = self.ok = 0
        self.failures: collections.Counter[str] = collections.Counter()
        self.examples: dict[str, str] = {}
        self.text: list[str] = []

    def write(self, text: str) -> int:
        for line in text.splitlines():
            if line.startswith("[") and "] " in line:
                self.done += 1
                mark = line.split("] ", 1)[1]
                if mark.startswith("ok"):
                    self.ok += 1
                else:
                    category = mark.split(": ", 1)[1].split(" ", 1)[0] if ": " in mark else "?"
                    self.failures[category] += 1
                    self.examples.setdefault(category, mark.split(" - ", 1)[-1][:200])
            else:
                self.text.append(line)
        return len(text)


def context_built_once() -> None:
    """Proposal P6 (not in the app): tls.shared_context behind a lock, so the threads that
    miss the cache together (the pool's first wave) wait for one build instead of each
    loading the system CA store; later calls are the same cache hit as before."""
    from endpoints.probe import tls

    lock = threading.Lock()
    unlocked = tls.shared_context

    def shared_context(*, verify: bool, ca_pem: str = ""):
        with lock:
            return unlocked(verify=verify, ca_pem=ca_pem)

    tls.shared_context = shared_context


def tls_spare_kept() -> None:
    """Proposal P7 (not in the app): the pre-flight's TLS connection is kept for the first
    request when all the server sent since the handshake is TLS 1.3's session tickets.

    Today `Dialer.take_spare` drops any connection that is readable, and a TLS 1.3 server
    sends its NewSessionTicket messages right after the handshake, so every HTTPS check
    dials and shakes hands twice. Here a readable TLS connection is read without blocking:
    SSLWantReadError means OpenSSL consumed only handshake messages (keep it); data or EOF
    means the server sent something unasked or closed (drop it, as before)."""
    import ssl

    from urllib3.util.wait import wait_for_read

    from endpoints.probe import http

    def take_spare(self, host: str, port: int):
        sock = self._spares.pop((host.strip("[]").lower(), port), None)
        if sock is None or not wait_for_read(sock, timeout=0.0):
            return sock
        if isinstance(sock, ssl.SSLSocket):
            timeout = sock.gettimeout()
            sock.settimeout(0.0)
            try:
                ssl.SSLSocket.read(sock, 1)  # not the deadline socket's read: it would block
            except ssl.SSLWantReadError:
                sock.settimeout(timeout)
                return sock
            except OSError:
                pass
        sock.close()
        return None

    http.Dialer.take_spare = take_spare


def child(args: argparse.Namespace) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(args.nofile, hard), hard))
    _common.setup_django()
    from django.core.management import call_command

    from endpoints.models import Registry

    if args.context_lock:
        context_built_once()
    if args.tls_spare:
        tls_spare_kept()
    if args.no_storing:
        # P8's ceiling: what storing the verdicts costs the calling thread (4 statements per
        # endpoint through the ORM); a batched store would save part of it.
        Registry.record_verdict = lambda self, verdict, checked_by=None: None

    ca_pem = Path(args.ca_file).read_text() if args.scheme == "https" else ""
    Registry.objects.bulk_create(
        (Registry(name=f"ep-{i:05d}", provider="docker-registry", url=f"{args.url}/r{i}",
                  verify_remote_cert=True, ca_certificate=ca_pem) for i in range(args.endpoints)),
        batch_size=1000,
    )
    progress, errors = _Progress(), io.StringIO()
    rss_before = _common.proc_status_kib("VmRSS")
    started, cpu_started = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)

    def report(capped: bool) -> dict:
        cpu = resource.getrusage(resource.RUSAGE_SELF)
        return {
            "wall_s": time.perf_counter() - started,
            "cpu_s": (cpu.ru_utime - cpu_started.ru_utime) + (cpu.ru_stime - cpu_started.ru_stime),
            "done": progress.done, "ok": progress.ok, "failures": dict(progress.failures),
            "examples": progress.examples, "capped": capped,
            "rss_before_mib": rss_before / 1024, "hwm_mib": _common.proc_status_kib("VmHWM") / 1024,
            "stderr": errors.getvalue().strip()[-500:], "summary": " ".join(progress.text)[-300:],
        }

    if args.cap:
        def stop() -> None:
            print(RESULT + json.dumps(report(capped=True)), flush=True)
            atexit._run_exitfuncs()  # drop the database, remove the scratch directory
            os._exit(0)

        threading.Timer(args.cap, stop).start()
    with contextlib.suppress(SystemExit):  # exit 1: some endpoint was not healthy
        call_command("check_registries", f"--pool={args.pool}", stdout=progress, stderr=errors)
    print(RESULT + json.dumps(report(capped=False)), flush=True)
    atexit._run_exitfuncs()
    os._exit(0)  # the cap's timer thread must not keep the process alive


# --- the driver ---


@dataclass
class Case:
    size: int
    scheme: str
    pool: int
    note: str = ""

    @property
    def bound_s(self) -> float:
        return math.ceil(self.size / self.pool) * LATENCY_S


@dataclass
class Run:
    side: str
    case: Case
    result: dict
    peak_files: int
    responder_cpu_s: float
    load: str

    @property
    def wall(self) -> float:
        return self.result["wall_s"]


@dataclass
class Side:
    name: str
    root: Path
    extra: tuple[str, ...] = ()
    # Which cases this side runs (a proposal's rows: HTTPS only, fewer at 10 000).
    wants: Callable[[Case], bool] = lambda case: True
    runs: list[Run] = field(default_factory=list)

    def runs_case(self, case: Case) -> bool:
        if case.note:  # the open-files rows: before and after only
            return self.name in ("before", "after")
        return self.wants(case)


def run_child(side: Side, case: Case, responder: Responder, args: argparse.Namespace) -> Run:
    # A long bound leaves room to finish within 1.3× of it, or to show it does not.
    cap = max(args.cap_before, 1.3 * case.bound_s) if (side.name == "before" and case.size >= 10_000) else 0
    command = [_common.PYTHON, str(side.root / "bench" / "check_registries.py"), "--child",
               "--scheme", case.scheme, "--endpoints", str(case.size), "--pool", str(case.pool),
               "--url", responder.urls[case.scheme], "--ca-file", responder.urls["ca_file"],
               "--nofile", str(args.nofile), "--cap", str(cap), *side.extra]
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env["PYTHONPATH"] = str(side.root)
    responder_cpu = responder.cpu_s()
    load = _common.load_average()
    process = subprocess.Popen(command, cwd=side.root, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    sampler = _common.ProcessSampler(process.pid)
    try:
        out, err = process.communicate(timeout=(cap or 1200) + 300)
    finally:
        sampler.stop()
        if process.poll() is None:
            process.kill()
            process.wait()
    lines = [line for line in out.splitlines() if line.startswith(RESULT)]
    if not lines:
        raise RuntimeError(f"{side.name} {case}: no result (exit {process.returncode}):\n{err[-3000:]}")
    run = Run(side.name, case, json.loads(lines[-1][len(RESULT):]), sampler.peak_files,
              responder.cpu_s() - responder_cpu, load)
    side.runs.append(run)
    r = run.result
    capped = ", CAPPED" if r["capped"] else ""
    failures = f" {r['failures']}" if r["failures"] else ""
    note = f" [{r['stderr'][:120]}]" if r["stderr"] else ""
    print(f"  {side.name:15} {case.scheme:5} N={case.size:5} pool={case.pool:3}: "
          f"{r['wall_s']:6.2f} s ({r['wall_s'] / case.bound_s:.2f}× bound{capped}), "
          f"cpu {r['cpu_s'] / max(r['done'], 1) * 1000:.2f} ms/endpoint, files {run.peak_files}, "
          f"HWM {r['hwm_mib']:.0f} MiB, ok {r['ok']}/{r['done']}{failures}{note}; load {load}", flush=True)
    return run


def median(values: list[float]) -> float:
    values = sorted(values)
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def spread(values: list[float], fmt: str) -> str:
    if len(values) == 1:
        return format(values[0], fmt)
    return f"{format(median(values), fmt)} ({format(min(values), fmt)}–{format(max(values), fmt)})"


def describe(runs: list[Run]) -> list[str]:
    """The table cells of one side's runs of one case."""
    case = runs[0].case
    walls = [r.wall for r in runs]
    capped = [r for r in runs if r.result["capped"]]
    if capped:
        r = capped[0].result
        projected = r["wall_s"] / max(r["done"], 1) * case.size
        wall = (f"> {r['wall_s']:.0f} (stopped: {r['done']:,} of {case.size:,} done; "
                f"projected ≈ {projected:.0f})")
        ratio = f"> {r['wall_s'] / case.bound_s:.2f}× (≈ {projected / case.bound_s:.1f}×)"
    else:
        wall = spread(walls, ".2f")
        ratio = spread([w / case.bound_s for w in walls], ".2f") + "×"
    cpu = [r.result["cpu_s"] / max(r.result["done"], 1) * 1000 for r in runs]
    files = [r.peak_files for r in runs]
    hwm = [r.result["hwm_mib"] for r in runs]
    done = runs[-1].result
    not_checked = case.size - done["done"] if not done["capped"] else 0
    health = f"{done['ok']:,} / {done['done']:,}".replace(",", " ")
    if done["failures"]:
        health += " — " + ", ".join(f"{n:,} {c}" for c, n in done["failures"].items()).replace(",", " ")
    if not_checked:
        health += f", {not_checked:,} not checked".replace(",", " ")
    responder = median([r.responder_cpu_s / max(r.result["done"], 1) * 1000 for r in runs])
    return [wall.replace(",", " "), ratio, spread(cpu, ".2f"), spread(files, ".0f"),
            spread(hwm, ".0f"), health, f"{responder:.2f}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--scheme", default="http", help=argparse.SUPPRESS)
    parser.add_argument("--endpoints", type=int, default=1000, help=argparse.SUPPRESS)
    parser.add_argument("--pool", type=int, default=16, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--ca-file", help=argparse.SUPPRESS)
    parser.add_argument("--cap", type=float, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--context-lock", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--tls-spare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--no-storing", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--before", metavar="PATH", help="worktree of the commit to compare with")
    parser.add_argument("--after", metavar="PATH", help="worktree of the commit to measure (default: here)")
    parser.add_argument("--no-proposals", action="store_true",
                        help="skip the rows of proposals P6 and P7 (HTTPS)")
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--schemes", nargs="*", default=["http", "https"])
    parser.add_argument("--pools", type=int, nargs="*", default=[16, 64])
    parser.add_argument("--repeat", type=int, default=2, help="runs per side below 10 000 endpoints (2)")
    parser.add_argument("--repeat-large", type=int, default=1, help="runs per side at 10 000+ (1)")
    parser.add_argument("--cap-before", type=float, default=90.0,
                        help="a 'before' run at 10 000+ endpoints stops after this or 1.3× the bound (90)")
    parser.add_argument("--nofile", type=int, default=1024, help="soft RLIMIT_NOFILE of each run (1024)")
    parser.add_argument("--no-limit-rows", action="store_true", help="skip pools 128/512 at 10 000 HTTP")
    parser.add_argument("--quick", action="store_true", help="1 000 endpoints, one run per side")
    parser.add_argument("--save", metavar="FILE", help="also write every run's figures as JSON")
    parser.add_argument("--postgres", action="store_true", help="each run on a fresh PostgreSQL database")
    args = parser.parse_args()
    if args.postgres:
        _common.use_postgres_from_env()
    if args.child:
        child(args)
        return
    if args.quick:
        args.sizes, args.repeat, args.no_limit_rows, args.no_proposals = [1000], 1, True, True

    scratch = _common.scratch_dir()
    after_root = _common.prepare_tree(args.after) if args.after else _common.ROOT
    sides = [Side("after", after_root)]
    if args.before:
        sides.insert(0, Side("before", _common.prepare_tree(args.before)))
    if not args.no_proposals:
        sides.append(Side("after + P6", after_root, ("--context-lock",),
                          lambda case: case.scheme == "https" and case.size < 10_000))
        sides.append(Side("after + P6 + P7", after_root, ("--context-lock", "--tls-spare"),
                          lambda case: case.scheme == "https" and (case.size < 10_000 or case.pool >= 64)))
        sides.append(Side("after, not storing", after_root, ("--no-storing",),
                          lambda case: case.scheme == "http" and case.pool >= 64))
    database = "PostgreSQL (a fresh database per run)" if args.postgres else "SQLite (a fresh file per run)"
    print(f"## check_registries at scale, {LATENCY_S * 1000:.0f} ms latency\n")
    print(f"- machine: {_common.machine()}")
    print("- sides: " + ", ".join(f"{s.name} = {_common.tree_commit(s.root)} ({s.root})" for s in sides))
    print(f"- database: {database}; soft RLIMIT_NOFILE {args.nofile} in every run")
    print(f"- command: `python bench/{Path(sys.argv[0]).name} {' '.join(sys.argv[1:])}`\n", flush=True)

    responder = Responder(scratch)
    cases: list[tuple[Case, int]] = []
    for size in args.sizes:
        repeat = args.repeat_large if size >= 10_000 else args.repeat
        cases += [(Case(size, scheme, pool), repeat) for scheme in args.schemes for pool in args.pools]
    if not args.no_limit_rows and 10_000 in args.sizes and "http" in args.schemes:
        cases += [(Case(10_000, "http", pool, f"ulimit -n {args.nofile}"), 1) for pool in (128, 512)]
    started = time.monotonic()
    try:
        for case, repeat in cases:
            for round_ in range(repeat):
                order = sides if round_ % 2 == 0 else sides[::-1]
                for side in order:
                    if side.runs_case(case):
                        run_child(side, case, responder, args)
    finally:
        responder.stop()
    print(f"\n(total {time.monotonic() - started:.0f} s; load average now {_common.load_average()})")
    if args.save:
        Path(args.save).write_text(json.dumps(
            [{"side": run.side, "size": run.case.size, "scheme": run.case.scheme, "pool": run.case.pool,
              "note": run.case.note, "bound_s": run.case.bound_s, "peak_files": run.peak_files,
              "responder_cpu_s": run.responder_cpu_s, "load": run.load, **run.result}
             for side in sides for run in side.runs], indent=1))

    rows = []
    for case, _repeat in cases:
        for side in sides:
            runs = [r for r in side.runs if r.case == case]
            if not runs:
                continue
            cells = describe(runs)
            rows.append([f"{case.size:,}".replace(",", " "), case.scheme, f"{case.pool}"
                         + (f" ({case.note})" if case.note else ""), side.name, f"{case.bound_s:.1f}",
                         *cells, "yes" if not runs[0].result["capped"] and median([r.wall for r in runs])
                         <= 1.5 * case.bound_s else "**no**"])
    _common.print_table(
        ["endpoints", "scheme", "pool", "side", "bound s", "wall s", "wall / bound",
         "CPU ms / endpoint", "peak open files", "peak RSS MiB", "healthy / checked",
         "responder CPU ms / endpoint", "≤ 1.5×?"],
        rows, title="Median (min–max) of the runs; the sides alternate",
    )
    notes = {r.result["stderr"] for s in sides for r in s.runs if r.result["stderr"]}
    for note in sorted(notes):
        print(f"- stderr: {note}")
    examples = {}
    for side in sides:
        for run in side.runs:
            for category, text in run.result["examples"].items():
                examples.setdefault((side.name, category), text)
    for (side_name, category), text in sorted(examples.items()):
        print(f"- {side_name}, {category}: e.g. “{text}”")


if __name__ == "__main__":
    main()
