"""Shared setup for the benchmark scripts (bench/*.py).

Each script calls `setup_django()` first: it points Django at bench/settings.py (the test
suite's settings, DEBUG off) with a throwaway SQLite file in a temporary directory that
is removed at exit, and migrates it. Then timing helpers: every figure is a median with
its min–max over repeated runs, compared with a baseline measured in the same run.
"""

from __future__ import annotations

import atexit
import os
import platform
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Registry passwords and tokens used against the local servers; never real credentials.
BENCH_USER = "bench"
BENCH_PASSWORD = "bench-pass-not-a-secret"


def scratch_dir(prefix: str = "harborreg-bench-") -> Path:
    """A temporary directory removed when the script exits."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def setup_django(*, static_root: Path | None = None, **settings_env: str) -> Path:
    """Configure Django on a fresh SQLite file and migrate it. Returns the scratch dir.

    `settings_env` are environment variables read by harborreg/settings.py (for example
    ENDPOINT_TEST_DEADLINE="3"); they must be given here, before Django reads them.
    """
    scratch = scratch_dir()
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ["BENCH_DB"] = str(scratch / "bench.sqlite3")
    os.environ["HARBORREG_DATA_DIR"] = str(scratch / "data")
    if static_root is not None:
        os.environ["BENCH_STATIC_ROOT"] = str(static_root)
    os.environ.update(settings_env)
    # whitenoise warns about a missing STATIC_ROOT unless the script collected static files.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    return scratch


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
    return (
        f"{cpu}, {os.cpu_count()} cores, load {load}; Python {platform.python_version()}, "
        f"Django {django.get_version()}, SQLite {sqlite3.sqlite_version}"
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
