"""Only one monitor works on a database at a time: a lease taken and renewed with
conditional UPDATEs on the database's clock, handed over when its holder stops renewing
(SQLite and PostgreSQL alike). The hand-over between real processes killed with SIGKILL is
in test_monitor_process.py."""

from __future__ import annotations

import time

import pytest

from monitor.lease import Lease
from monitor.models import MonitorLease

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_first_monitor_takes_the_lease_and_the_second_waits():
    first, second = Lease("host-a:1", ttl=30), Lease("host-b:2", ttl=30)

    assert first.hold() is True
    assert second.hold() is False
    assert first.hold() is True  # a renewal

    row = MonitorLease.objects.get()
    assert row.holder == "host-a:1" and row.expires_at > row.heartbeat_at
    assert second.holder_now() == "host-a:1"


def test_a_lease_nobody_renews_is_taken_over_and_its_old_holder_knows():
    first, second = Lease("host-a:1", ttl=1), Lease("host-b:2", ttl=1)
    assert first.hold()

    time.sleep(1.3)  # the holder stopped renewing (killed, hung, partitioned)

    assert second.hold() is True
    assert first.hold() is False  # too late: it stops working
    assert MonitorLease.objects.get().holder == "host-b:2"


def test_a_released_lease_is_taken_at_once():
    first, second = Lease("host-a:1", ttl=30), Lease("host-b:2", ttl=30)
    assert first.hold()

    first.release()

    assert second.hold() is True


def test_releasing_a_lease_held_by_another_changes_nothing():
    first, second = Lease("host-a:1", ttl=30), Lease("host-b:2", ttl=30)
    assert first.hold()

    second.release()

    assert MonitorLease.objects.get().holder == "host-a:1"


def test_the_holder_and_its_heartbeat_are_readable_for_the_pages():
    lease = Lease("host-a:1", ttl=30)
    assert Lease.current() is None

    lease.hold()

    current = Lease.current()
    assert current is not None and current.holder == "host-a:1" and current.heartbeat_at is not None
    lease.release()
    assert Lease.current() is None
