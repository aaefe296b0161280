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
full validation that Save runs), Django's floor for an authenticated JSON POST
(bench/urls.py: session, user, permission check, CSRF, middleware, nothing else), the
baseline with a warm keep-alive session, and the Test Connection of a saved endpoint
(stored secret decrypted, audit log written).

`--before PATH` (a git worktree of an earlier commit) serves that version too, from its
own database, and adds its Test Connection and floor over HTTP to the same rounds.

`--rtts 2 5 10 20` simulates a registry and token service that far away: a proxy in its
own process delays each connection's set-up by one RTT and each chunk by half an RTT each
way, in front of a second registry whose token realm also goes through it. The baseline
and harborreg then run through it, interleaved, at each RTT; the proxy also counts the
connections each side opens per test.

The breakdown times the parts of a Test Connection through the test client (exclusive
times of wrapped functions: session load, user, permission check, form, the throttle's
record, the engine, the JSON answer) and classifies its SQL queries.

The per-user limits on tests (ENDPOINT_TESTS_PER_MINUTE, _CONCURRENT) are raised for the
run, so no test is refused; each still writes and reads its record.

    .venv/bin/python bench/test_connection.py [--repeat 30] [--profile]
    scripts/with-postgres.sh .venv/bin/python bench/test_connection.py --postgres \
        --before /tmp/bench-before --rtts 2 5 10 20
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import cProfile
import functools
import io
import json
import multiprocessing
import os
import pstats
import re
import time
import types
from pathlib import Path

import _common
import requests

CHALLENGE_PARAM = re.compile(r'(\w+)="([^"]*)"')
NOT_THROTTLED = {"ENDPOINT_TESTS_PER_MINUTE": "1000000", "ENDPOINT_TESTS_CONCURRENT": "1000"}


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


# --- a proxy that adds network round trips (its own process) ---


def _proxy_main(conn) -> None:
    state = {"rtt": 0.0, "accepted": collections.Counter()}

    async def pipe(reader, writer) -> None:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue = asyncio.Queue()

        async def pump() -> None:
            while True:
                due, data = await queue.get()
                delay = due - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                if data is None:
                    with contextlib.suppress(OSError):
                        writer.write_eof()
                    return
                writer.write(data)
                with contextlib.suppress(OSError):
                    await writer.drain()

        task = asyncio.create_task(pump())
        with contextlib.suppress(OSError):
            while data := await reader.read(65536):
                queue.put_nowait((loop.time() + state["rtt"] / 2, data))
        queue.put_nowait((loop.time() + state["rtt"] / 2, None))
        await task

    def handler(upstream: int):
        async def handle(reader, writer) -> None:
            state["accepted"][upstream] += 1
            try:
                up_reader, up_writer = await asyncio.open_connection("127.0.0.1", upstream)
            except OSError:
                writer.close()
                return
            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
            for w in (writer, up_writer):
                w.close()
        return handle

    async def main() -> None:
        loop = asyncio.get_running_loop()
        servers = []
        while True:
            command, value = await loop.run_in_executor(None, conn.recv)
            if command == "listen":
                server = await asyncio.start_server(handler(value), "127.0.0.1", 0, backlog=256)
                servers.append(server)
                conn.send(server.sockets[0].getsockname()[1])
            elif command == "rtt":
                state["rtt"] = value
                conn.send(True)
            elif command == "accepted":
                conn.send(dict(state["accepted"]))
                state["accepted"].clear()
            else:
                for server in servers:
                    server.close()
                conn.send(True)
                return

    asyncio.run(main())


# A TCP handshake's round trip happens in connect(), before any byte flows, and a proxy
# cannot delay it (the kernel completes it). So every process of the run (this one, both
# gunicorns) gets this sitecustomize: connect() to a proxy port sleeps one RTT first. The
# RTT and the ports are read from a file at each connect, so one run can change the RTT.
CONNECT_DELAY = """
import socket, time
_FILE = {path!r}
_connect = socket.socket.connect


def connect(self, address):
    try:
        with open(_FILE) as f:
            rtt, *ports = f.read().split()
        if isinstance(address, tuple) and len(address) >= 2 and str(address[1]) in ports:
            time.sleep(float(rtt))
    except (OSError, ValueError):
        pass
    return _connect(self, address)


socket.socket.connect = connect
"""


