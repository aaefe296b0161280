"""S12: a black hole (accepts, never answers) and a slow drip (one byte at a time, never
done) get a verdict within ENDPOINT_TEST_DEADLINE (+1 s), through the engine and through
the pages; and no outbound request anywhere in the code goes without a timeout."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fixtures.local_servers import black_hole, slow_drip
from tests.fixtures.probing import check, failed_step
from tests.forms import registry_form

DEADLINE_S = 2.0
REPO = Path(__file__).resolve().parents[2]
CODE = ("endpoints", "harborreg")
# The outbound seam (SPEC §8) and the one sanctioned exception that documents its own
# timeouts and policy (boto3 for the AWS API).
SEAM = {"endpoints/probe/http.py", "endpoints/probe/sockets.py", "endpoints/probe/policy.py",
        "endpoints/probe/preflight.py", "endpoints/probe/tls.py", "endpoints/providers/ecr_token.py"}
NETWORK_MODULES = {"requests", "urllib3", "http.client", "httpx", "aiohttp", "socket", "boto3",
                   "botocore", "urllib.request"}


@pytest.fixture
def short_deadline(settings):
    settings.ENDPOINT_TEST_DEADLINE = DEADLINE_S
    return DEADLINE_S


def timed_check(url: str, **kwargs):
    started = time.monotonic()
    verdict = check(url, **kwargs)
    return verdict, time.monotonic() - started


def test_a_black_hole_gets_a_verdict_within_the_deadline(serve_raw, short_deadline):
    server = serve_raw(black_hole)

    verdict, took = timed_check(server.url, username="ci", password="pw-black-hole")

    assert took < short_deadline + 1, took
    assert verdict.category == "timeout"
    step = failed_step(verdict)
    assert step.name == f"GET {server.url}/v2/"
    assert "longer than its 2 s (ENDPOINT_TEST_DEADLINE, a server setting)" in verdict.summary
    assert "127.0.0.1" in step.hint
    assert verdict.elapsed_ms < (short_deadline + 1) * 1000


def test_a_black_hole_behind_https_times_out_in_the_tls_step(serve_raw, short_deadline):
    server = serve_raw(black_hole)

    verdict, took = timed_check(server.url.replace("http://", "https://"))

    assert took < short_deadline + 1, took
    assert verdict.category == "timeout"
    assert failed_step(verdict).name == "TLS"


def test_the_read_timeout_applies_before_the_deadline(serve_raw, settings):
    settings.ENDPOINT_READ_TIMEOUT = 0.5
    server = serve_raw(black_hole)

    verdict, took = timed_check(server.url)

    assert took < 1.5, took
    assert verdict.category == "timeout"
    assert "no answer within 0.5 s (ENDPOINT_READ_TIMEOUT, a server setting)" in verdict.summary


def test_a_slow_drip_gets_a_verdict_within_the_deadline(serve_raw, short_deadline):
    # One byte every 0.1 s: no single read ever waits long, the headers never end.
    server = serve_raw(slow_drip(0.1))

    verdict, took = timed_check(server.url)

    assert took < short_deadline + 1, took
    assert verdict.category == "timeout"
    assert failed_step(verdict).name == f"GET {server.url}/v2/"
    assert "ENDPOINT_TEST_DEADLINE" in verdict.summary


def test_run_check_takes_a_deadline_argument(serve_raw):
    server = serve_raw(black_hole)

    verdict, took = timed_check(server.url, deadline_s=1.0)

    assert took < 1.5, took
    assert verdict.category == "timeout"
    assert "longer than its 1 s" in verdict.summary


@pytest.mark.django_db
@pytest.mark.parametrize("behaviour", [black_hole, slow_drip(0.1)], ids=["black-hole", "slow-drip"])
def test_the_pages_answer_within_the_deadline(behaviour, owner_client, make_registry, serve_raw,
                                              short_deadline):
    """Test Connection and Check now hold a worker for the deadline at most (the load
    check in bench/load_check.py shows what that means for the other users)."""
    server = serve_raw(behaviour)
    registry = make_registry(name="hole", url=server.url, access_id="ci", secret="pw-hole")

    started = time.monotonic()
    tested = owner_client.post("/registries/test/", registry_form(url=server.url, action="test"),
                               HTTP_ACCEPT="application/json").json()
    middle = time.monotonic()
    checked = owner_client.post(f"/registries/{registry.pk}/check/", HTTP_ACCEPT="application/json").json()
    ended = time.monotonic()

    assert tested["category"] == checked["category"] == "timeout"
    assert middle - started < short_deadline + 1
    assert ended - middle < short_deadline + 1


def test_bandit_finds_no_request_without_a_timeout():
    result = subprocess.run(
        [sys.executable, "-m", "bandit", "-q", "-r", *CODE, "-t", "B113", "-f", "json"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )

    report = json.loads(result.stdout)
    assert report["results"] == [], report["results"]
    assert report["metrics"]["_totals"]["loc"] > 1000  # it really scanned the code


def imported_modules(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_only_the_seam_opens_network_connections():
    """bandit's B113 knows only `requests`; this catches the other ways out: a provider
    that imports urllib3, http.client or socket itself would bypass the deadline and the
    address policy."""
    offenders = {}
    for top in CODE:
        for path in sorted((REPO / top).rglob("*.py")):
            relative = path.relative_to(REPO).as_posix()
            if relative in SEAM or "/migrations/" in relative:
                continue
            modules = imported_modules(ast.parse(path.read_text()))
            direct = {m for m in modules if m in NETWORK_MODULES or m.split(".")[0] in
                      {"requests", "urllib3", "httpx", "aiohttp", "boto3", "botocore"}}
            if direct:
                offenders[relative] = sorted(direct)

    assert offenders == {}
