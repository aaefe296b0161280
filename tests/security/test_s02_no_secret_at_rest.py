"""S2: the database file, pg_dump and dumpdata hold only ciphertext."""

import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from tests.security.canary import JSON_KEY, JSON_KEY_CANARY, PASSWORD_CANARY, find_canaries

CANARIES = (PASSWORD_CANARY, JSON_KEY_CANARY)


@pytest.fixture
def seeded(make_registry):
    make_registry(name="docker", access_id="ci", secret=PASSWORD_CANARY)
    make_registry(
        name="gcr", provider="google-gcr", url="https://gcr.io", access_id="_json_key", secret=JSON_KEY
    )


@pytest.mark.django_db(transaction=True)
def test_dumpdata_holds_only_ciphertext(seeded):
    out = io.StringIO()
    call_command("dumpdata", "endpoints", stdout=out)
    dump = out.getvalue()
    assert '"access_secret_encrypted": "v1:' in dump
    assert find_canaries(dump, *CANARIES) == []


@pytest.mark.django_db(transaction=True)
def test_the_database_itself_holds_only_ciphertext(seeded, tmp_path):
    if connection.vendor == "sqlite":
        if connection.settings_dict["NAME"].startswith(("file:", ":memory:")) or "mode=memory" in str(
            connection.settings_dict["NAME"]
        ):
            copy = tmp_path / "copy.sqlite3"
            with connection.cursor() as cursor:
                cursor.execute("VACUUM INTO %s", [str(copy)])
            raw = copy.read_bytes()
        else:
            raw = Path(connection.settings_dict["NAME"]).read_bytes()
        assert b"registry_name_ci_unique" in raw or b"endpoints_registry" in raw
    else:
        pg_dump = shutil.which("pg_dump") or "/usr/lib/postgresql/15/bin/pg_dump"
        db = connection.settings_dict
        env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
        raw = subprocess.run(
            [pg_dump, "-h", db["HOST"] or "127.0.0.1", "-p", str(db["PORT"] or 5432), "-U", db["USER"],
             "--data-only", "-t", "endpoints_registry", db["NAME"]],
            check=True, capture_output=True, env=env,
        ).stdout
        assert b"v1:" in raw
    assert find_canaries(raw, *CANARIES) == []


@pytest.mark.django_db(transaction=True)
def test_a_robot_secret_is_kept_only_as_a_hash(tmp_path, owner):
    """Robot accounts (issue 11): dumpdata and the database file hold the hash only."""
    from api.models import RobotAccount

    robot, secret = RobotAccount.objects.create_robot("canary", ["view_registry"], created_by=owner)
    regenerated = robot.regenerate_secret()
    out = io.StringIO()
    call_command("dumpdata", "api", "auth", "admin", stdout=out)
    dump = out.getvalue()
    assert '"secret_hash": "pbkdf2_sha256$' in dump
    assert find_canaries(dump, secret, regenerated) == []
    if connection.vendor == "sqlite":
        copy = tmp_path / "copy.sqlite3"
        with connection.cursor() as cursor:
            cursor.execute("VACUUM INTO %s", [str(copy)])
        raw = copy.read_bytes()
        assert b"robot$canary" in raw
        assert find_canaries(raw, secret, regenerated) == []
