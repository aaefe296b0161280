"""The quick start leaves a machine where every documented command works as written
(issue 10, item 2): the first `make run` writes a `.env` (DEBUG on, a generated
SECRET_KEY, mode 0600) and never overwrites one; `make password` sets a new admin
password and prints it once.

These run the real scripts and `manage.py` in a temporary copy of the project, with an
environment that has none of the test suite's settings, as a shell after `make run` has.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
COPIED = ("manage.py", "harborreg", "endpoints", "api", "monitor", "templates", "static", "scripts",
          ".env.example", "Makefile")
# What the test suite puts in its own environment: a shell after `make run` has none of it.
SUITE_ONLY = ("DJANGO_SETTINGS_MODULE", "SECRET_KEY", "DEBUG", "REGISTRY_SECRET_KEYS",
              "REGISTRY_SECRET_KEYS_FILE", "HARBORREG_IGNORE_DOTENV", "HARBORREG_DATA_DIR",
              "DATABASE_URL", "ALLOWED_HOSTS")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the project as a fresh clone has it: no .env, no data/."""
    copy = tmp_path / "harborreg"
    copy.mkdir()
    for name in COPIED:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, copy / name)
    (copy / "data").mkdir()
    return copy


def shell_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in SUITE_ONLY and not k.startswith("PYTEST")}


def run(project: Path, *command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=project, env=shell_env(), capture_output=True, text=True,
                          timeout=180)


def manage(project: Path, *args: str) -> subprocess.CompletedProcess:
    return run(project, sys.executable, "manage.py", *args)


def quickstart_env(project: Path) -> subprocess.CompletedProcess:
    return run(project, sys.executable, "scripts/quickstart_env.py")


def test_without_the_quick_start_env_a_documented_command_fails(project):
    """What issue 10 reported: make run's DEBUG=true lived in its own process only."""
    result = manage(project, "changepassword", "--help")

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_the_first_run_writes_a_private_env_and_says_so(project):
    result = quickstart_env(project)

    assert result.returncode == 0, result.stderr
    env_file = project / ".env"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    text = env_file.read_text()
    assert re.search(r"^DEBUG=true$", text, re.MULTILINE)
    key = re.search(r"^SECRET_KEY=(\S+)$", text, re.MULTILINE)
    assert key and len(key.group(1)) >= 50
    assert "Wrote .env" in result.stdout and "mode 0600" in result.stdout


def test_an_existing_env_is_never_overwritten(project):
    (project / ".env").write_text("DEBUG=false\nSECRET_KEY=mine\n")

    result = quickstart_env(project)

    assert result.returncode == 0, result.stderr
    assert (project / ".env").read_text() == "DEBUG=false\nSECRET_KEY=mine\n"
    assert ".env exists: left as it is" in result.stdout


def test_an_env_that_sets_neither_is_left_alone_with_a_warning(project):
    (project / ".env").write_text("TIME_ZONE=Europe/Berlin\n")

    result = quickstart_env(project)

    assert (project / ".env").read_text() == "TIME_ZONE=Europe/Berlin\n"
    assert "sets neither DEBUG nor SECRET_KEY" in result.stdout


def test_every_documented_command_works_after_the_quick_start_setup(project):
    assert quickstart_env(project).returncode == 0
    assert manage(project, "migrate", "--noinput").returncode == 0

    for args in (["changepassword", "--help"], ["check_registries"], ["rotate_secret_keys", "--verify"],
                 ["ping_endpoint", "--help"], ["shell", "-c", "print('shell works')"]):
        result = manage(project, *args)
        assert result.returncode == 0, (args, result.stderr[-800:])


def test_make_password_sets_a_new_admin_password_and_prints_it_once(project):
    assert quickstart_env(project).returncode == 0
    assert manage(project, "migrate", "--noinput").returncode == 0
    first = manage(project, "admin_password", "--create-only")
    again = manage(project, "admin_password", "--create-only")

    reset = manage(project, "admin_password")

    assert first.returncode == 0, first.stderr
    assert "Log in at http://127.0.0.1:8000/accounts/login/ as admin / " in first.stdout
    assert "make password" in first.stdout  # how to get a new one when this one is lost
    assert "admin account exists" in again.stdout and "make password" in again.stdout
    assert reset.returncode == 0, reset.stderr
    password = re.search(r"New password for admin: (\S+)", reset.stdout).group(1)
    old = re.search(r"as admin / (\S+)", first.stdout).group(1)
    assert password != old
    logs_in = manage(project, "shell", "-v", "0", "-c", (
        "from django.contrib.auth.models import User; admin = User.objects.get(username='admin');"
        f"print(admin.check_password({password!r}), admin.check_password({old!r}))"))
    assert logs_in.stdout.split() == ["True", "False"], logs_in.stderr


def test_make_password_is_the_makefile_target_the_readme_names():
    makefile = (REPO / "Makefile").read_text()
    readme = (REPO / "README.md").read_text()

    assert re.search(r"^password:.*\n\t.*manage\.py admin_password\b", makefile, re.MULTILINE)
    assert "make password" in readme
    assert "manage admin_password --create-only" in (REPO / "scripts" / "run.sh").read_text()


def test_env_is_git_ignored():
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    result = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=REPO)

    assert result.returncode == 0
