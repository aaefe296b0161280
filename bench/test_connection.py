"""Benchmark 2: Test Connection over HTTP against a local token-auth docker-registry.

Starts Debian's docker-registry in token mode with the test suite's token service (the
building blocks of tests/fixtures/registry_servers.py and token_server.py) and harborreg
itself under gunicorn as the README deploys it. Then, interleaved:

- harborreg: POST /registries/test/ with the page's form and `Accept: application/json`,
  exactly what the form's Test Connection button sends, over real HTTP;
- baseline: the same HTTP exchanges with plain `requests` and a fresh session, as a
  Test Connection starts cold: GET /v2/ → 401 Bearer challenge → GET token (Basic) →
  GET /v2/ with the token.

Also shown, to see where the time goes: the same POST through Django's test client (no
HTTP), the check engine alone (run_check), the form's validation alone (test_only, and the
full validation that Save runs), Django's floor
for an authenticated JSON POST (bench/urls.py: session, user, permission check, CSRF,
middleware, nothing else), the baseline with a warm keep-alive session, and the Test
Connection of a saved endpoint (stored secret decrypted, audit log written).

    .venv/bin/python bench/test_connection.py [--repeat 30] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import subprocess
import sys
import time
from pathlib import Path

import _common
import requests

CHALLENGE_PARAM = re.compile(r'(\w+)="([^"]*)"')


def start_servers(scratch):
    """The token service and a token-mode docker-registry, as the test fixtures start them."""
    from tests.fixtures.registry_servers import (
        TOKEN_ISSUER,
        TOKEN_SERVICE,
        RegistryFleet,
        _token_auth,
    )
    from tests.fixtures.token_server import TokenIssuer, TokenServer

    token_server = TokenServer(
        TokenIssuer(TOKEN_ISSUER, TOKEN_SERVICE), _common.BENCH_USER, _common.BENCH_PASSWORD
    ).start()
    fleet = RegistryFleet(scratch / "registries")
    url = fleet.start("token", auth=_token_auth(token_server, scratch / "token-auth"))
    return token_server, fleet, url


def start_harborreg(scratch) -> tuple[subprocess.Popen, str]:
    """harborreg served as the README says for production (gunicorn, 2 workers × 8
    threads), on the benchmark's database."""
    from tests.fixtures.registry_servers import free_port

    port = free_port()
    log = (scratch / "gunicorn.log").open("wb")
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "harborreg.wsgi", "-b", f"127.0.0.1:{port}",
         "--workers", "2", "--threads", "8", "--timeout", "60"],
        cwd=_common.ROOT, env={**os.environ, "PYTHONPATH": str(_common.ROOT)}, stdout=log, stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            requests.get(base + "/accounts/login/", timeout=1)
            return process, base
        except requests.ConnectionError:
            if process.poll() is not None:
                break
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("gunicorn did not start: " + (scratch / "gunicorn.log").read_text()[-2000:])


def browser_session(base: str, user) -> tuple[requests.Session, str]:
    """A requests session logged in as `user`, with the CSRF token of the New page."""
    from django.conf import settings
    from django.test import Client

    django_client = Client()
    django_client.force_login(user)
    session = requests.Session()
    cookie = settings.SESSION_COOKIE_NAME
    session.cookies.set(cookie, django_client.cookies[cookie].value)
    page = session.get(base + "/registries/new/")
    page.raise_for_status()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return session, token


def form_data(url: str, secret: str = _common.BENCH_PASSWORD) -> dict[str, str]:
    return {
        "provider": "docker-registry", "name": "bench", "description": "", "url": url,
        "access_id": _common.BENCH_USER, "access_secret": secret, "verify_remote_cert": "on",
        "ca_certificate": "", "action": "test",
    }


