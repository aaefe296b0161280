"""S32: slow request bodies. gunicorn's gthread workers read a body in one of their
threads, so clients that send theirs a byte at a time can hold every thread (measured: 20
such connections stalled the list for 38 s). The README's Production section requires a
buffering reverse proxy; these tests check the nginx settings it shows, have nginx check
them (`nginx -t`), and run them in front of gunicorn while 20 connections drip bodies."""

from __future__ import annotations

import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import textwrap
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import trustme
from django.conf import settings

from tests.fixtures.registry_servers import free_port

REPO = Path(__file__).resolve().parents[2]


# --- the README's nginx block ---


def production_section() -> str:
    readme = (REPO / "README.md").read_text()
    start = readme.index("\n## Production\n")
    end = readme.index("\n## ", start + 1)
    return readme[start:end]


def readme_nginx_block() -> str:
    blocks = re.findall(r"```nginx\n(.*?)```", production_section(), re.S)
    assert len(blocks) == 1, "the Production section should show exactly one ```nginx block"
    return textwrap.dedent(blocks[0])  # the block is indented under a list item


def gunicorn_bind() -> str:
    match = re.search(r"gunicorn harborreg\.wsgi .*-b (\S+)", production_section())
    assert match, "the Production section should show the gunicorn command with -b ADDRESS"
    return match[1]


@dataclass
class Directive:
    name: str
    args: list[str]
    block: list[Directive] | None = None

    def children(self, name: str) -> list[Directive]:
        return [d for d in self.block or [] if d.name == name]


def parse_nginx(text: str) -> list[Directive]:
    """nginx's configuration syntax: `name args;` and `name args { ... }` (enough to read
    the README's block; `nginx -t` below is the real check)."""
    text = re.sub(r"#[^\n]*", "", text)
    tokens = re.findall(r"""[{};]|"[^"]*"|'[^']*'|[^\s{};]+""", text)
    stack: list[list[Directive]] = [[]]
    words: list[str] = []
    for token in tokens:
        if token == ";":
            stack[-1].append(Directive(words[0], words[1:]))
            words = []
        elif token == "{":
            directive = Directive(words[0], words[1:], [])
            stack[-1].append(directive)
            stack.append(directive.block)
            words = []
        elif token == "}":
            assert len(stack) > 1 and not words, "unbalanced } in the nginx block"
            stack.pop()
        else:
            words.append(token)
    assert len(stack) == 1 and not words, "unterminated directive or { in the nginx block"
    return stack[0]


def seconds(value: str) -> float:
    number, unit = re.fullmatch(r"(\d+)(ms|s|m|h)?", value).groups()
    return int(number) * {"ms": 0.001, None: 1, "s": 1, "m": 60, "h": 3600}[unit]


