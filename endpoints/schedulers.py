"""Whether something runs the scheduled checks right now, as far as the pages need to know.

An app that runs them (the monitor) registers a function that says since when it has been
running (since it took its lease), or None; endpoints imports none of those apps. The list's
banner asks only when no scheduled check was stored lately: a monitor started a moment ago,
whose first slots have not come yet, is not "not running"."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

_sources: list[Callable[[], datetime | None]] = []


def register(running_since: Callable[[], datetime | None]) -> None:
    if running_since not in _sources:
        _sources.append(running_since)


def running_since() -> datetime | None:
    """The latest start of a scheduler that runs now, or None when none does."""
    starts = [start for start in (source() for source in _sources) if start is not None]
    return max(starts, default=None)