def plain_requests_check(registry_url: str, session: requests.Session | None = None) -> None:
    """The baseline: the three exchanges of a token-auth login, with plain requests."""
    own = session is None
    http = session or requests.Session()
    try:
        v2 = registry_url + "/v2/"
        first = http.get(v2, timeout=10)
        assert first.status_code == 401, first.status_code
        params = dict(CHALLENGE_PARAM.findall(first.headers["WWW-Authenticate"]))
        token = http.get(
            params["realm"], params={"service": params["service"]},
            auth=(_common.BENCH_USER, _common.BENCH_PASSWORD), timeout=10,
        ).json()["token"]
        second = http.get(v2, headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert second.status_code == 200, second.status_code
    finally:
        if own:
            http.close()


def count_connections(fn) -> tuple[int, int]:
    """(TCP connections opened, HTTP requests sent) by one call of `fn` in this process."""
    import http.client
    import socket

    opened = sent = 0
    real_connect, real_request = socket.socket.connect, http.client.HTTPConnection.putrequest

    def connect(self, address):
        nonlocal opened
        opened += 1
        return real_connect(self, address)

    def putrequest(self, *args, **kwargs):
        nonlocal sent
        sent += 1
        return real_request(self, *args, **kwargs)

    socket.socket.connect, http.client.HTTPConnection.putrequest = connect, putrequest
    try:
        fn()
    finally:
        socket.socket.connect, http.client.HTTPConnection.putrequest = real_connect, real_request
    return opened, sent


def count_queries(fn) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=30, help="rounds (default 30)")
    parser.add_argument("--quick", action="store_true", help="10 rounds")
    parser.add_argument("--profile", action="store_true", help="cProfile 20 Test Connections (test client)")
    args = parser.parse_args()
    repeat = 10 if args.quick else args.repeat

    scratch = _common.setup_django()
    _common.header("Test Connection over HTTP vs plain requests (token-auth docker-registry)",
                   "python bench/test_connection.py" + (" --quick" if args.quick else ""))
    from django.http import QueryDict
    from django.test import Client

    from endpoints.forms import RegistryForm
    from endpoints.models import Registry
    from endpoints.probe.engine import run_check
    from endpoints.probe.target import Target

    token_server, fleet, registry_url = start_servers(scratch)
    server, base = start_harborreg(scratch)
    try:
        user = _common.staff_user()
        session, csrf = browser_session(base, user)
        test_client = Client()
        test_client.force_login(user)
        saved = Registry(name="saved", provider="docker-registry", url=registry_url,
                         access_id=_common.BENCH_USER)
        saved.set_secret(_common.BENCH_PASSWORD)
        saved.save()
        warm = requests.Session()
        target = Target("docker-registry", registry_url, _common.BENCH_USER, _common.BENCH_PASSWORD)

        def over_http() -> None:
            response = session.post(base + "/registries/test/", data={**form_data(registry_url),
                                    "csrfmiddlewaretoken": csrf}, headers={"Accept": "application/json"})
            body = response.json()
            assert body["ok"], body

        def saved_over_http() -> None:
            response = session.post(base + f"/registries/{saved.pk}/test/",
                                    data={**form_data(registry_url, secret=""), "name": "saved",
                                          "csrfmiddlewaretoken": csrf},
                                    headers={"Accept": "application/json"})
            body = response.json()
            assert body["ok"], body

        def through_test_client() -> None:
            response = test_client.post("/registries/test/", form_data(registry_url),
                                        HTTP_ACCEPT="application/json")
            assert response.json()["ok"], response.json()

        def floor_over_http() -> None:
            response = session.post(base + "/bench/floor/", data={**form_data(registry_url),
                                    "csrfmiddlewaretoken": csrf}, headers={"Accept": "application/json"})
            assert response.json()["ok"]

        def floor_test_client() -> None:
            assert test_client.post("/bench/floor/", form_data(registry_url),
                                    HTTP_ACCEPT="application/json").json()["ok"]

        posted = QueryDict(mutable=True)
        posted.update(form_data(registry_url))

        def form_only() -> None:
            # What the Test Connection views build since P2: the name's checks are skipped.
            assert not RegistryForm(posted, instance=Registry(), test_only=True).connection_errors()

        def form_full() -> None:
            # The same validation with the name's database check, as Save runs it.
            assert not RegistryForm(posted, instance=Registry()).connection_errors()

        def engine_only() -> None:
            verdict = run_check(target)
            assert verdict.ok, verdict.summary

        over_http()  # first: fail loudly before timing if anything is miswired
        stats = _common.measure_interleaved(
            {
                "baseline": lambda: plain_requests_check(registry_url),
                "http": over_http,
                "saved": saved_over_http,
                "client": through_test_client,
                "engine": engine_only,
                "form": form_only,
                "form_full": form_full,
                "floor_http": floor_over_http,
                "floor_client": floor_test_client,
                "warm": lambda: plain_requests_check(registry_url, warm),
            },
            repeat=repeat,
        )
        base_stats = stats["baseline"]
        target_met = stats["http"].median <= 1.5 * base_stats.median
        rows = [
            ["plain requests, fresh session (baseline)", base_stats.ms(), "1.00×", ""],
            ["harborreg Test Connection, JSON over HTTP", stats["http"].ms(),
             _common.ratio(stats["http"], base_stats), "yes" if target_met else "**no**"],
            ["… of a saved endpoint (stored secret, audit log)", stats["saved"].ms(),
             _common.ratio(stats["saved"], base_stats), ""],
            ["… through Django's test client (no HTTP)", stats["client"].ms(),
             _common.ratio(stats["client"], base_stats), ""],
            ["… the check engine alone (run_check)", stats["engine"].ms(),
             _common.ratio(stats["engine"], base_stats), ""],
            ["… the form's validation alone (connection_errors, test_only)", stats["form"].ms(),
             _common.ratio(stats["form"], base_stats), ""],
            ["… the form's full validation (what Save runs)", stats["form_full"].ms(),
             _common.ratio(stats["form_full"], base_stats), ""],
            ["Django floor: authenticated JSON POST over HTTP", stats["floor_http"].ms(),
             _common.ratio(stats["floor_http"], base_stats), ""],
            ["Django floor through the test client", stats["floor_client"].ms(),
             _common.ratio(stats["floor_client"], base_stats), ""],
            ["plain requests, warm keep-alive session", stats["warm"].ms(),
             _common.ratio(stats["warm"], base_stats), ""],
        ]
        _common.print_table(
            ["what", "ms: median (min–max)", "ratio to baseline", "≤ 1.5×?"], rows,
            title=f"{repeat} rounds, interleaved; registry {registry_url}, "
                  f"token service {token_server.realm}",
        )
        base_conn, base_req = count_connections(lambda: plain_requests_check(registry_url))
        engine_conn, engine_req = count_connections(engine_only)
        form_queries = count_queries(form_only), count_queries(form_full)
        _common.print_table(
            ["what", "TCP connections opened", "HTTP requests"],
            [["plain requests (baseline)", base_conn, base_req],
             ["harborreg check engine (run_check)", engine_conn, engine_req]],
            title="Connections per check (each new TCP connection costs one network round trip)",
        )
        print(f"\n- SQL queries of the form's validation: {form_queries[0]} with test_only (P2), "
              f"{form_queries[1]} with the name's check (Save)")
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(20):
                through_test_client()
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
            print("\n### cProfile of 20 Test Connections (test client)\n```\n" + out.getvalue() + "```")
    finally:
        server.terminate()
        server.wait(10)
        fleet.stop_all()
        token_server.stop()


if __name__ == "__main__":
    main()