def size_bytes(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([kKmMgG])?", value).groups()
    return int(number) * {None: 1, "k": 1024, "m": 1024**2, "g": 1024**3}[unit and unit.lower()]


class TlsSite:
    """The README's HTTPS server and its `location /`, read the way nginx inherits:
    a directive in the location wins over the server's."""

    def __init__(self, text: str) -> None:
        servers = [d for d in parse_nginx(text) if d.name == "server"]
        tls = [s for s in servers if any("ssl" in d.args for d in s.children("listen"))]
        assert len(tls) == 1, "the nginx block should have one server that listens with ssl"
        self.server = tls[0]
        roots = [d for d in self.server.children("location") if d.args == ["/"]]
        assert len(roots) == 1, "the HTTPS server should proxy `location /` to gunicorn"
        self.location = roots[0]

    def setting(self, name: str) -> list[str]:
        found = self.location.children(name) or self.server.children(name)
        assert found, f"the nginx block does not set {name}"
        return found[-1].args

    def proxy_headers(self) -> dict[str, str]:
        # proxy_set_header in a location replaces the whole server-level list
        headers = self.location.children("proxy_set_header") or self.server.children("proxy_set_header")
        return {d.args[0].lower(): d.args[1] for d in headers}


def test_the_readme_requires_a_buffering_proxy_and_shows_its_settings():
    section = production_section()
    assert "buffering proxy is required" in section
    assert "--threads" in section and "USE_X_FORWARDED_PROTO=true" in section
    site = TlsSite(readme_nginx_block())

    assert site.setting("ssl_certificate") and site.setting("ssl_certificate_key")
    assert site.setting("proxy_request_buffering") == ["on"]  # the whole body before gunicorn
    assert site.setting("proxy_buffering") == ["on"]  # the whole response, for slow readers
    assert 0 < seconds(site.setting("client_body_timeout")[0]) <= 60
    assert 0 < seconds(site.setting("client_header_timeout")[0]) <= 60
    # The largest legitimate POST (a JSON key plus a CA bundle) is a few KiB.
    assert 64 * 1024 <= size_bytes(site.setting("client_max_body_size")[0]) <= 1024**2
    # A Test Connection may take ENDPOINT_TEST_DEADLINE: the proxy must wait longer.
    assert seconds(site.setting("proxy_read_timeout")[0]) > settings.ENDPOINT_TEST_DEADLINE
    # gunicorn listens on loopback only, so no client can reach it around the proxy.
    assert site.setting("proxy_pass") == [f"http://{gunicorn_bind()}"]
    assert gunicorn_bind().startswith(("127.0.0.1:", "unix:"))
    # Set by nginx, overwriting whatever the client sent (USE_X_FORWARDED_PROTO trusts it).
    assert site.proxy_headers() == {
        "host": "$host", "x-forwarded-proto": "$scheme", "x-forwarded-for": "$remote_addr",
    }


# --- nginx itself ---


@pytest.fixture
def nginx() -> str:
    path = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if path is None:
        pytest.skip("nginx is not installed (scripts/test.sh installs the Debian package `nginx`)")
    return path



def nginx_config(tmp_path: Path, ca: trustme.CA, tls_port: int | None = None,
                 upstream: str | None = None) -> Path:
    """The README's block in a minimal main config, with a test certificate; optionally on
    free ports and in front of another upstream."""
    cert = ca.issue_cert("localhost", "127.0.0.1")
    (tmp_path / "cert.pem").write_bytes(b"".join(blob.bytes() for blob in cert.cert_chain_pems))
    cert.private_key_pem.write_to_path(str(tmp_path / "key.pem"))
    servers = readme_nginx_block()
    servers = re.sub(r"ssl_certificate\s+\S+;", f"ssl_certificate {tmp_path}/cert.pem;", servers)
    servers = re.sub(r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {tmp_path}/key.pem;", servers)
    if tls_port is not None:
        servers = re.sub(r"listen\s+443\s+ssl", f"listen 127.0.0.1:{tls_port} ssl", servers)
        servers = re.sub(r"listen\s+80\b", f"listen 127.0.0.1:{free_port()}", servers)
    if upstream is not None:
        servers = re.sub(r"proxy_pass\s+\S+;", f"proxy_pass http://{upstream};", servers)
    temp_paths = "\n".join(
        f"    {kind}_temp_path {tmp_path}/{kind};" for kind in ("client_body", "proxy", "fastcgi",
                                                             "uwsgi", "scgi")
    )
    config = tmp_path / "nginx.conf"
    config.write_text(
        f"daemon off;\nmaster_process off;\npid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
        f"events {{ worker_connections 256; }}\nhttp {{\n    access_log off;\n{temp_paths}\n"
        f"{servers}\n}}\n"
    )
    return config


def nginx_command(nginx: str, tmp_path: Path, config: Path, *extra: str) -> list[str]:
    return [nginx, "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c", str(config), *extra]


def test_nginx_accepts_the_documented_settings(nginx, tmp_path):
    config = nginx_config(tmp_path, trustme.CA())

    checked = subprocess.run(nginx_command(nginx, tmp_path, config, "-t"),
                             capture_output=True, text=True, timeout=60)

    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr


# --- the documented proxy in front of gunicorn, with 20 slow bodies ---


def wait_for_port(port: int, process: subprocess.Popen, log: Path, deadline: float = 60) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        assert process.poll() is None, f"exited early: {log.read_text()[-2000:]}"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"nothing listens on {port} after {deadline} s: {log.read_text()[-2000:]}")


@pytest.fixture
def stop_processes():
    started: list[subprocess.Popen] = []
    yield started
    for process in started:
        process.terminate()
    for process in started:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


class Drips:
    """Connections that each send a POST's headers, then its body one byte per second."""

    def __init__(self, context: ssl.SSLContext, port: int, count: int) -> None:
        self.stop = threading.Event()
        self.sockets = []
        for _ in range(count):
            conn = context.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10),
                                       server_hostname="localhost")
            # With a CSRF cookie and a same-origin Referer (the request is HTTPS), Django
            # must read the body before it can answer.
            conn.sendall(b"POST /accounts/login/ HTTP/1.1\r\nHost: localhost\r\n"
                         b"Cookie: csrftoken=" + b"a" * 32 + b"\r\n"
                         b"Referer: https://localhost/accounts/login/\r\n"
                         b"Content-Type: application/x-www-form-urlencoded\r\n"
                         b"Content-Length: 1000\r\n\r\nu")
            self.sockets.append(conn)
        self.thread = threading.Thread(target=self.drip, daemon=True)
        self.thread.start()

    def drip(self) -> None:
        while not self.stop.wait(1):
            for conn in self.sockets:
                conn.sendall(b"x")

    def all_pending(self) -> bool:
        """No connection has had an answer yet: its body is still arriving."""
        for conn in self.sockets:
            conn.setblocking(False)
            try:
                if conn.recv(1):
                    return False
            except ssl.SSLWantReadError:
                pass
            finally:
                conn.setblocking(True)
        return True

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        for conn in self.sockets:
            conn.close()


