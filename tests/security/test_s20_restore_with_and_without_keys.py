"""S20: a backup restored on a clean instance together with its key file works
(`rotate_secret_keys --verify` passes, Check now authenticates); the same database
without its keys stops the app at startup, loudly, and nothing is rewritten
(Harbor #21282: a database moved without its key)."""

import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from endpoints import secrets
from endpoints.models import Registry
from tests.security.canary import PASSWORD_CANARY, find_canaries
from tests.security.conftest import key_entry

REPO = Path(__file__).resolve().parents[2]
DUMP_ARGS = ["--natural-foreign", "--natural-primary", "-e", "contenttypes", "-e", "auth.permission",
             "-e", "sessions", "-e", "axes", "-e", "admin.logentry"]


@pytest.fixture
def backup(make_registry, make_rule, recording_registry, tmp_path) -> Path:
    """A dumpdata backup of three endpoints (two with secrets) and a rule; the key file
    is kept apart, as docs/security.md says."""
    recording_registry.password = PASSWORD_CANARY
    for name in ("alpha", "beta"):
        make_registry(name=name, url=recording_registry.url, access_id="ci", secret=PASSWORD_CANARY)
    anonymous = make_registry(name="anonymous", url=recording_registry.url)
    make_rule("nightly", source=anonymous)
    User.objects.create_user("operator", password="operator-pw-S20", is_staff=True, is_superuser=True)
    out = io.StringIO()
    call_command("dumpdata", *DUMP_ARGS, "--indent", "1", stdout=out)
    path = tmp_path / "backup.json"
    path.write_text(out.getvalue())
    assert find_canaries(path.read_text(), PASSWORD_CANARY) == []
    return path


def key_file(tmp_path: Path, entries: list[str]) -> Path:
    path = tmp_path / "keys" / "registry-secret-keys"
    path.parent.mkdir(exist_ok=True)
    path.write_text("\n".join(entries) + "\n")
    path.chmod(0o600)
    return path


def instance_env(tmp_path: Path, keys: Path | None) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "HARBORREG_IGNORE_DOTENV": "true",
        "DJANGO_SETTINGS_MODULE": "harborreg.settings",
        "DEBUG": "false",
        "SECRET_KEY": "s20-" + "k" * 60,
        "ALLOWED_HOSTS": "harborreg.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'restored.sqlite3'}",
        "HARBORREG_DATA_DIR": str(tmp_path / "data"),
    }
    if keys is not None:
        env["REGISTRY_SECRET_KEYS_FILE"] = str(keys)
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=180)


def ciphertexts(database: Path) -> dict[str, str]:
    with sqlite3.connect(database) as db:
        return dict(db.execute("SELECT name, access_secret_encrypted FROM endpoints_registry"))


@pytest.mark.django_db
def test_a_restore_with_its_key_file_works_on_a_clean_instance(backup, tmp_path, recording_registry):
    keys = key_file(tmp_path, [os.environ["REGISTRY_SECRET_KEYS"]])  # this instance's key, now a file
    env = instance_env(tmp_path, keys)

    steps = [manage(env, "migrate", "--noinput"), manage(env, "loaddata", str(backup))]
    assert [s.returncode for s in steps] == [0, 0], [s.stderr for s in steps]
    verify = manage(env, "rotate_secret_keys", "--verify")
    check = manage(env, "check_registries", "--json")

    assert verify.returncode == 0 and verify.stdout.strip().endswith("verified=2 failed=0"), verify.stderr
    results = {r["name"]: (r["ok"], r["category"]) for r in json.loads(check.stdout)["results"]}
    # The endpoint without credentials is refused by this Basic registry (SPEC §7): exit 1.
    assert results == {"alpha": (True, "ok"), "beta": (True, "ok"), "anonymous": (False, "auth")}
    assert check.returncode == 1, check.stdout + check.stderr
    assert len(recording_registry.credentialed) == 2  # the restored secrets really authenticated
    assert find_canaries(verify.stdout + verify.stderr + check.stdout + check.stderr, PASSWORD_CANARY) == []


