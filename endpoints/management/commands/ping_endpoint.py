"""Test an endpoint without saving it: `ping_endpoint --provider KEY --url URL ...`.

Exit 0 healthy, 1 unhealthy, 2 invalid input.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand

from endpoints.probe.errors import LocalResourceError
from endpoints.probe.result import Verdict
from endpoints.probe.target import Target
from endpoints.providers import PROVIDERS, run_check


class Command(BaseCommand):
    help = "Test a replication endpoint (nothing is saved)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--provider", required=True, choices=sorted(PROVIDERS))
        parser.add_argument("--url", required=True)
        parser.add_argument("--access-id", default="")
        parser.add_argument("--access-secret-file", metavar="PATH|-",
                            help="read the Access Secret from this file, or '-' for standard input")
        parser.add_argument("--no-verify-remote-cert", action="store_true")
        parser.add_argument("--ca-file", metavar="PATH", help="a PEM CA certificate to trust")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options) -> None:
        try:
            secret = _read_secret(options["access_secret_file"])
            ca = Path(options["ca_file"]).read_text() if options["ca_file"] else ""
        except OSError as exc:
            self.stderr.write(f"Cannot read {exc.filename}: {exc.strerror}")
            sys.exit(2)
        target = Target(
            provider=options["provider"],
            url=options["url"],
            access_id=options["access_id"],
            access_secret=secret,
            verify_remote_cert=not options["no_verify_remote_cert"],
            ca_certificate=ca,
        )
        try:
            verdict = run_check(target)
        except LocalResourceError as exc:
            self.stderr.write(f"Not tested: {exc} (raise ulimit -n, or retry when the server is "
                              "less busy).")
            sys.exit(3)
        if options["json"]:
            self.stdout.write(json.dumps(verdict.as_json(), indent=2))
        else:
            self.stdout.write(format_verdict(verdict))
        if verdict.category == "invalid":
            sys.exit(2)
        sys.exit(0 if verdict.ok else 1)


def _read_secret(source: str | None) -> str:
    if not source:
        return ""
    text = sys.stdin.read() if source == "-" else Path(source).read_text()
    return text.rstrip("\r\n")


def format_verdict(verdict: Verdict) -> str:
    lines = []
    for step in verdict.steps:
        mark = "✓" if step.ok else "✗"
        lines.append(f"{mark} {step.name} ({step.ms} ms)" + (f": {step.detail}" if step.detail else ""))
        if step.hint:
            lines.append(f"    hint: {step.hint}")
    for warning in verdict.warnings:
        lines.append(f"! {warning}")
    if verdict.ok:
        head = "Connection tested successfully."
    else:
        head = f"Connection failed [{verdict.category}] ({verdict.category_label})."
    lines.append(f"{head} {verdict.summary} ({verdict.elapsed_ms} ms)")
    return "\n".join(lines)
