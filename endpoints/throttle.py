"""Per-user limits on Test Connection and Check now, and the record of every one of them.

A connection test makes this server open connections wherever a user points it, so it is
also a port scanner for whoever may add an endpoint (SECURITY S25). Each test or check
request takes a slot: it is recorded first (who, which URL), then counted, so two
requests racing each other both see both. A slot is refused when the user already has
ENDPOINT_TESTS_CONCURRENT requests running or has started ENDPOINT_TESTS_PER_MINUTE in the
last minute. The counts live in the database, so every worker process sees the same ones.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from endpoints.models import ConnectionAttempt, Registry

WINDOW_S = 60
# A request whose worker died never finishes its record: after the test deadline plus
# this margin it no longer counts as running.
STALE_MARGIN_S = 10
KEEP_DAYS_DEFAULT = 90


class Throttled(Exception):
    """Refused for now: `status` 429 (the user's limits) or 503 (this server is short)."""

    def __init__(self, message: str, retry_after: int, status: int = 429) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = max(1, retry_after)
        self.status = status


def _refusal(attempt: ConnectionAttempt) -> Throttled | None:
    now = attempt.started_at
    running_since = now - timedelta(seconds=settings.ENDPOINT_TEST_DEADLINE + STALE_MARGIN_S)
    window_start = now - timedelta(seconds=WINDOW_S)
    # One query for both limits: this user's attempts in the longer of the two windows
    # (at most a minute's worth, so a few dozen rows).
    mine = list(
        ConnectionAttempt.objects.filter(user_id=attempt.user_id,
                                         started_at__gte=min(running_since, window_start))
        .exclude(outcome=ConnectionAttempt.THROTTLED)
        .order_by("started_at").values_list("started_at", "finished_at")
    )
    running = [started for started, finished in mine if finished is None and started >= running_since]
    limit = settings.ENDPOINT_TESTS_CONCURRENT
    if len(running) > limit:
        ends = running[0] + timedelta(seconds=settings.ENDPOINT_TEST_DEADLINE)
        return Throttled(
            f"You already have {limit} connection tests or checks running, the most allowed at "
            "once (ENDPOINT_TESTS_CONCURRENT, a server setting): wait for one to finish, then "
            f"try again in about {_seconds_until(ends)} s.",
            _seconds_until(ends),
        )
    recent = [started for started, _finished in mine if started > window_start]
    limit = settings.ENDPOINT_TESTS_PER_MINUTE
    if len(recent) > limit:
        frees = recent[len(recent) - limit - 1] + timedelta(seconds=WINDOW_S)
        return Throttled(
            f"You started {limit} connection tests or checks in the last minute, the most "
            "allowed (ENDPOINT_TESTS_PER_MINUTE, a server setting): try again in "
            f"{_seconds_until(frees)} s.",
            _seconds_until(frees),
        )
    return None


def _seconds_until(moment) -> int:
    return max(1, math.ceil((moment - timezone.now()).total_seconds()))


def _prune(attempt: ConnectionAttempt) -> None:
    """Now and then, forget records older than ENDPOINT_TEST_LOG_DAYS."""
    if attempt.pk % 200 == 0:
        days = getattr(settings, "ENDPOINT_TEST_LOG_DAYS", KEEP_DAYS_DEFAULT)
        ConnectionAttempt.objects.filter(started_at__lt=timezone.now() - timedelta(days=days)).delete()


@contextmanager
def connection_slot(user, kind: str, *, url: str = "", provider: str = "",
                    registry: Registry | None = None, endpoints: int = 1) -> Iterator[ConnectionAttempt]:
    """Record the attempt, refuse it (Throttled) past the user's limits, and on leaving
    store how it ended: set `attempt.outcome` inside the block (a verdict's category)."""
    attempt = ConnectionAttempt.objects.create(
        user=user, kind=kind, url=url[:512], provider=provider, registry=registry,
        endpoints_checked=endpoints,
    )
    _prune(attempt)
    refusal = _refusal(attempt)
    if refusal is not None:
        attempt.finish(ConnectionAttempt.THROTTLED)
        raise refusal
    try:
        yield attempt
    finally:
        attempt.finish(attempt.outcome or "error")
