"""The monitor: checks every endpoint at its slot in each interval, stores the results,
turns changes into events and sends them.

One loop in the main thread owns the database work: it renews the lease, feeds due
endpoints to a long-lived pool (services.CheckStream, the same engine as every check),
and stores what finished together in one transaction with the events it caused
(monitor.alerts). The deliveries those events queued are sent by a few threads of their
own (monitor.notify.Sender), so a slow webhook never delays a check; only the network
part runs in worker threads, as for the checks. `stop()` (SIGTERM, SIGINT)
stops the feeding; the checks in flight finish and are stored, then the lease is released.
"""

from __future__ import annotations

import heapq
import logging
import threading
import time
from collections import deque

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection, transaction

from endpoints import services
from endpoints.models import Registry
from endpoints.probe.result import Verdict
from monitor import alerts, notify
from monitor.lease import Lease, holder_id
from monitor.models import Event
from monitor.schedule import next_slot

logger = logging.getLogger("monitor")

TICK_MAX = 1.0  # the loop wakes at least this often (stop requests, lease renewal)
PAUSE_AFTER_ERROR = 5.0  # the database went away: wait, then try again


def store_results(results: list[tuple[Registry, Verdict | None]]) -> list[Event]:
    """Store what finished together and the events it caused, in one transaction."""
    checked = [(registry, verdict) for registry, verdict in results if verdict is not None]
    if not checked:
        return []
    before = {registry.pk: registry.status for registry, _ in checked}  # storing changes it
    with transaction.atomic():
        services.store_scheduled(checked)
        events = alerts.record(checked, before)
    for event in events:
        logger.info("%s: %s", event.title, event.summary[:200])
    return events


def check_and_alert(registries: list[Registry], pool: int | None = None) -> list[Event]:
    """One round: check these endpoints now, store the results, return the events."""
    stream = services.CheckStream(pool or settings.HEALTH_MONITOR_POOL)
    events: list[Event] = []
    try:
        waiting = list(registries)
        while waiting or stream.in_flight:
            while waiting and stream.free:
                stream.submit(waiting.pop(0))
            events += store_results(stream.collect(timeout=TICK_MAX))
    finally:
        stream.close()
    return events


