"""When each endpoint is checked: at its own slot in every interval.

An endpoint's slot is its id times the golden ratio, modulo 1, times the interval: the ids
1..N (consecutive, as the database gives them) land evenly spread over the interval with
no two close together (the three-gap theorem: the gaps take at most three sizes), a new
endpoint moves no other, and any monitor that takes over computes the same slots. The
slots repeat on the wall clock (epoch seconds), so after a hand-over every endpoint is
checked about one interval after its last check, not all at once.
"""

from __future__ import annotations

import math

GOLDEN = (math.sqrt(5) - 1) / 2


def phase(pk: int, interval: float) -> float:
    """Seconds into each interval at which endpoint `pk` is checked."""
    return (pk * GOLDEN) % 1.0 * interval


def next_slot(pk: int, interval: float, after: float) -> float:
    """The first of `pk`'s slots (epoch seconds) at or after `after`."""
    offset = phase(pk, interval)
    return offset + math.ceil((after - offset) / interval) * interval
