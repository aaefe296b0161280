"""Sending events to the notification channels, with retries and a delivery log.

Events are queued as one Delivery per channel in the transaction that stores them (an
outbox), and sent after the commit by `deliver_due`: the monitor's sender thread calls it,
and whoever holds the monitor's lease next finishes what a stopped one left. A failed
attempt is tried again after HEALTH_NOTIFY_RETRY_SECONDS (30 s, 2 min, 10 min by default),
then given up; every attempt is logged on the delivery. Sending never holds a transaction.
"""

from __future__ import annotations

import logging
import queue
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from monitor import channels
from monitor.channels import Outcome
from monitor.models import Delivery, Event, NotificationChannel

logger = logging.getLogger("monitor")

# How long a claimed delivery is left alone by other senders: longer than any attempt.
CLAIM = timedelta(minutes=2)
LOG_SIZE = 20  # attempts kept in a delivery's log
TEST_SUMMARY = ("This is a test notification from harborreg: alerts about replication endpoints reach you "
                "here.")


def queue_deliveries(events: list[Event]) -> list[Delivery]:
    """One pending delivery per event and enabled channel (inside the caller's transaction)."""
    sendable = [event for event in events if event.kind != Event.Kind.TEST]
    channel_list = list(NotificationChannel.objects.filter(enabled=True)) if sendable else []
    now = timezone.now()
    return Delivery.objects.bulk_create(
        Delivery(event=event, channel=channel, next_attempt_at=now) for event in sendable
        for channel in channel_list
    )


def claim_due(limit: int = 50) -> list[Delivery]:
    """The deliveries due now, claimed with a conditional UPDATE each (two senders never send
    the same one) and loaded with what sending needs, so it can run in another thread."""
    now = timezone.now()
    due = list(Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
               .order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
    claimed = [pk for pk in due if Delivery.objects.filter(
        pk=pk, status=Delivery.Status.PENDING, next_attempt_at__lte=now).update(next_attempt_at=now + CLAIM)]
    return list(Delivery.objects.filter(pk__in=claimed).select_related("event__registry", "channel")
                .order_by("pk"))


def deliver_due(limit: int = 50) -> int:
    """Send the deliveries that are due, one after the other; returns how many were tried.
    (The monitor sends them in a small pool instead: Sender.)"""
    deliveries = claim_due(limit)
    for delivery in deliveries:
        record_attempt(delivery, channels.send(delivery.channel, delivery.event, delivery.pk))
    return len(deliveries)


class Sender:
    """The monitor's deliveries: claimed and recorded in the monitor's thread (its database
    connection), sent by a few threads of their own, so a slow webhook delays no check."""

    def __init__(self, workers: int = 4) -> None:
        self.workers = workers
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="monitor-send")
        self._finished: queue.SimpleQueue = queue.SimpleQueue()
        self._in_flight = 0
        self._next_look = 0.0

    def feed(self, now: float, *, soon: bool = False) -> None:
        """Claim what is due, as many as there are free senders (at most once a second,
        or at once when `soon`: new events were just stored)."""
        if self._in_flight >= self.workers or (now < self._next_look and not soon):
            return
        self._next_look = now + 1.0
        for delivery in claim_due(self.workers - self._in_flight):
            self._in_flight += 1
            future = self._executor.submit(channels.send, delivery.channel, delivery.event, delivery.pk)
            future.add_done_callback(lambda done, d=delivery: self._finished.put((d, done)))

    def record_finished(self) -> None:
        while not self._finished.empty():
            delivery, done = self._finished.get()
            self._in_flight -= 1
            try:
                outcome = done.result()
            except Exception as exc:  # a transport's bug must not stop the monitor
                logger.error("sending to “%s” crashed: %s", delivery.channel.name,
                             type(exc).__name__)
                outcome = Outcome(False, f"Internal error ({type(exc).__name__}); see the server log")
            record_attempt(delivery, outcome)

    def close(self) -> None:
        """Wait for what is being sent (each ends within its deadline) and record it; what
        cannot be recorded stays claimed and is sent again once its claim runs out."""
        self._executor.shutdown(wait=True)
        try:
            self.record_finished()
        except DatabaseError as exc:
            logger.error("database error (%s): deliveries sent but not recorded", type(exc).__name__)


def record_attempt(delivery: Delivery, outcome: Outcome, *, retry: bool = True) -> None:
    now = timezone.now()
    delays = [float(seconds) for seconds in settings.HEALTH_NOTIFY_RETRY_SECONDS]
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.outcome = outcome.detail[:500]
    delivery.log = [*delivery.log, {"at": now.isoformat(), "outcome": outcome.detail[:500]}][-LOG_SIZE:]
    if outcome.ok:
        delivery.status, delivery.delivered_at = Delivery.Status.DELIVERED, now
        delivery.next_attempt_at = None
    elif retry and outcome.retry and delivery.attempts <= len(delays):
        delivery.next_attempt_at = now + timedelta(seconds=delays[delivery.attempts - 1])
    else:
        delivery.status, delivery.next_attempt_at = Delivery.Status.FAILED, None
    delivery.save(update_fields=["attempts", "last_attempt_at", "outcome", "log", "status", "delivered_at",
                                 "next_attempt_at"])
    event, channel = delivery.event, delivery.channel
    if outcome.ok:
        logger.info("sent “%s” to %s channel “%s”", event.title, channel.kind, channel.name)
    else:
        logger.warning("could not send “%s” to %s channel “%s” (attempt %d, %s)", event.title,
                       channel.kind, channel.name, delivery.attempts, delivery.get_status_display().lower())


def send_test(channel: NotificationChannel) -> Outcome:
    """Send a test notification to one channel now (the "Send test notification" button);
    logged like any delivery, never retried."""
    with transaction.atomic():
        event = Event.objects.create(kind=Event.Kind.TEST, summary=TEST_SUMMARY, category_label="Test")
        delivery = Delivery.objects.create(event=event, channel=channel, next_attempt_at=None)
    outcome = channels.send(channel, event, delivery.pk)
    record_attempt(delivery, outcome, retry=False)
    return outcome
