"""From check results to events: speak up on changes only.

- Healthy → Unhealthy once HEALTH_ALERT_AFTER checks in a row failed (default 2: one blip
  pages nobody). The monitor starts from the status stored before its first check (the
  save-time test's, or Check now's): an endpoint never checked goes Unknown → Unhealthy;
  one already Unhealthy is not announced again, its recovery is.
- Unhealthy → Healthy at the first good check after an Unhealthy alert.
- A warning (endpoints.lookahead) at each threshold once: 30 (EXPIRY_WARNING_DAYS), 7, 1
  and 0 days before a certificate or credential expires, counted per expiry date (a
  renewed one starts over); a pull budget under 10 % once until it recovers.

`record` runs inside the transaction that stores the results, so a result and the events
it caused are stored together, and their deliveries are queued with them (an outbox: the
sender in monitor.notify works through it after the commit).
"""

from __future__ import annotations

from django.conf import settings

from endpoints.lookahead import Lookahead
from endpoints.models import Registry
from endpoints.probe.result import Verdict
from monitor.models import AlertState, Event
from monitor.notify import queue_deliveries

WARNING_LABELS = {
    "certificate": "Certificate expiry",
    "credential": "Credential expiry",
    "pull_budget": "Docker Hub pull budget",
}


def thresholds() -> list[int]:
    """Days before an expiry at which a warning is sent, largest first: 30, 7, 1, 0."""
    return sorted({settings.EXPIRY_WARNING_DAYS, 7, 1, 0} & set(range(settings.EXPIRY_WARNING_DAYS + 1)),
                  reverse=True)


def record(results: list[tuple[Registry, Verdict]], before: dict[int, str] | None = None) -> list[Event]:
    """Update each endpoint's alert state from its new result; create and queue the events.
    `before`: each endpoint's status before these results were stored, where a new alert
    state starts. A few queries per batch, whatever its size."""
    if not results:
        return []
    states = {state.registry_id: state for state in
              AlertState.objects.filter(registry_id__in=[registry.pk for registry, _ in results])}
    before = before or {}
    new_states = [AlertState(registry=registry, alerted_state=_known(before.get(registry.pk, "")))
                  for registry, _ in results if registry.pk not in states]
    if new_states:
        AlertState.objects.bulk_create(new_states, ignore_conflicts=True)
        states.update({state.registry_id: state for state in
                       AlertState.objects.filter(registry_id__in=[s.registry_id for s in new_states])})
    events: list[Event] = []
    for registry, verdict in results:
        state = states[registry.pk]
        events += _transitions(state, registry, verdict)
        events += _warnings(state, registry)
    AlertState.objects.bulk_update(list(states.values()),
                                   ["consecutive_failures", "alerted_state", "warnings_sent"])
    Event.objects.bulk_create(events)
    queue_deliveries(events)
    return events


def _known(status: str) -> str:
    return status if status in ("healthy", "unhealthy") else ""


def _event(registry: Registry, kind: str, old: str, new: str, category: str, label: str,
           summary: str) -> Event:
    return Event(kind=kind, registry=registry, registry_name=registry.name, old_state=old, new_state=new,
                 category=category, category_label=label, summary=summary[:1000])


def _transitions(state: AlertState, registry: Registry, verdict: Verdict) -> list[Event]:
    if verdict.ok:
        state.consecutive_failures = 0
        was = state.alerted_state
        state.alerted_state = "healthy"
        if was == "unhealthy":
            return [_event(registry, Event.Kind.RECOVERED, "unhealthy", "healthy", verdict.category,
                           verdict.category_label, verdict.summary)]
        return []  # first seen healthy, or still healthy: nothing to say
    state.consecutive_failures += 1
    if state.alerted_state == "unhealthy" or state.consecutive_failures < settings.HEALTH_ALERT_AFTER:
        return []
    old = state.alerted_state or "unknown"
    state.alerted_state = "unhealthy"
    return [_event(registry, Event.Kind.UNHEALTHY, old, "unhealthy", verdict.category, verdict.category_label,
                   verdict.reason)]


def _warnings(state: AlertState, registry: Registry) -> list[Event]:
    sent = dict(state.warnings_sent or {})
    current: dict[str, int] = {}
    events = []
    for item in registry.lookahead():
        if not item.warning:
            continue
        threshold = _threshold(item)
        already = sent.get(item.about)
        current[item.about] = threshold if already is None else min(already, threshold)
        if already is None or threshold < already:
            status = registry.status
            events.append(_event(registry, Event.Kind.WARNING, status, status, item.kind,
                                 WARNING_LABELS.get(item.kind, item.kind), item.text))
    # Forget what is no longer a warning (renewed, recovered): it may be announced again.
    state.warnings_sent = current
    return events


def _threshold(item: Lookahead) -> int:
    """The nearest threshold the item has crossed (0 for a pull budget: one level only)."""
    if item.days_left is None:
        return 0
    crossed = [days for days in thresholds() if item.days_left <= days]
    return min(crossed) if crossed else 0