@pytest.mark.django_db
def test_the_database_without_its_keys_stops_loudly_and_is_not_rewritten(backup, tmp_path):
    env = instance_env(tmp_path, key_file(tmp_path, [os.environ["REGISTRY_SECRET_KEYS"]]))
    assert manage(env, "migrate", "--noinput").returncode == 0
    assert manage(env, "loaddata", str(backup)).returncode == 0
    database = tmp_path / "restored.sqlite3"
    before, before_bytes = ciphertexts(database), database.read_bytes()

    missing = instance_env(tmp_path, keys=None)  # the key file was not restored
    unreadable = instance_env(tmp_path, keys=tmp_path / "keys" / "not-restored")
    outcomes = {
        "check": manage(missing, "check"),
        "check_registries": manage(missing, "check_registries"),
        "rotate": manage(missing, "rotate_secret_keys"),
        "verify (no file)": manage(unreadable, "rotate_secret_keys", "--verify"),
        "wsgi": subprocess.run([sys.executable, "-c", "import harborreg.wsgi"], cwd=REPO, env=missing,
                               capture_output=True, text=True, timeout=120),
    }

    for what, result in outcomes.items():
        assert result.returncode != 0, what
        assert ("No secret keys configured" in result.stderr
                or "REGISTRY_SECRET_KEYS_FILE" in result.stderr), (what, result.stderr[-500:])
    assert "harborreg.E001" in outcomes["check"].stderr
    assert "Restore the key file that belongs to this database" in outcomes["check"].stderr
    assert database.read_bytes() == before_bytes  # not a byte written
    assert not (tmp_path / "data" / "registry-secret-keys").exists()  # no key made up either
    assert ciphertexts(database) == before


@pytest.mark.django_db
def test_a_new_key_instead_of_the_lost_one_rewrites_nothing(backup, tmp_path):
    """The operator generates a fresh key to get past the startup error: the app starts,
    but rotation and --verify refuse every stored secret and leave them as they are, so the
    right key file can still be restored later."""
    env = instance_env(tmp_path, key_file(tmp_path, [os.environ["REGISTRY_SECRET_KEYS"]]))
    assert manage(env, "migrate", "--noinput").returncode == 0
    assert manage(env, "loaddata", str(backup)).returncode == 0
    database = tmp_path / "restored.sqlite3"
    before = ciphertexts(database)
    wrong = instance_env(tmp_path, key_file(tmp_path, [key_entry("fresh")]))

    rotate = manage(wrong, "rotate_secret_keys")
    verify = manage(wrong, "rotate_secret_keys", "--verify")
    check = manage(wrong, "check_registries", "--json")

    assert rotate.returncode == 1 and rotate.stdout.strip().endswith("rotated=0 skipped=1 failed=2")
    assert verify.returncode == 1 and verify.stdout.strip().endswith("verified=0 failed=2")
    assert "the key 'test1' is not configured" in verify.stderr
    assert check.returncode == 1
    summaries = {r["name"]: r["summary"] for r in json.loads(check.stdout)["results"]}
    assert summaries["alpha"] == summaries["beta"] == secrets.UNDECRYPTABLE_MESSAGE
    assert ciphertexts(database) == before


@pytest.mark.django_db(transaction=True)
def test_dumpdata_then_loaddata_into_an_emptied_database_then_check_now(backup, client, recording_registry):
    """The same round trip inside this test database (so it also runs on PostgreSQL): flush
    everything, load the backup, verify, and Check now through the page."""
    call_command("flush", "--noinput")
    assert not Registry.objects.exists()
    secrets.reset_key_cache()

    call_command("loaddata", str(backup), stdout=io.StringIO())
    out = io.StringIO()
    call_command("rotate_secret_keys", "--verify", stdout=out, stderr=io.StringIO())
    client.force_login(User.objects.get(username="operator"))
    answers = [client.post(f"/registries/{pk}/check/", HTTP_ACCEPT="application/json").json()
               for pk in Registry.objects.exclude(access_secret_encrypted="").values_list("pk", flat=True)]

    assert out.getvalue().strip().endswith("verified=2 failed=0")
    assert [(a["ok"], a["category"]) for a in answers] == [(True, "ok"), (True, "ok")]
    assert len(recording_registry.credentialed) == 2
    assert Registry.objects.get(name="anonymous").rules().get().name == "nightly"
