"""Each endpoint has a slot in the interval, from its id: N endpoints are spread evenly
over the interval (not all checked at once), a new endpoint does not move the others, and
every monitor that takes over agrees on the slots."""

from __future__ import annotations

from monitor.schedule import next_slot, phase


def test_slots_of_consecutive_ids_spread_evenly_over_the_interval():
    for count in (2, 10, 100, 1000):
        slots = sorted(phase(pk, 300.0) for pk in range(1, count + 1))
        gaps = [b - a for a, b in zip(slots, slots[1:], strict=False)] + [300.0 - slots[-1] + slots[0]]
        # An even spread has every gap at 300/count; these stay within a factor of 3 of it
        # (the golden ratio's sequence: at most three gap sizes, the largest < 2.7 x even).
        assert max(gaps) < 3 * 300.0 / count, (count, max(gaps))
        assert min(gaps) > 300.0 / count / 3, (count, min(gaps))


def test_an_endpoint_keeps_its_slot_whoever_else_exists():
    assert phase(42, 300.0) == phase(42, 300.0)
    assert 0 <= phase(42, 300.0) < 300.0


def test_the_next_slot_is_the_first_at_or_after_a_time():
    interval = 300.0
    slot = phase(7, interval)
    assert next_slot(7, interval, 1_000_000.0) >= 1_000_000.0
    assert next_slot(7, interval, 1_000_000.0) - 1_000_000.0 < interval
    assert (next_slot(7, interval, 1_000_000.0) - slot) % interval == 0
    at = next_slot(7, interval, 1_000_000.0)
    assert next_slot(7, interval, at) == at
    assert next_slot(7, interval, at + 0.001) == at + interval