class Monitor:
    def __init__(self, *, interval: float | None = None, pool: int | None = None,
                 lease_seconds: float | None = None, holder: str | None = None,
                 lag_history: int = 10_000) -> None:
        self.interval = float(interval or settings.HEALTH_CHECK_INTERVAL)
        self.pool = pool or settings.HEALTH_MONITOR_POOL
        self.lease = Lease(holder or holder_id(), lease_seconds or settings.HEALTH_MONITOR_LEASE_SECONDS)
        # How often the list of endpoints is read again (new ones get their slot).
        self.refresh_every = min(10.0, self.interval / 2)
        self.due: dict[int, float] = {}  # endpoint id → its next slot (epoch seconds)
        # The same slots, soonest first; an entry that no longer matches `due` is stale.
        self._queue: list[tuple[float, int]] = []
        self.checked = 0  # results stored by this monitor
        # (when, seconds after its slot) of the latest checks started, for bench/.
        self.lags: deque[tuple[float, float]] = deque(maxlen=lag_history)
        self._stopping = threading.Event()
        self._holding = False
        self._told_waiting = False
        self._stream: services.CheckStream | None = None
        self._sender: notify.Sender | None = None
        self._period = {"checked": 0, "unhealthy": 0, "lag": 0.0, "since": time.monotonic()}

    def stop(self) -> None:
        """Stop taking new work; `run` returns once the checks in flight are stored."""
        self._stopping.set()

    @property
    def holding(self) -> bool:
        return self._holding

    def run(self) -> None:
        next_lease = next_refresh = 0.0
        try:
            while not self._stopping.is_set():
                now = time.time()
                try:
                    if now >= next_lease:
                        self._renew()
                        next_lease = now + self.lease.ttl / 3
                    if not self._holding:
                        self._stopping.wait(min(TICK_MAX, max(0.05, next_lease - time.time())))
                        continue
                    if now >= next_refresh:
                        self._refresh(now)
                        next_refresh = now + self.refresh_every
                    self._feed(now)
                    self._sender.feed(now)
                    wake_at = min([next_lease, next_refresh, *self._waiting_slots()])
                    self._store(self._stream.collect(min(TICK_MAX, max(0.02, wake_at - time.time()))))
                    self._sender.record_finished()
                    self._report()
                except DatabaseError as exc:
                    logger.error("database error (%s: %s); trying again in %g s",
                                 type(exc).__name__, str(exc)[:200], PAUSE_AFTER_ERROR)
                    close_old_connections()
                    self._stopping.wait(PAUSE_AFTER_ERROR)
        finally:
            self._let_go(release=True)
            connection.close()

    # --- the lease ---

    def _renew(self) -> None:
        close_old_connections()  # CONN_MAX_AGE and health checks, as a request would
        holding = self.lease.hold()
        if holding and not self._holding:
            self._holding = True
            self._stream = services.CheckStream(self.pool)
            self._sender = notify.Sender()
            self.due.clear()
            self._queue.clear()
            logger.info("holding the lease as %s: every endpoint every %g s, %d at a time%s",
                        self.lease.holder, self.interval, self._stream.workers,
                        f" ({self._stream.capped_because})" if self._stream.capped_because else "")
        elif not holding and not self._holding and not self._told_waiting:
            self._told_waiting = True
            logger.info("the lease is held by %s: waiting to take over",
                        self.lease.holder_now() or "another monitor")
        elif self._holding and not holding:
            logger.warning("another monitor (%s) took the lease: stopping here",
                           self.lease.holder_now() or "unknown")
            self._let_go(release=False)

    def _let_go(self, *, release: bool) -> None:
        """Finish and store the checks in flight, stop the sender, give up the lease."""
        stream, self._stream = self._stream, None
        if stream is not None:
            if stream.in_flight:
                count = len(stream.in_flight)
                logger.info("finishing %d check%s in flight", count, "" if count == 1 else "s")
            while stream.in_flight:
                self._store_or_log(stream.collect(TICK_MAX))
            stream.close()
        sender, self._sender = self._sender, None
        if sender is not None:
            sender.close()
        if self._holding and release:
            try:
                self.lease.release()
                logger.info("stopped; the lease is released")
            except DatabaseError:
                logger.warning("stopped; the lease could not be released: it runs out by itself")
        self._holding = False

    def _store_or_log(self, results: list[tuple[Registry, Verdict | None]]) -> None:
        """On the way out the database may be the reason: say what was lost, do not crash."""
        try:
            self._store(results)
        except DatabaseError as exc:
            logger.error("database error (%s): %d results not stored", type(exc).__name__, len(results))

    # --- the schedule ---

    def _refresh(self, now: float) -> None:
        """New endpoints get their next slot; deleted ones are forgotten."""
        ids = set(Registry.objects.values_list("pk", flat=True))
        for pk in ids - self.due.keys():
            self._plan(pk, next_slot(pk, self.interval, now))
        for pk in self.due.keys() - ids:
            del self.due[pk]  # its queue entry is now stale

    def _plan(self, pk: int, at: float) -> None:
        self.due[pk] = at
        heapq.heappush(self._queue, (at, pk))

    def _next_due(self) -> tuple[float, int] | None:
        """The soonest slot in the queue, stale entries dropped on the way."""
        while self._queue and self.due.get(self._queue[0][1]) != self._queue[0][0]:
            heapq.heappop(self._queue)
        return self._queue[0] if self._queue else None

    def _waiting_slots(self) -> list[float]:
        soonest = self._next_due()
        return [soonest[0]] if soonest else []

    def _feed(self, now: float) -> None:
        stream = self._stream
        take: list[tuple[float, int]] = []
        while len(take) < stream.free and (soonest := self._next_due()) is not None and soonest[0] <= now:
            slot, pk = heapq.heappop(self._queue)
            # The next slot one interval on; a monitor running late skips a missed slot
            # rather than checking twice in a row (also when this one is still in flight).
            self._plan(pk, next_slot(pk, self.interval, max(slot + self.interval / 2, now)))
            if pk not in stream.in_flight:
                take.append((slot, pk))
        if not take:
            return
        registries = Registry.objects.in_bulk([pk for _slot, pk in take])
        for slot, pk in take:
            registry = registries.get(pk)
            if registry is None:  # deleted since the last refresh
                self.due.pop(pk, None)
                continue
            lag = max(0.0, now - slot)
            self.lags.append((now, lag))
            self._period["lag"] = max(self._period["lag"], lag)
            stream.submit(registry)

    def _store(self, results: list[tuple[Registry, Verdict | None]]) -> None:
        if not results:
            return
        events = store_results(results)
        done = [verdict for _registry, verdict in results if verdict is not None]
        self.checked += len(done)
        self._period["checked"] += len(done)
        self._period["unhealthy"] += sum(1 for verdict in done if not verdict.ok)
        if events and self._sender is not None:
            self._sender.feed(time.time(), soon=True)

    def _report(self) -> None:
        """One line per interval (at most one a minute): what was checked, how late."""
        period = self._period
        elapsed = time.monotonic() - period["since"]
        if elapsed < max(self.interval, 60.0):
            return
        logger.info("%d checks in the last %.0f s (%d unhealthy) of %d endpoints; largest delay "
                    "after a slot %.1f s", period["checked"], elapsed, period["unhealthy"], len(self.due),
                    period["lag"])
        self._period = {"checked": 0, "unhealthy": 0, "lag": 0.0, "since": time.monotonic()}
