"""Shared setup for the benchmark scripts (bench/*.py).

Each script calls `setup_django()` first: it points Django at bench/settings.py (the test
suite's settings, DEBUG off) with a throwaway database that is removed at exit, and
migrates it. The database is a SQLite file in a temporary directory, or, when
BENCH_DATABASE_URL names a PostgreSQL server (`--postgres` under scripts/with-postgres.sh
sets it from DATABASE_URL), a fresh database created on that server and dropped at exit.
The app's own settings then apply (CONN_MAX_AGE, health checks, SQLite's WAL mode), as
harborreg/settings.py sets them for the version under test.

"Before" runs: `--before PATH` names a git worktree of an earlier commit (BEFORE_COMMIT);
`prepare_tree` copies this bench/ into it, so the same scripts drive the old app through
its public entry points (call_command, HTTP to gunicorn, run_check).

Then timing helpers: every figure is a median with its min–max over repeated runs,
compared with a baseline measured in the same run.
"""

from __future__ import annotations

import atexit
import os
import platform
import secrets
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Registry passwords and tokens used against the local servers; never real credentials.
BENCH_USER = "bench"
BENCH_PASSWORD = "bench-pass-not-a-secret"
# "Before" in issue 9's measurements: main when that work started.
BEFORE_COMMIT = "a6bf2a8"
PYTHON = sys.executable
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def scratch_dir(prefix: str = "harborreg-bench-") -> Path:
    """A temporary directory removed when the script exits."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def use_postgres_from_env() -> None:
    """`--postgres`: benchmark on the PostgreSQL server in DATABASE_URL (what
    scripts/with-postgres.sh exports); every process creates its own fresh database there."""
    if not os.environ.get("BENCH_DATABASE_URL"):
        url = os.environ.get("DATABASE_URL", "")
        if not url.startswith(("postgres://", "postgresql://")):
            raise SystemExit("--postgres needs a PostgreSQL DATABASE_URL: run it under "
                             "scripts/with-postgres.sh")
        os.environ["BENCH_DATABASE_URL"] = url


def on_postgres() -> bool:
    return bool(os.environ.get("BENCH_DATABASE_URL"))


def _pg_admin(server_url: str):
    import psycopg

    parts = urlsplit(server_url)
    return psycopg.connect(
        host=parts.hostname, port=parts.port or 5432, user=unquote(parts.username or ""),
        password=unquote(parts.password or ""), dbname=parts.path.lstrip("/") or "postgres",
        autocommit=True,
    )


def create_postgres_database(prefix: str = "bench", template: str | None = None) -> str:
    """A new database on BENCH_DATABASE_URL's server (a copy of `template` if given),
    dropped when this process exits. Returns its URL."""
    server = os.environ["BENCH_DATABASE_URL"]
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    with _pg_admin(server) as admin:
        admin.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    atexit.register(drop_postgres_database, name)
    parts = urlsplit(server)
    return urlunsplit(parts._replace(path="/" + name))


def drop_postgres_database(name: str) -> None:
    try:
        with _pg_admin(os.environ["BENCH_DATABASE_URL"]) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except Exception as exc:  # noqa: BLE001 (cleanup at exit: say so, never raise)
        print(f"(could not drop database {name}: {exc})", file=sys.stderr)


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def fresh_database_url(scratch: Path, prefix: str = "bench") -> str:
    """A throwaway database: PostgreSQL when BENCH_DATABASE_URL is set, else a SQLite file."""
    if on_postgres():
        return create_postgres_database(prefix)
    return f"sqlite:///{scratch / (prefix + '.sqlite3')}"


def setup_django(*, static_root: Path | None = None, database_url: str | None = None,
                 migrate: bool = True, **settings_env: str) -> Path:
    """Configure Django on a fresh database and migrate it. Returns the scratch dir.

    `settings_env` are environment variables read by harborreg/settings.py (for example
    ENDPOINT_TEST_DEADLINE="3"); they must be given here, before Django reads them.
    """
    scratch = scratch_dir()
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ["DATABASE_URL"] = database_url or fresh_database_url(scratch)
    os.environ["HARBORREG_DATA_DIR"] = str(scratch / "data")
    if static_root is not None:
        os.environ["BENCH_STATIC_ROOT"] = str(static_root)
    os.environ.update(settings_env)
    # whitenoise warns about a missing STATIC_ROOT unless the script collected static files.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    import django
    from django.core.management import call_command

    django.setup()
    if migrate:
        call_command("migrate", verbosity=0, interactive=False)
    return scratch


# --- another version of the app (a git worktree of an earlier commit) ---


def prepare_tree(path: str | Path) -> Path:
    """A checkout of another commit, with this bench/ copied into it (its own bench/ is
    replaced: the same scripts measure both versions). Returns its root."""
    root = Path(path).resolve()
    if not (root / "manage.py").is_file() or not (root / "endpoints").is_dir():
        raise SystemExit(f"{root} is not a harborreg checkout (git worktree add {root} {BEFORE_COMMIT})")
    if root == ROOT:
        return root
    for source in Path(__file__).resolve().parent.glob("*.py"):
        shutil.copy2(source, root / "bench" / source.name)
    return root


def tree_commit(root: Path) -> str:
    try:
        return subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def tree_env(root: Path, database_url: str, scratch: Path, **extra: str) -> dict[str, str]:
    """The environment for a process of the app in `root` (manage.py, gunicorn, a bench
    child) on `database_url`, with the benchmark's settings."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DJANGO_SETTINGS_MODULE")}
    env.update({
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "PYTHONPATH": str(root),
        "DATABASE_URL": database_url,
        "HARBORREG_DATA_DIR": str(scratch / "data"),
        **extra,
    })
    return env