class LatencyProxy:
    """The proxy (its own process) and the connect() delay (sitecustomize in `site_dir`)."""

    def __init__(self, scratch: Path) -> None:
        context = multiprocessing.get_context("fork")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_proxy_main, args=(child,), daemon=True)
        self._process.start()
        self.site_dir = scratch / "rtt-site"
        self.site_dir.mkdir()
        self.rtt_file = scratch / "rtt"
        self.ports: list[int] = []
        self.rtt = 0.0
        self._write()
        (self.site_dir / "sitecustomize.py").write_text(CONNECT_DELAY.format(path=str(self.rtt_file)))
        exec(compile((self.site_dir / "sitecustomize.py").read_text(), "sitecustomize", "exec"), {})

    def _write(self) -> None:
        self.rtt_file.write_text(" ".join([f"{self.rtt:g}", *map(str, self.ports)]))

    def _ask(self, command: str, value=None):
        self._conn.send((command, value))
        return self._conn.recv()

    def listen(self, upstream_port: int) -> int:
        port = self._ask("listen", upstream_port)
        self.ports.append(port)
        self._write()
        return port

    def set_rtt(self, seconds: float) -> None:
        self._ask("rtt", seconds)
        self.rtt = seconds
        self._write()

    def accepted(self) -> dict[int, int]:
        """Connections accepted per upstream port since the last call."""
        return self._ask("accepted")

    def stop(self) -> None:
        with contextlib.suppress(OSError, EOFError):
            self._ask("stop")
        self._process.join(5)


def start_far_registry(scratch, fleet, token_server, proxy: LatencyProxy) -> tuple[str, int, int]:
    """A second token-mode registry whose realm goes through the proxy; returns its URL
    through the proxy and the (registry, token service) upstream ports."""
    from urllib.parse import urlsplit

    from tests.fixtures.registry_servers import _token_auth

    token_port = proxy.listen(token_server.port)
    far_token = types.SimpleNamespace(realm=f"http://127.0.0.1:{token_port}/token",
                                      issuer=token_server.issuer)
    direct = fleet.start("token-far", auth=_token_auth(far_token, scratch / "token-auth-far"))
    registry_port = urlsplit(direct).port
    return f"http://127.0.0.1:{proxy.listen(registry_port)}", registry_port, token_server.port


# --- harborreg over HTTP ---


def browser_session(base: str, cookie_name: str, cookie_value: str) -> tuple[requests.Session, str]:
    """A requests session with a logged-in session cookie, and the CSRF token of the New page."""
    session = requests.Session()
    session.cookies.set(cookie_name, cookie_value)
    page = session.get(base + "/registries/new/")
    page.raise_for_status()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return session, token


LOGIN = """
import json, sys
sys.path.insert(0, {bench!r})
from django.conf import settings
from django.test import Client
import _common
client = Client()
client.force_login(_common.staff_user())
print(json.dumps([settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value]))
"""


def start_before(root: Path, scratch: Path,
                 site_dir: Path | None) -> tuple[_common.Gunicorn, requests.Session, str]:
    """The earlier version under gunicorn on its own fresh database, a staff user logged in."""
    database = _common.fresh_database_url(scratch, "tc_before")
    env = _common.tree_env(root, database, scratch)
    _common.manage(root, env, "migrate", "--noinput")
    login = _common.run_python(root, env, LOGIN.format(bench=str(root / "bench")))
    cookie = json.loads(login.splitlines()[-1])
    if site_dir is not None:
        env["PYTHONPATH"] += f":{site_dir}"
    server = _common.Gunicorn(root, env, scratch / "gunicorn-before.log")
    session, csrf = browser_session(server.base, *cookie)
    return server, session, csrf


def form_data(url: str, secret: str = _common.BENCH_PASSWORD) -> dict[str, str]:
    return {
        "provider": "docker-registry", "name": "bench", "description": "", "url": url,
        "access_id": _common.BENCH_USER, "access_secret": secret, "verify_remote_cert": "on",
        "ca_certificate": "", "action": "test",
    }


def test_over_http(base: str, session: requests.Session, csrf: str, registry_url: str):
    def run() -> None:
        response = session.post(base + "/registries/test/", data={**form_data(registry_url),
                                "csrfmiddlewaretoken": csrf}, headers={"Accept": "application/json"})
        body = response.json()
        assert body["ok"], body
    return run


def floor_over_http(base: str, session: requests.Session, csrf: str, registry_url: str):
    def run() -> None:
        response = session.post(base + "/bench/floor/", data={**form_data(registry_url),
                                "csrfmiddlewaretoken": csrf}, headers={"Accept": "application/json"})
        assert response.json()["ok"]
    return run


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


