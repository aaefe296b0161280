"""Load check: the Registries list stays responsive while Test Connections hang.

Starts harborreg under gunicorn (gthread workers) on 127.0.0.1 with a throwaway SQLite
database seeded with a few hundred endpoints, opens a black-hole TCP server (accepts,
never answers), then for --duration seconds runs

- --hangs clients pressing Test Connection on the black hole, over and over (each one
  holds a gunicorn thread until ENDPOINT_TEST_DEADLINE), and
- --clients clients browsing and searching the list (page, search, sort, page size),

and prints requests served, latency percentiles and errors, next to a baseline phase of
the same browsing without the hanging tests. It exits 1 when a list request failed, when
the list's p99 under the hanging tests exceeds twice the baseline's (or the baseline + 0.5 s,
or --max-p99), or when a hanging test did not end within ENDPOINT_TEST_DEADLINE + 2 s.

Bounded: everything listens on 127.0.0.1 only; at most --max-requests list requests; the
whole run stops after --duration plus the deadline; gunicorn, the black hole and the
temporary directory are removed at the end, also on Ctrl-C.

    .venv/bin/python bench/load_check.py                       # 2 workers × 8 threads
    .venv/bin/python bench/load_check.py --workers 2 --threads 1   # what sync workers do
"""

from __future__ import annotations

import argparse
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
USER, PASSWORD = "loadcheck", "loadcheck-" + secrets.token_urlsafe(12)

SEED = """
from django.contrib.auth.models import User
from endpoints.models import Registry
User.objects.create_superuser({user!r}, password={password!r})
providers = ["harbor", "docker-registry", "quay", "gitlab", "jfrog-artifactory"]
for n in range({count}):
    registry = Registry(name=f"reg-{{n:04d}}", provider=providers[n % len(providers)],
                        url=f"https://registry-{{n}}.example.com", access_id=f"robot-{{n}}",
                        description=f"team {{n % 17}} mirror")
    registry.set_secret(f"bench-secret-{{n}}")
    registry.save()
"""


