"""What a check costs the server, as rules (the timings are in bench/): the TLS context is
built once per trust and shared; a finished check holds no socket, without waiting for the
garbage collector; the pre-flight's connection carries the first request; and a lowered
open-files limit never turns a healthy endpoint Unhealthy."""

from __future__ import annotations

import gc
import json
import os
import re
import resource
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from endpoints.probe import tls
from tests.fixtures.local_servers import REGISTRY_HEADERS
from tests.fixtures.probing import check

REPO = Path(__file__).resolve().parents[1]


def open_sockets() -> int:
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            count += os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
        except FileNotFoundError:  # the listing's own descriptor, already closed
            pass
    return count


@pytest.fixture
def no_gc():
    """The garbage collector off: whatever is closed, the check closed itself."""
    gc.collect()
    gc.disable()
    yield
    gc.enable()


@pytest.mark.registry
def test_the_tls_context_is_built_once_for_many_checks(registry_tls, monkeypatch):
    built: list[bool] = []
    real = tls.build_context

    def counting(**kwargs):
        built.append(kwargs["verify"])
        return real(**kwargs)

    tls.forget_shared_contexts()
    monkeypatch.setattr(tls, "build_context", counting)
    try:
        verdicts = [check(registry_tls.url, registry_tls.username, registry_tls.password,
                          ca_pem=registry_tls.ca_pem) for _ in range(5)]
    finally:
        tls.forget_shared_contexts()

    assert all(v.ok for v in verdicts), verdicts[0].as_json()
    assert built == [True]  # one context with the system store and this CA, for all five


@pytest.mark.registry
@pytest.mark.parametrize("server", ["registry_open", "registry_tls"])
def test_a_check_closes_every_socket_it_opened(server, request, no_gc):
    registry = request.getfixturevalue(server)
    ca = getattr(registry, "ca_pem", "")
    check(registry.url, registry.username, registry.password, ca_pem=ca)  # warm-up: imports, contexts
    before = open_sockets()

    verdicts = [check(registry.url, registry.username, registry.password, ca_pem=ca) for _ in range(20)]

    assert all(v.ok for v in verdicts), verdicts[0].as_json()
    assert open_sockets() == before


def test_the_pre_flight_connection_carries_the_first_request(serve_http, settings):
    """DNS, policy, TCP (and TLS) are checked on the connection the request then uses: one
    connection for an anonymous check, as a plain client would open."""
    server = serve_http(lambda r: r.reply(200, "{}", REGISTRY_HEADERS))
    connections: set[int] = set()
    original = server.handler

    def recording(request):
        connections.add(id(request.handler.connection))
        original(request)

    server.handler = recording

    verdict = check(server.url)

    assert verdict.ok
    assert [step.name for step in verdict.steps][:3] == ["Check input", "Address policy", "TCP connect"]
    assert len(server.seen) == 1 and len(connections) == 1


@pytest.mark.registry
def test_the_pre_flight_tls_connection_carries_the_first_request(registry_tls, dialled):
    """Over TLS 1.3 the server sends session tickets right after the handshake (the real
    registry does): they are not an answer, so the handshaken connection is still the one
    the requests use — one dial for the whole Basic-auth check."""
    verdict = check(registry_tls.url, registry_tls.username, registry_tls.password,
                    ca_pem=registry_tls.ca_pem)

    assert verdict.ok, verdict.as_json()
    assert "TLSv1.3" in next(s.detail for s in verdict.steps if s.name == "TLS")
    assert dialled == ["127.0.0.1"]


def test_threads_asking_at_once_build_one_tls_context(monkeypatch):
    """A pool of checks starting together must not each load the CA store."""
    built: list[bool] = []
    real = tls.build_context

    def slow(**kwargs):
        built.append(kwargs["verify"])
        time.sleep(0.05)  # loading the system store takes this long on a busy machine
        return real(**kwargs)

    tls.forget_shared_contexts()
    monkeypatch.setattr(tls, "build_context", slow)
    start = threading.Barrier(8)

    def ask():
        start.wait()
        tls.shared_context(verify=True)

    threads = [threading.Thread(target=ask) for _ in range(8)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        tls.forget_shared_contexts()

    assert built == [True]


def test_a_lowered_open_files_limit_never_marks_a_healthy_endpoint_unhealthy(serve_http, tmp_path):
    """check_registries with a pool far above what `ulimit -n 128` allows: the pool is cut
    down (and the output says so), and every endpoint comes out healthy."""
    server = serve_http(lambda r: r.reply(200, "{}", REGISTRY_HEADERS))
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
        "HARBORREG_IGNORE_DOTENV": "true", "DJANGO_SETTINGS_MODULE": "harborreg.settings",
        "DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(32),
        "REGISTRY_SECRET_KEYS": f"k1={Fernet.generate_key().decode()}",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "HARBORREG_DATA_DIR": str(tmp_path),
    }

    def manage(*args: str, limit: int | None = None) -> subprocess.CompletedProcess:
        def lower() -> None:
            if limit is not None:
                hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
                resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))
        return subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True,
                              text=True, timeout=240, preexec_fn=lower)

    assert manage("migrate", "-v", "0").returncode == 0
    create = ("from endpoints.models import Registry\n"
              f"for n in range(300): Registry.objects.create(name=f'ep-{{n}}', provider='docker-registry', "
              f"url='{server.url}/e{{n}}')")
    assert manage("shell", "-c", create).returncode == 0

    result = manage("check_registries", "--pool", "128", "--json", limit=128)

    assert re.search(r"Checking \d+ endpoints at a time instead of 128: .* 128 files \(ulimit -n\)",
                     result.stderr), result.stderr
    report = json.loads(result.stdout)
    assert (report["checked"], report["healthy"], report["not_checked"]) == (300, 300, []), (
        [r["summary"] for r in report["results"] if not r["ok"]][:3])
    assert result.returncode == 0


def test_loading_the_app_does_not_import_botocore():
    """Every manage.py command and web worker loads the provider registry; botocore (~40 ms
    to import) is needed by the ECR check only."""
    code = ("import django, sys; django.setup(); import endpoints.admin, endpoints.views, "
            "endpoints.providers; print('botocore' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                            env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}, timeout=60)

    assert result.stdout.strip() == "False", result.stderr