# --- where the time of one Test Connection goes ---


class ExclusiveTimers:
    """Wraps functions so each one's time excludes the wrapped functions it calls."""

    def __init__(self) -> None:
        self.seconds: collections.Counter[str] = collections.Counter()
        self.calls: collections.Counter[str] = collections.Counter()
        self._stack: list[float] = []  # time spent in nested wrapped calls, per open call
        self._undo: list[tuple[object, str, object]] = []

    def _enter(self) -> float:
        self._stack.append(0.0)
        return time.perf_counter()

    def _leave(self, label: str, started: float) -> None:
        elapsed = time.perf_counter() - started
        nested = self._stack.pop()
        self.seconds[label] += elapsed - nested
        self.calls[label] += 1
        if self._stack:
            self._stack[-1] += elapsed

    def wrap(self, owner: object, name: str, label: str) -> None:
        real = getattr(owner, name)
        timers = self

        @functools.wraps(real)
        def timed(*args, **kwargs):
            started = timers._enter()
            try:
                return real(*args, **kwargs)
            finally:
                timers._leave(label, started)

        setattr(owner, name, timed)
        self._undo.append((owner, name, real))

    def wrap_context_manager(self, owner: object, name: str, label: str) -> None:
        """A @contextmanager: its entering and leaving are timed, the block inside is not."""
        real = getattr(owner, name)
        timers = self

        @functools.wraps(real)
        @contextlib.contextmanager
        def timed(*args, **kwargs):
            manager = real(*args, **kwargs)
            started = timers._enter()
            try:
                value = manager.__enter__()
            finally:
                timers._leave(label, started)
            try:
                yield value
            except BaseException as exc:
                started = timers._enter()
                try:
                    if not manager.__exit__(type(exc), exc, exc.__traceback__):
                        raise
                finally:
                    timers._leave(label, started)
            else:
                started = timers._enter()
                try:
                    manager.__exit__(None, None, None)
                finally:
                    timers._leave(label, started)

        setattr(owner, name, timed)
        self._undo.append((owner, name, real))

    def restore(self) -> None:
        for owner, name, real in reversed(self._undo):
            setattr(owner, name, real)


SQL_CLASSES = [
    ("session", re.compile(r'"django_session"')),
    ("user", re.compile(r'FROM "auth_user"\s')),
    ("permissions", re.compile(r'"auth_permission"|"auth_user_user_permissions"|"auth_group')),
    ("throttle record", re.compile(r'"endpoints_connectionattempt"')),
    ("transaction", re.compile(r"^(SAVEPOINT|RELEASE|BEGIN|COMMIT|ROLLBACK)", re.I)),
]


