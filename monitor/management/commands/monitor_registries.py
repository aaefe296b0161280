"""Check every endpoint every HEALTH_CHECK_INTERVAL seconds until stopped (docs/monitoring.md)."""

from __future__ import annotations

import os
import signal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from endpoints.models import Registry
from monitor import notify
from monitor.runner import Monitor, check_and_alert


class Command(BaseCommand):
    help = (
        "Check every endpoint every HEALTH_CHECK_INTERVAL seconds (default 300), spread evenly over the "
        "interval, store each result, record state changes and warnings as events and send them to the "
        "notification channels. Runs until stopped; SIGTERM or Ctrl-C finishes the checks in flight "
        "first. Only one monitor works on a database at a time: others wait to take over."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--interval", type=float, help="Seconds between two checks of an endpoint "
                            "(default HEALTH_CHECK_INTERVAL).")
        parser.add_argument("--pool", type=int, help="Endpoints checked at the same time "
                            "(default HEALTH_MONITOR_POOL).")
        parser.add_argument("--once", action="store_true", help="Check every endpoint once now, record and "
                            "send the events, and exit (for cron; no lease: do not run it beside a monitor).")

    def handle(self, *args, interval: float | None, pool: int | None, once: bool, **options) -> None:
        if interval is not None and interval <= 0 or pool is not None and pool < 1:
            raise CommandError("--interval must be above 0 and --pool at least 1.")
        if once:
            self.once(pool)
            return
        monitor = Monitor(interval=interval, pool=pool)
        stops = []

        def stop(signum, _frame) -> None:
            if stops:  # asked twice: leave now
                os._exit(128 + signum)
            stops.append(signum)
            self.stderr.write(f"monitor_registries: {signal.Signals(signum).name}: stopping after the checks "
                              "in flight (again to quit at once)")
            monitor.stop()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(
            f"monitor_registries: every endpoint every {monitor.interval:g} s, {monitor.pool} at a time, "
            f"as {monitor.lease.holder}. Stop with Ctrl-C or SIGTERM.")
        monitor.run()

    def once(self, pool: int | None) -> None:
        events = check_and_alert(list(Registry.objects.all()), pool or settings.HEALTH_MONITOR_POOL)
        sent = notify.deliver_due(limit=1000)
        self.stdout.write(f"events={len(events)} deliveries={sent}")