def get_through(context: ssl.SSLContext, port: int, path: str, timeout: float) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as conn:
            conn.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
            answer = b""
            while chunk := conn.recv(65536):
                answer += chunk
            return answer


def test_slow_bodies_do_not_stall_the_app_behind_the_documented_proxy(nginx, tmp_path, stop_processes):
    app_port, tls_port = free_port(), free_port()
    gunicorn_log = tmp_path / "gunicorn.log"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings",
           "DATABASE_URL": f"sqlite:///{tmp_path}/unused.sqlite3"}  # anonymous pages need no DB
    # Two threads: without the proxy's buffering, two dripping bodies would hold them all.
    with gunicorn_log.open("w") as log:
        stop_processes.append(subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "harborreg.wsgi", "-b", f"127.0.0.1:{app_port}",
             "--workers", "1", "--threads", "2", "--timeout", "60", "--no-control-socket"],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
        ))
    wait_for_port(app_port, stop_processes[0], gunicorn_log)
    ca = trustme.CA()
    config = nginx_config(tmp_path, ca, tls_port=tls_port, upstream=f"127.0.0.1:{app_port}")
    stop_processes.append(subprocess.Popen(nginx_command(nginx, tmp_path, config),
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    wait_for_port(tls_port, stop_processes[1], tmp_path / "error.log")
    context = ssl.create_default_context()
    ca.configure_trust(context)

    drips = Drips(context, tls_port, count=20)
    try:
        answer = get_through(context, tls_port, "/registries/", timeout=30)
        still_dripping = drips.all_pending()
    finally:
        drips.close()

    assert answer.startswith(b"HTTP/1.1 302"), answer[:300]
    assert b"Location: /accounts/login/?next=/registries/" in answer  # the app itself answered
    assert still_dripping