def breakdown(post, requests_: int) -> tuple[list[list[str]], list[list[str]], float]:
    """Exclusive times of a Test Connection's parts (test client), and its SQL by class."""
    from django.conf import settings
    from django.contrib import auth
    from django.contrib.auth.models import User
    from django.db import connection
    from django.utils.module_loading import import_string

    from endpoints import services, throttle
    from endpoints.forms import RegistryForm
    from endpoints.probe.result import Verdict

    timers = ExclusiveTimers()
    store = import_string(settings.SESSION_ENGINE + ".SessionStore")
    parts = [
        (store, "load", "session: load (SESSION_ENGINE)"),
        (auth, "get_user", "user: auth.get_user"),
        (User, "has_perm", "permission check: User.has_perm"),
        (RegistryForm, "__init__", "form: construction"),
        (RegistryForm, "connection_errors", "form: validation (connection_errors)"),
        (services, "run_check", "engine: run_check"),
        (Verdict, "as_json", "answer: Verdict.as_json"),
    ]
    for owner, name, label in parts:
        timers.wrap(owner, name, label)
    timers.wrap_context_manager(throttle, "connection_slot", "throttle: record, count, finish")
    timed_queries: list[tuple[str, float]] = []

    def timing(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            timed_queries.append((sql, time.perf_counter() - started))

    total = 0.0
    try:
        with connection.execute_wrapper(timing):
            for _ in range(requests_):
                started = time.perf_counter()
                post()
                total += time.perf_counter() - started
    finally:
        timers.restore()
    per = 1000 / requests_
    rows = [[label, f"{timers.seconds[label] * per:.2f}", f"{timers.calls[label] / requests_:g}"]
            for _owner, _name, label in parts[:4]]
    rows.append(["throttle: record, count, finish",
                 f"{timers.seconds['throttle: record, count, finish'] * per:.2f}", "1"])
    rows += [[label, f"{timers.seconds[label] * per:.2f}", f"{timers.calls[label] / requests_:g}"]
             for _owner, _name, label in parts[4:]]
    rest = total - sum(timers.seconds.values())
    rows.append(["rest: Django's request handling, middleware, CSRF, view glue", f"{rest * per:.2f}", ""])
    rows.append(["**total (test client)**", f"{total * per:.2f}", ""])

    classes: dict[str, list[float]] = collections.defaultdict(list)
    for sql, seconds in timed_queries:
        label = next((name for name, pattern in SQL_CLASSES if pattern.search(sql)), "other")
        classes[label].append(seconds)
    sql_rows = [[label, f"{len(times) / requests_:g}", f"{sum(times) * per:.2f}"]
                for label, times in sorted(classes.items(), key=lambda kv: -len(kv[1]))]
    sql_rows.append(["**all**", f"{len(timed_queries) / requests_:g}",
                     f"{sum(t for _, t in timed_queries) * per:.2f}"])
    return rows, sql_rows, total * per


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=30, help="rounds (default 30)")
    parser.add_argument("--quick", action="store_true", help="10 rounds")
    parser.add_argument("--before", metavar="PATH", help="worktree of the commit to compare with")
    parser.add_argument("--postgres", action="store_true", help="on the PostgreSQL of DATABASE_URL")
    parser.add_argument("--rtts", type=float, nargs="*", default=[], help="simulated RTTs in ms")
    parser.add_argument("--rtt-repeat", type=int, default=15, help="rounds per RTT (default 15)")
    parser.add_argument("--profile", action="store_true", help="cProfile 20 Test Connections (test client)")
    args = parser.parse_args()
    repeat = 10 if args.quick else args.repeat
    if args.postgres:
        _common.use_postgres_from_env()

    scratch = _common.setup_django(**NOT_THROTTLED)
    _common.header("Test Connection over HTTP vs plain requests (token-auth docker-registry)",
                   "python bench/test_connection.py" + (" --quick" if args.quick else ""))
    from django.conf import settings
    from django.http import QueryDict
    from django.test import Client

    from endpoints.forms import RegistryForm
    from endpoints.models import Registry
    try:  # the engine takes its provider from the caller
        from endpoints.providers import run_check
    except ImportError:  # a side from before that change
        from endpoints.probe.engine import run_check
    from endpoints.probe.target import Target

    before_root = _common.prepare_tree(args.before) if args.before else None
    print(f"- after = {_common.tree_commit(_common.ROOT)}"
          + (f"; before = {_common.tree_commit(before_root)} ({before_root})" if before_root else ""))
    print(f"- database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[1]}, "
          f"CONN_MAX_AGE {settings.DATABASES['default'].get('CONN_MAX_AGE')}, "
          f"sessions {settings.SESSION_ENGINE.rsplit('.', 1)[1]}", flush=True)
    token_server, fleet, registry_url = start_servers(scratch)
    proxy = LatencyProxy(scratch) if args.rtts else None
    far_url = ""
    if proxy is not None:
        far_url, registry_port, token_port = start_far_registry(scratch, fleet, token_server, proxy)
    site = f":{proxy.site_dir}" if proxy else ""
    server = _common.Gunicorn(_common.ROOT, {**os.environ, "PYTHONPATH": f"{_common.ROOT}{site}"},
                              scratch / "gunicorn.log")
    before = start_before(before_root, scratch, proxy and proxy.site_dir) if before_root else None
    try:
        user = _common.staff_user()
        test_client = Client()
        test_client.force_login(user)
        session, csrf = browser_session(server.base, settings.SESSION_COOKIE_NAME,
                                        test_client.cookies[settings.SESSION_COOKIE_NAME].value)
        base = server.base
        saved = Registry(name="saved", provider="docker-registry", url=registry_url,
                         access_id=_common.BENCH_USER)
        saved.set_secret(_common.BENCH_PASSWORD)
        saved.save()
        warm = requests.Session()
        target = Target("docker-registry", registry_url, _common.BENCH_USER, _common.BENCH_PASSWORD)

        over_http = test_over_http(base, session, csrf, registry_url)

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
        candidates = {
            "baseline": lambda: plain_requests_check(registry_url),
            "http": over_http,
        }
        if before:
            before_server, before_session, before_csrf = before
            candidates["before_http"] = test_over_http(before_server.base, before_session, before_csrf,
                                                       registry_url)
            candidates["before_http"]()
        candidates.update({
            "saved": saved_over_http,
            "client": through_test_client,
            "engine": engine_only,
            "form": form_only,
            "form_full": form_full,
            "floor_http": floor_over_http(base, session, csrf, registry_url),
            "floor_client": floor_test_client,
            "warm": lambda: plain_requests_check(registry_url, warm),
        })
        if before:
            candidates["before_floor"] = floor_over_http(before_server.base, before_session, before_csrf,
                                                         registry_url)
        stats = _common.measure_interleaved(candidates, repeat=repeat)
        base_stats = stats["baseline"]
        target_met = stats["http"].median <= 1.5 * base_stats.median
        rows = [
            ["plain requests, fresh session (baseline)", base_stats.ms(), "1.00×", ""],
            ["harborreg Test Connection, JSON over HTTP", stats["http"].ms(),
             _common.ratio(stats["http"], base_stats), "yes" if target_met else "**no**"],
        ]
        if before:
            rows.append(["… before (the earlier commit), JSON over HTTP", stats["before_http"].ms(),
                         _common.ratio(stats["before_http"], base_stats), ""])
        rows += [
            ["… of a saved endpoint (stored secret)", stats["saved"].ms(),
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
        ]
        if before:
            rows.append(["… before: the floor over HTTP", stats["before_floor"].ms(),
                         _common.ratio(stats["before_floor"], base_stats), ""])
        rows += [
            ["Django floor through the test client", stats["floor_client"].ms(),
             _common.ratio(stats["floor_client"], base_stats), ""],
            ["plain requests, warm keep-alive session", stats["warm"].ms(),
             _common.ratio(stats["warm"], base_stats), ""],
        ]
        _common.print_table(
            ["what", "ms: median (min–max)", "ratio to baseline", "≤ 1.5×?"], rows,
            title=f"{repeat} rounds, interleaved; registry {registry_url}, "
                  f"token service {token_server.realm}; load {_common.load_average()}",
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
        print(f"- SQL queries of one Test Connection (test client): {count_queries(through_test_client)}; "
              f"of the floor: {count_queries(floor_test_client)}")

        parts, sql, total = breakdown(through_test_client, repeat)
        _common.print_table(["part", "ms per Test Connection (exclusive)", "calls"], parts,
                            title=f"Where a Test Connection's time goes (test client, {repeat} requests)")
        _common.print_table(["SQL", "queries per Test Connection", "ms in the database"], sql,
                            title="Its SQL queries by purpose")

        if proxy is not None:
            far = {"baseline": lambda: plain_requests_check(far_url),
                   "after": test_over_http(base, session, csrf, far_url)}
            if before:
                far["before"] = test_over_http(before_server.base, before_session, before_csrf, far_url)
            connections = {}
            for name, fn in far.items():
                fn()
                proxy.accepted()
                fn()
                accepted = proxy.accepted()
                connections[name] = (accepted.get(registry_port, 0), accepted.get(token_port, 0))
            rtt_rows = []
            for rtt in [0.0, *args.rtts]:
                proxy.set_rtt(rtt / 1000)
                far_stats = _common.measure_interleaved(far, repeat=args.rtt_repeat, warmup=1)
                baseline = far_stats["baseline"]
                row = [f"{rtt:g}", baseline.ms(), far_stats["after"].ms(),
                       _common.ratio(far_stats["after"], baseline),
                       "yes" if far_stats["after"].median <= 1.5 * baseline.median else "**no**"]
                if before:
                    row += [far_stats["before"].ms(), _common.ratio(far_stats["before"], baseline)]
                rtt_rows.append(row)
                print(f"  RTT {rtt:g} ms done; load {_common.load_average()}", flush=True)
            _common.print_table(
                ["RTT ms", "baseline ms", "after ms", "after / baseline", "≤ 1.5×?"]
                + (["before ms", "before / baseline"] if before else []),
                rtt_rows, title=f"Through the latency proxy (registry and token service each one RTT away), "
                                f"{args.rtt_repeat} rounds per RTT",
            )
            _common.print_table(
                ["side", "connections to the registry", "connections to the token service"],
                [[name, *counts] for name, counts in connections.items()],
                title="Connections per Test Connection, counted by the proxy",
            )
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(20):
                through_test_client()
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
            print("\n### cProfile of 20 Test Connections (test client)\n```\n" + out.getvalue() + "```")
    finally:
        if proxy is not None:
            proxy.stop()
        server.stop()
        if before:
            before[0].stop()
        fleet.stop_all()
        token_server.stop()


if __name__ == "__main__":
    main()
