"""Check every endpoint (or the named ones) and store the result: the periodic health check.

Run it from cron, a systemd timer or a Kubernetes CronJob. Exit 0 when every checked
endpoint is healthy, 1 otherwise.
"""

from __future__ import annotations

import json
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from endpoints.models import Registry
from endpoints.probe.result import Verdict
from endpoints.services import check_registries, pool_within_open_files


class Command(BaseCommand):
    help = "Check replication endpoints concurrently and store their health status."

    def add_arguments(self, parser) -> None:
        parser.add_argument("names", nargs="*", metavar="NAME", help="endpoint names (default: all)")
        parser.add_argument("--json", action="store_true", help="print one JSON document")
        parser.add_argument("--pool", type=int, default=None,
                            help="concurrent checks (default: CHECK_REGISTRIES_POOL)")

    def handle(self, *args, names: list[str], json: bool, pool: int | None, **options) -> None:
        registries = list(Registry.objects.order_by("name"))
        if names:
            wanted = {name.lower() for name in names}
            registries = [r for r in registries if r.name.lower() in wanted]
            missing = wanted - {r.name.lower() for r in registries}
            if missing:
                raise CommandError("No endpoint named: " + ", ".join(sorted(missing)), returncode=2)
        total = len(registries)
        done = 0
        interactive = not json and self.stdout.isatty()

        def progress(registry: Registry, verdict: Verdict) -> None:
            nonlocal done
            done += 1
            if json:
                return
            mark = "ok " if verdict.ok else "FAIL"
            line = f"[{done}/{total}] {mark} {registry.name}: {verdict.category} ({verdict.elapsed_ms} ms)"
            if not verdict.ok:
                line += f" - {verdict.category_label}. {verdict.reason}"
            self.stdout.write(line)
            if interactive:
                self.stdout.flush()

        pool, note = pool_within_open_files(pool or settings.CHECK_REGISTRIES_POOL)
        if note:
            self.stderr.write(note)
        results = check_registries(registries, pool=pool, on_result=progress)
        checked = [(r, v) for r, v in results if v is not None]
        healthy = sum(1 for _, verdict in checked if verdict.ok)
        skipped = [r.name for r, v in results if v is None]
        if json:
            self.stdout.write(_json_dump({
                "checked": len(checked),
                "healthy": healthy,
                "unhealthy": len(checked) - healthy,
                "not_checked": skipped,
                "results": [{"name": r.name, **v.as_json()} for r, v in checked],
            }))
        else:
            if skipped:
                self.stdout.write(f"not checked (this server ran out of open files): {', '.join(skipped)}")
            self.stdout.write(f"checked={len(checked)} healthy={healthy} unhealthy={len(checked) - healthy}"
                              + (f" not_checked={len(skipped)}" if skipped else ""))
        if healthy != total:
            sys.exit(1)


def _json_dump(data: dict) -> str:
    return json.dumps(data, indent=2)
