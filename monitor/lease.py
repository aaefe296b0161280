"""Only one monitor works on a database at a time.

The lease is one row. Taking it and renewing it are the same conditional UPDATE: it
succeeds for the holder, or for anyone once the lease has expired or was released. An
UPDATE with a WHERE clause is atomic on SQLite and PostgreSQL alike (no SELECT ... FOR
UPDATE, whose semantics differ), and the times come from the database's clock, so
replicas on hosts whose clocks disagree still agree on who holds it.

A holder renews every third of the lease's duration (HEALTH_MONITOR_LEASE_SECONDS). A
killed or hung holder stops renewing; its lease runs out and the next monitor that asks
takes it. A holder that finds the lease taken stops feeding checks at once.
"""

from __future__ import annotations

import os
import secrets
import socket
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import DateTimeField, ExpressionWrapper, Q, Value
from django.db.models.functions import Now

from monitor.models import MonitorLease

LEASE_NAME = "monitor"


def holder_id() -> str:
    """host:pid:random: unique per process, readable in logs and on the events page."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def _now_plus(seconds: float) -> ExpressionWrapper:
    return ExpressionWrapper(Now() + Value(timedelta(seconds=seconds)), output_field=DateTimeField())


class Lease:
    def __init__(self, holder: str, ttl: float, name: str = LEASE_NAME) -> None:
        self.holder, self.ttl, self.name = holder, float(ttl), name

    def hold(self) -> bool:
        """Take or renew the lease; False when another monitor holds it."""
        free = Q(holder="") | Q(expires_at__isnull=True) | Q(expires_at__lt=Now())
        rows = MonitorLease.objects.filter(name=self.name)
        renewed = rows.filter(holder=self.holder).filter(expires_at__gte=Now()).update(
            heartbeat_at=Now(), expires_at=_now_plus(self.ttl))
        if renewed:
            return True
        taken = rows.filter(free).update(holder=self.holder, acquired_at=Now(), heartbeat_at=Now(),
                                         expires_at=_now_plus(self.ttl))
        if taken:
            return True
        if not rows.exists():
            try:
                with transaction.atomic():
                    MonitorLease.objects.create(name=self.name)
            except IntegrityError:
                pass  # another monitor created it at the same moment
            return self.hold()
        return False

    def release(self) -> None:
        """Give the lease up now (a clean exit), so the next monitor need not wait."""
        MonitorLease.objects.filter(name=self.name, holder=self.holder).update(holder="", expires_at=Now())

    def holder_now(self) -> str:
        return Lease.current(self.name).holder if Lease.current(self.name) else ""

    @staticmethod
    def current(name: str = LEASE_NAME) -> MonitorLease | None:
        """The lease while someone holds it, else None."""
        return MonitorLease.objects.filter(name=name, expires_at__gte=Now()).exclude(holder="").first()