@dataclass
class Results:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    hangs: list[tuple[float, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class BlackHole:
    """Accepts TCP connections on 127.0.0.1 and never reads or answers."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.accepted = 0
        self.connections: list[socket.socket] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            self.connections.append(conn)

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(2)
        self.listener.close()
        for conn in self.connections:
            conn.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(scratch: Path, deadline: float) -> dict[str, str]:
    """Production settings (DEBUG off), except plain-http cookies: the check talks to
    gunicorn directly over loopback, without a TLS-terminating proxy."""
    (scratch / "loadcheck_settings.py").write_text(
        "from harborreg.settings import *  # noqa: F403\n"
        f"STATIC_ROOT = {str(scratch / 'static')!r}\n"
        "LOGGING = {'version': 1, 'root': {'level': 'ERROR'}}\n"
    )
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(scratch),
        "PYTHONPATH": f"{scratch}:{ROOT}",
        "HARBORREG_IGNORE_DOTENV": "true",
        "DJANGO_SETTINGS_MODULE": "loadcheck_settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "127.0.0.1",
        "REGISTRY_SECRET_KEYS": f"load1={Fernet.generate_key().decode()}",
        "DATABASE_URL": f"sqlite:///{scratch / 'harborreg.sqlite3'}",
        "HARBORREG_DATA_DIR": str(scratch / "data"),
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "ENDPOINT_TEST_DEADLINE": str(deadline),
        "AXES_FAILURE_LIMIT": "1000",
    }


def manage(env: dict[str, str], *args: str) -> None:
    result = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=300)
    if result.returncode != 0:
        raise SystemExit(f"manage.py {args[0]} failed:\n{result.stderr[-2000:]}")


def wait_for(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if process.poll() is not None:
            raise SystemExit("gunicorn exited during startup")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("gunicorn did not start listening")


def logged_in(base: str) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # loopback only: never through a proxy from the environment
    page = session.get(f"{base}/accounts/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = session.post(f"{base}/accounts/login/", timeout=30, allow_redirects=False,
                          data={"username": USER, "password": PASSWORD, "csrfmiddlewaretoken": token})
    if answer.status_code != 302:
        raise SystemExit(f"login failed: HTTP {answer.status_code}")
    return session


def browse(base: str, session: requests.Session, stop_at: float, budget: threading.Semaphore,
           results: Results, pages: int) -> None:
    rng = random.Random()
    while time.monotonic() < stop_at and budget.acquire(blocking=False):
        path = rng.choice([
            "/registries/",
            f"/registries/?page={rng.randint(1, pages)}",
            f"/registries/?q=reg-0{rng.randint(0, 2)}",
            f"/registries/?q=team+{rng.randint(0, 16)}",
            "/registries/?sort=name&per_page=50",
            "/registries/?sort=-status&per_page=100",
        ])
        started = time.monotonic()
        try:
            # A new connection each time: a keep-alive connection the server is closing just
            # as the client reuses it would count as an error that no browser shows.
            response = session.get(base + path, timeout=30, headers={"Connection": "close"})
            ok = response.status_code == 200 and "Registries" in response.text
            problem = "" if ok else f"HTTP {response.status_code} for {path}"
        except requests.RequestException as exc:
            problem = f"{type(exc).__name__} for {path}"
        took = time.monotonic() - started
        with results.lock:
            results.latencies.append(took)
            if problem:
                results.errors.append(problem)


def hang(base: str, session: requests.Session, black_hole: int, stop_at: float, results: Results) -> None:
    csrf = session.cookies.get("csrftoken")
    form = {"provider": "docker-registry", "name": "black-hole", "url": f"http://127.0.0.1:{black_hole}",
            "verify_remote_cert": "on", "action": "test"}
    while time.monotonic() < stop_at:
        started = time.monotonic()
        try:
            response = session.post(f"{base}/registries/test/", data=form, timeout=120,
                                    headers={"Accept": "application/json", "X-CSRFToken": csrf})
            outcome = response.json().get("category", f"HTTP {response.status_code}")
        except (requests.RequestException, ValueError) as exc:
            outcome = type(exc).__name__
        with results.lock:
            results.hangs.append((time.monotonic() - started, outcome))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--clients", type=int, default=20, help="clients browsing the list")
    parser.add_argument("--hangs", type=int, default=5, help="clients testing a black hole")
    parser.add_argument("--registries", type=int, default=300)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of load, per phase")
    parser.add_argument("--deadline", type=float, default=20.0, help="ENDPOINT_TEST_DEADLINE")
    parser.add_argument("--max-requests", type=int, default=50_000, help="list requests, per phase")
    parser.add_argument("--max-p99", type=float, default=None,
                        help="seconds; an absolute bound on the list's p99 under the hanging tests")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="harborreg-loadcheck-"))
    env = environment(scratch, args.deadline)
    process: subprocess.Popen | None = None
    black_hole: BlackHole | None = None
    phases: dict[str, tuple[Results, float]] = {}

    def stop(*_: object) -> None:
        raise KeyboardInterrupt

    def phase(base: str, sessions: list[requests.Session], hangs: int) -> tuple[Results, float]:
        """--clients browse for --duration while `hangs` clients test the black hole."""
        results = Results()
        started = time.monotonic()
        stop_at = started + args.duration + (1.0 if hangs else 0.0)
        budget = threading.Semaphore(args.max_requests)
        pages = max(1, -(-args.registries // 15))
        hangers = [
            threading.Thread(target=hang, args=(base, s, black_hole.port, stop_at, results), daemon=True)
            for s in sessions[args.clients:args.clients + hangs]
        ]
        browsers = [
            threading.Thread(target=browse, args=(base, s, stop_at, budget, results, pages), daemon=True)
            for s in sessions[:args.clients]
        ]
        for thread in hangers:
            thread.start()
        if hangs:
            time.sleep(1.0)  # the tests hold their threads before the browsing starts
        browsing = time.monotonic()
        for thread in browsers:
            thread.start()
        for thread in browsers:
            thread.join(args.duration + 60)
        browse_s = time.monotonic() - browsing
        for thread in hangers:
            thread.join(args.deadline + 30)
        return results, browse_s

    signal.signal(signal.SIGTERM, stop)
    try:
        print(f"setting up {args.registries} endpoints in {scratch} ...", flush=True)
        manage(env, "migrate", "--noinput")
        manage(env, "collectstatic", "--noinput")
        manage(env, "shell", "-c", SEED.format(user=USER, password=PASSWORD, count=args.registries))
        black_hole = BlackHole()
        port = free_port()
        command = [GUNICORN, "harborreg.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(args.workers),
                   "--threads", str(args.threads), "--timeout", "60"]
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                   stderr=(scratch / "gunicorn.log").open("w"), start_new_session=True)
        wait_for(port, process)
        base = f"http://127.0.0.1:{port}"
        sessions = [logged_in(base) for _ in range(args.clients + args.hangs)]
        print(f"phase 1: {args.clients} clients browse for {args.duration:g} s (baseline) ...", flush=True)
        phases["baseline"] = phase(base, sessions, 0)
        print(f"phase 2: the same while {args.hangs} clients test a black hole ...", flush=True)
        phases[f"{args.hangs} hanging tests"] = phase(base, sessions, args.hangs)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
        if black_hole is not None:
            black_hole.stop()
        shutil.rmtree(scratch, ignore_errors=True)

    print(f"\ngunicorn harborreg.wsgi -w {args.workers} --threads {args.threads} --timeout 60; "
          f"{args.registries} endpoints; ENDPOINT_TEST_DEADLINE={args.deadline:g} s; "
          f"{args.clients} clients browsing and searching the list")
    p99 = {}
    errors = 0
    for name, (results, browse_s) in phases.items():
        lat = results.latencies
        served = len(lat) - len(results.errors)
        errors += len(results.errors)
        p99[name] = percentile(lat, 0.99) if lat else float("inf")
        print(f"{name:>18}: {served} requests in {browse_s:.1f} s ({served / browse_s:.0f}/s), "
              f"{len(results.errors)} errors; latency p50 {percentile(lat, 0.50) * 1000:.0f} ms, "
              f"p90 {percentile(lat, 0.90) * 1000:.0f} ms, p99 {p99[name] * 1000:.0f} ms, "
              f"max {max(lat) * 1000:.0f} ms" if lat else f"{name:>18}: no request completed")
        for problem in sorted(set(results.errors))[:5]:
            print(f"{'':>20}error: {problem}")
    hung = phases[f"{args.hangs} hanging tests"][0].hangs if phases else []
    outcomes = sorted({o for _, o in hung})
    durations = [d for d, _ in hung]
    print(f"Test Connection to the black hole: {len(hung)} tests, verdicts {outcomes}, "
          f"{min(durations, default=0):.1f}–{max(durations, default=0):.1f} s each; the black hole "
          f"accepted {black_hole.accepted if black_hole else 0} connections")

    # Responsive = the hanging tests cost the list little: its p99 stays within twice the
    # baseline's (or baseline + 0.5 s, for very fast baselines), with no error.
    base_p99 = p99.get("baseline", float("inf"))
    hang_p99 = p99.get(f"{args.hangs} hanging tests", float("inf"))
    bound = max(2 * base_p99, base_p99 + 0.5)
    if args.max_p99 is not None:
        bound = min(bound, args.max_p99)
    failed = (len(phases) < 2 or errors or hang_p99 > bound
              or any(d > args.deadline + 2 for d in durations)
              or (args.hangs and outcomes != ["timeout"]))
    print(f"RESULT: {'FAIL' if failed else 'PASS'} (p99 under the hanging tests {hang_p99 * 1000:.0f} ms, "
          f"bound {bound * 1000:.0f} ms; no errors; every test ends within the deadline + 2 s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
