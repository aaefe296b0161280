"""`manage.py monitor_registries` as its own process, on a database file it shares with
other processes (SQLite in WAL mode): SIGTERM finishes the check in flight and exits 0;
SIGKILL leaves the lease to run out, and a second monitor takes over and keeps checking."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fixtures.local_servers import black_hole, wait_until

REPO = Path(__file__).resolve().parents[2]
SEED = """
from endpoints.models import Registry
for name, url in {registries!r}:
    Registry.objects.create(name=name, provider="docker-registry", url=url)
"""
REPORT = """
import json
from django.db.models import Max
from endpoints.models import HealthCheck
from monitor.models import MonitorLease
lease = MonitorLease.objects.first()
print(json.dumps({
    "checks": list(HealthCheck.objects.values_list("registry__name", "category", "checked_at")),
    "holder": lease.holder if lease else None,
}, default=str))
"""


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("monitor-db") / "template.sqlite3"
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=REPO, env=environment(path),
                   check=True, timeout=120)
    return path


def environment(database: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": f"sqlite:///{database}",
            "PYTHONUNBUFFERED": "1", "HEALTH_CHECK_INTERVAL": "2", "HEALTH_MONITOR_LEASE_SECONDS": "2",
            "ENDPOINT_TEST_DEADLINE": "2", "LOG_LEVEL": "INFO", **extra}


class Database:
    def __init__(self, path: Path) -> None:
        self.path = path

    def django(self, code: str) -> str:
        script = "import django; django.setup()\n" + code
        result = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=environment(self.path),
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def seed(self, *registries: tuple[str, str]) -> None:
        self.django(SEED.format(registries=list(registries)))

    def report(self) -> dict:
        return json.loads(self.django(REPORT))


@pytest.fixture
def database(migrated, tmp_path) -> Database:
    path = tmp_path / "shared.sqlite3"
    shutil.copy(migrated, path)
    return Database(path)


class MonitorProcess:
    def __init__(self, database: Database, log: Path, *args: str) -> None:
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "monitor_registries", *args], cwd=REPO,
                env=environment(database.path), stdout=out, stderr=subprocess.STDOUT)

    def output(self) -> str:
        return self.log.read_text()

    def says(self, text: str, timeout: float) -> bool:
        return wait_until(lambda: text in self.output(), timeout=timeout)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture
def monitors(tmp_path):
    started: list[MonitorProcess] = []

    def start(database: Database, name: str, *args: str) -> MonitorProcess:
        started.append(MonitorProcess(database, tmp_path / f"{name}.log", *args))
        return started[-1]

    yield start
    for monitor in started:
        monitor.stop()


def test_sigterm_finishes_the_check_in_flight_and_exits_0(database, monitors, serve_raw):
    hole = serve_raw(black_hole)
    database.seed(("hole", hole.url))
    monitor = monitors(database, "a", "--interval", "4")
    assert wait_until(lambda: hole.accepted > 0, timeout=20), monitor.output()

    monitor.process.send_signal(signal.SIGTERM)

    assert monitor.process.wait(timeout=10) == 0, monitor.output()
    output = monitor.output()
    assert "finishing 1 check in flight" in output and "the lease is released" in output
    report = database.report()
    assert [(name, category) for name, category, _at in report["checks"]] == [("hole", "timeout")]
    assert report["holder"] == ""


def test_a_killed_monitors_lease_is_taken_over(database, monitors, registry_open):
    database.seed(("open", registry_open.url))
    first = monitors(database, "first")
    assert first.says("holding the lease as", timeout=20), first.output()
    second = monitors(database, "second")
    assert second.says("waiting to take over", timeout=20), second.output()
    assert "holding the lease" not in second.output()

    first.process.send_signal(signal.SIGKILL)
    first.process.wait(10)
    killed_at = time.time()

    assert second.says("holding the lease as", timeout=10), second.output()
    took_over_after = time.time() - killed_at
    assert wait_until(lambda: any(at > time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(killed_at + 0.5))
                                  for _name, _category, at in database.report()["checks"]), timeout=10)
    assert took_over_after < 2 + 2  # the lease's 2 s, then the next try within a third of it
    second.process.send_signal(signal.SIGTERM)
    assert second.process.wait(timeout=10) == 0
