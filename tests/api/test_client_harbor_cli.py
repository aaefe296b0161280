"""harbor-cli 0.3.0 (PyPI, unioslo) as a subprocess with `--format json`, against harborreg
over real sockets and a real docker-registry: create, list across pages (it follows Link),
get, update, ping, a referenced delete, delete, adapters, providers; a viewer and a
view-only robot are refused writes, a robot with add creates.

Its prompts exit with "Headless session detected" when CI or DEBIAN_FRONTEND is set, so
both are removed from its environment; its config lives under HOME (a temporary
directory here), written by `harbor sample-config`, which asks nothing."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.admin.models import ADDITION, LogEntry

from endpoints.models import Registry
from tests.api.conftest import sent_secret

pytestmark = [pytest.mark.registry, pytest.mark.django_db(transaction=True)]

HARBOR = str(Path(sys.executable).with_name("harbor"))


@pytest.fixture
def harbor(harbor_url, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "DEBIAN_FRONTEND")}
    env["HOME"] = str(tmp_path)
    config = tmp_path / "config.toml"
    config.write_text(subprocess.run([HARBOR, "sample-config"], env=env, capture_output=True, text=True,
                                     check=True, timeout=60, stdin=subprocess.DEVNULL).stdout)

    def run(*args: str, user: tuple[str, str] = ("owner", "pw-owner")) -> subprocess.CompletedProcess:
        return subprocess.run(
            [HARBOR, "--config", str(config), "--format", "json", "--url", harbor_url, "--username", user[0],
             "--secret", user[1], "--no-confirm-deletion", *args],
            env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)

    return run


def ok_json(result: subprocess.CompletedProcess):
    assert result.returncode == 0, (result.stdout[-2000:], result.stderr[-2000:])
    return json.loads(result.stdout)


def test_create_list_update_ping_delete(harbor, owner, recording_registry, make_bulk, make_rule):
    created = ok_json(harbor("registry", "create", "cli-mirror", recording_registry.url,
                             "--type", "docker-registry", "--credential-type", "basic",
                             "--access-key", "ci", "--access-secret", "ci-pass",
                             "--description", "from harbor-cli"))
    assert created.startswith("/api/v2.0/registries/")
    pk = created.rsplit("/", 1)[1]
    make_bulk("cli-bulk", 21)

    listed = ok_json(harbor("registry", "list", "--query", "name=~cli-", "--page-size", "10"))
    assert len(listed) == 22  # three pages, through Link

    got = ok_json(harbor("registry", "get", pk))
    assert got["name"] == "cli-mirror" and got["credential"]["access_secret"] == "*****"

    assert harbor("registry", "update", pk, "--description", "changed").returncode == 0
    assert Registry.objects.get(pk=pk).description == "changed"
    recording_registry.clear()
    ping = harbor("registry", "ping", pk)
    assert ping.returncode == 0, ping.stderr
    assert sent_secret(recording_registry) == ["ci-pass"]  # the update kept the stored secret
    assert harbor("registry", "ping", pk, "--access-secret", "wrong").returncode != 0

    make_rule("nightly", source=Registry.objects.get(pk=pk))
    refused = harbor("registry", "delete", pk)
    assert refused.returncode != 0 and "412" in refused.stdout + refused.stderr
    assert Registry.objects.filter(pk=pk).exists()
    other = str(Registry.objects.get(name="cli-bulk-00").pk)
    assert harbor("registry", "delete", other).returncode == 0
    assert not Registry.objects.filter(pk=other).exists()

    assert "docker-registry" in ok_json(harbor("registry", "adapters"))
    assert "docker-hub" in ok_json(harbor("registry", "providers"))
    assert ok_json(harbor("registry", "info", pk))["type"] == "docker-registry"


def test_view_only_accounts_are_refused_writes(harbor, viewer, robots, make_registry):
    pk = str(make_registry(name="seen").pk)
    for user in (("viewer", "pw-viewer"), robots["reader"]):
        assert [r["name"] for r in ok_json(harbor("registry", "list", user=user))] == ["seen"]
        for args in (("registry", "update", pk, "--description", "x"), ("registry", "delete", pk),
                     ("registry", "create", "x", "https://r.example", "--type", "docker-registry")):
            refused = harbor(*args, user=user)
            assert refused.returncode != 0 and "403" in refused.stdout + refused.stderr, args
    assert Registry.objects.get(pk=pk).description == ""


def test_a_robot_with_add_creates(harbor, robots, registry_basic):
    location = ok_json(harbor("registry", "create", "by-robot", registry_basic.url,
                              "--type", "docker-registry", "--access-key", "ci",
                              "--access-secret", registry_basic.password,
                              user=robots["writer"]))

    entry = LogEntry.objects.get(object_id=location.rsplit("/", 1)[1], action_flag=ADDITION)
    assert entry.user.username == "robot$writer"