def run_python(root: Path, env: dict[str, str], code: str, timeout: float = 600) -> str:
    """Run `code` with Django set up, in the app of `root`; returns its stdout."""
    prologue = "import django; django.setup()\n"
    result = subprocess.run([PYTHON, "-c", prologue + code], cwd=root, env=env, capture_output=True,
                            text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"python in {root} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def manage(root: Path, env: dict[str, str], *args: str, timeout: float = 600) -> str:
    result = subprocess.run([PYTHON, "manage.py", *args], cwd=root, env=env, capture_output=True,
                            text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} in {root} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """The app of `root` served as the README deploys it (gunicorn gthread workers)."""

    def __init__(self, root: Path, env: dict[str, str], log: Path, *, workers: int = 2,
                 threads: int = 8, wait: bool = True) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [GUNICORN, "harborreg.wsgi", "-b", f"127.0.0.1:{self.port}", "--workers", str(workers),
             "--threads", str(threads), "--timeout", "120"],
            cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=log.open("ab"), start_new_session=True,
        )
        atexit.register(self.stop)
        if wait:
            self.wait_listening()

    def wait_listening(self, timeout: float = 30) -> None:
        import socket

        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.process.poll() is not None:
                break
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.02)
        self.stop()
        raise RuntimeError("gunicorn did not start: " + self.log.read_text()[-3000:])

    def stop(self) -> None:
        if self.process.poll() is None:
            import signal

            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)


class ProcessSampler:
    """Samples another process's open files (/proc/PID/fd) and resident memory every
    `interval` seconds from this process, so the measured one does no extra work."""

    def __init__(self, pid: int, interval: float = 0.01) -> None:
        self.pid = pid
        self.interval = interval
        self.peak_files = 0
        self.peak_rss_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        fd_dir = f"/proc/{self.pid}/fd"
        status = f"/proc/{self.pid}/status"
        while not self._stop.is_set():
            try:
                self.peak_files = max(self.peak_files, len(os.listdir(fd_dir)))
                with open(status) as lines:
                    for line in lines:
                        if line.startswith("VmRSS:"):
                            self.peak_rss_kib = max(self.peak_rss_kib, int(line.split()[1]))
                            break
            except (OSError, ValueError):
                pass
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)


def proc_status_kib(field: str, pid: int | str = "self") -> int:
    """A memory figure of /proc/PID/status (VmRSS, VmHWM, …) in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def load_average() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def machine() -> str:
    """One line about where the figures come from (the machine may be shared)."""
    import django

    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        cpu = platform.processor() or "unknown CPU"
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    database = f"SQLite {sqlite3.sqlite_version}"
    try:
        from django.db import connection

        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SHOW server_version")
                database = f"PostgreSQL {cursor.fetchone()[0].split()[0]} (loopback)"
    except Exception:  # noqa: BLE001 (Django not set up in this process: say SQLite's)
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, load {load}; Python {platform.python_version()}, "
        f"Django {django.get_version()}, {database}"
    )


def staff_user(username: str = "bench-admin"):
    """A staff user with every endpoints permission (what the pages and the admin need)."""
    from django.contrib.auth.models import Permission, User

    user, _ = User.objects.get_or_create(username=username, defaults={"is_staff": True})
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="endpoints"))
    return user


def logged_in_client(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


# --- timing ---


@dataclass
class Stats:
    samples: list[float]  # seconds

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def min(self) -> float:
        return min(self.samples)

    @property
    def max(self) -> float:
        return max(self.samples)

    def ms(self, digits: int = 1) -> str:
        """`median (min–max) ms`."""
        return f"{self.median * 1000:.{digits}f} ({self.min * 1000:.{digits}f}–{self.max * 1000:.{digits}f})"

    def s(self, digits: int = 2) -> str:
        return f"{self.median:.{digits}f} ({self.min:.{digits}f}–{self.max:.{digits}f})"


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def measure(fn: Callable[[], object], repeat: int, warmup: int = 2) -> Stats:
    for _ in range(warmup):
        fn()
    return Stats([timed(fn) for _ in range(repeat)])


def measure_interleaved(fns: dict[str, Callable[[], object]], repeat: int,
                        warmup: int = 2) -> dict[str, Stats]:
    """Run the candidates in turn (A B C A B C …) so a burst of load from the other work on
    the machine hits all of them alike; a baseline is only compared with its own run."""
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            samples[name].append(timed(fn))
    return {name: Stats(values) for name, values in samples.items()}


def ratio(value: Stats, baseline: Stats) -> str:
    """Median ratio, with the spread of per-round ratios when the samples pair up."""
    main = value.median / baseline.median
    if len(value.samples) == len(baseline.samples):
        per_round = sorted(v / b for v, b in zip(value.samples, baseline.samples, strict=True))
        return f"{main:.2f}× ({per_round[0]:.2f}–{per_round[-1]:.2f})"
    return f"{main:.2f}×"


def print_table(headers: Sequence[str], rows: Iterable[Sequence[object]], title: str = "") -> None:
    """A Markdown table, so the output can go into docs/benchmarks.md as it is."""
    rows = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    if title:
        print(f"\n### {title}\n")
    print("| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
    sys.stdout.flush()


def header(title: str, command: str) -> None:
    print(f"## {title}\n")
    print(f"- machine: {machine()}")
    print(f"- command: `{command}`")
    sys.stdout.flush()
