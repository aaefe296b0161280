"""Benchmark 9: what one check costs, counted: connections, handshakes, TLS contexts, storing.

The evidence behind proposals P6, P7 and P8 (docs/benchmarks.md), on this checkout:

1. Connections and TLS handshakes per HTTPS check (`run_check`, an open registry on a local
   server in this process), with the server capped at TLS 1.3 and at TLS 1.2, and with P7
   (bench/check_registries.tls_spare_kept). P3 promises one connection per host.
2. TLS contexts built during one `check_registries` over 300 HTTPS endpoints at pools 16
   and 64 (the responder of bench/check_registries.py, in its own process), without and
   with P6 (bench/check_registries.context_built_once). One build per trust is enough.
3. CPU per check: `run_check` in a loop over HTTP and HTTPS (no latency), and
   `Registry.record_verdict` (what check_registries does per endpoint in the calling
   thread), inside one transaction as a batch is stored.

    .venv/bin/python bench/probe_costs.py          # ~15 s
"""

from __future__ import annotations

import contextlib
import io
import resource
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import _common


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def https_server(ca, version: ssl.TLSVersion) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            self.send_response(200)
            self.send_header("Docker-Distribution-API-Version", "registry/2.0")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.maximum_version = version
    ca.issue_cert("127.0.0.1").configure_cert(context)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server


def connections_per_check(rounds: int = 20) -> list[list[str]]:
    import trustme
    from check_registries import tls_spare_kept

    from endpoints.probe import http, sockets
    try:  # the engine takes its provider from the caller
        from endpoints.providers import run_check
    except ImportError:  # a side from before that change
        from endpoints.probe.engine import run_check
    from endpoints.probe.target import Target

    counts = {"connect": 0, "handshake": 0}
    real_connect, real_handshake = sockets.DeadlineSocket.connect, sockets.DeadlineSSLSocket.do_handshake

    def connect(self, address):
        counts["connect"] += 1
        return real_connect(self, address)

    def do_handshake(self, *args):
        counts["handshake"] += 1
        return real_handshake(self, *args)

    real_take_spare = http.Dialer.take_spare
    sockets.DeadlineSocket.connect, sockets.DeadlineSSLSocket.do_handshake = connect, do_handshake
    ca = trustme.CA()
    rows = []
    try:
        for label, version, patch in [("TLS 1.3 server", ssl.TLSVersion.TLSv1_3, False),
                                      ("TLS 1.2 server", ssl.TLSVersion.TLSv1_2, False),
                                      ("TLS 1.3 server, with P7", ssl.TLSVersion.TLSv1_3, True)]:
            if patch:
                tls_spare_kept()
            server = https_server(ca, version)
            url = f"https://127.0.0.1:{server.server_address[1]}"
            counts.update(connect=0, handshake=0)
            for i in range(rounds):
                verdict = run_check(Target("docker-registry", f"{url}/r{i}", "", "", True,
                                           ca.cert_pem.bytes().decode()))
                assert verdict.ok, verdict.summary
            rows.append([label, f"{counts['connect'] / rounds:g}", f"{counts['handshake'] / rounds:g}"])
            server.shutdown()
    finally:
        sockets.DeadlineSocket.connect, sockets.DeadlineSSLSocket.do_handshake = real_connect, real_handshake
        http.Dialer.take_spare = real_take_spare
    return rows


def contexts_built(responder, endpoints: int = 300) -> list[list[str]]:
    from check_registries import context_built_once
    from django.core.management import call_command

    from endpoints.models import HealthCheck, Registry
    from endpoints.probe import tls

    ca_pem = Path(responder.urls["ca_file"]).read_text()
    Registry.objects.bulk_create(
        Registry(name=f"tls-{i:04d}", provider="docker-registry", url=f"{responder.urls['https']}/r{i}",
                 ca_certificate=ca_pem) for i in range(endpoints))
    builds = 0
    real_build = tls.build_context

    def counting_build(**kwargs):
        nonlocal builds
        builds += 1
        return real_build(**kwargs)

    tls.build_context = counting_build
    real_shared = tls.shared_context
    rows = []
    try:
        for label, pool, patch in [("as is", 16, False), ("as is", 64, False), ("with P6", 64, True)]:
            if patch:
                context_built_once()
            tls.forget_shared_contexts()
            builds = 0
            started, cpu = time.perf_counter(), cpu_s()
            with contextlib.suppress(SystemExit):
                call_command("check_registries", f"--pool={pool}", stdout=io.StringIO(), stderr=io.StringIO())
            rows.append([f"{label}, pool {pool}", str(builds), f"{time.perf_counter() - started:.2f}",
                         f"{(cpu_s() - cpu) / endpoints * 1000:.2f}"])
    finally:
        tls.build_context, tls.shared_context = real_build, real_shared
        HealthCheck.objects.all().delete()
        Registry.objects.all().delete()
    return rows


def cpu_per_check(responder, checks: int = 300) -> list[list[str]]:
    from django.db import transaction

    from endpoints.models import Registry
    try:  # the engine takes its provider from the caller
        from endpoints.providers import run_check
    except ImportError:  # a side from before that change
        from endpoints.probe.engine import run_check
    from endpoints.probe.result import Category, Verdict
    from endpoints.probe.target import Target

    ca_pem = Path(responder.urls["ca_file"]).read_text()
    rows = []
    for scheme in ("http", "https"):
        targets = [Target("docker-registry", f"{responder.urls[scheme]}/r{i}", "", "", True,
                          ca_pem if scheme == "https" else "") for i in range(checks)]
        assert run_check(targets[0]).ok
        started, cpu = time.perf_counter(), cpu_s()
        for target in targets:
            run_check(target)
        rows.append([f"run_check, {scheme}, one after another", f"{(cpu_s() - cpu) / checks * 1000:.2f}",
                     f"{(time.perf_counter() - started) / checks * 1000:.2f}"])
    registries = Registry.objects.bulk_create(
        Registry(name=f"store-{i:04d}", provider="docker-registry", url=f"http://127.0.0.1/s{i}")
        for i in range(checks))
    verdict = Verdict(ok=True, category=Category.OK, summary="Reachable.", elapsed_ms=200)
    started, cpu = time.perf_counter(), cpu_s()
    with transaction.atomic():
        for registry in registries:
            registry.record_verdict(verdict)
    rows.append(["Registry.record_verdict, all in one transaction (a batch)",
                 f"{(cpu_s() - cpu) / checks * 1000:.2f}",
                 f"{(time.perf_counter() - started) / checks * 1000:.2f}"])
    return rows


def main() -> None:
    from check_registries import Responder

    scratch = _common.setup_django()
    _common.header("What one check costs: connections, handshakes, TLS contexts, storing",
                   "python bench/probe_costs.py")
    print(f"- commit: {_common.tree_commit(_common.ROOT)}")
    responder = Responder(scratch, latency_s=0.0)
    try:
        _common.print_table(["server", "TCP connections per check", "TLS handshakes per check"],
                            connections_per_check(),
                            title="1. One HTTPS check of an open registry (P3 promises 1 and 1)")
        _common.print_table(["check_registries, 300 HTTPS endpoints", "TLS contexts built", "wall s",
                             "CPU ms / endpoint"], contexts_built(responder),
                            title="2. TLS contexts built in one run (one trust: 1 is enough)")
        _common.print_table(["what", "CPU ms per check", "wall ms per check"], cpu_per_check(responder),
                            title="3. CPU per check and per stored verdict (no latency)")
    finally:
        responder.stop()


if __name__ == "__main__":
    main()
