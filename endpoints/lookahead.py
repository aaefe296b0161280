"""Before it breaks: what is about to run out for an endpoint, from its last check's facts
(Verdict.facts) and the "Credential expires on" date an administrator set.

One list of `Lookahead` items feeds the Registries list, the endpoint's page, the status
JSON and the monitor's alerts, so they all say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from endpoints.models import Registry

BUDGET_WARNING_SHARE = 0.10  # the same share the Docker Hub check warns at
LABELS = {"certificate": "Certificate expires", "credential": "Credential expires",
          "pull_budget": "Pull budget"}


@dataclass(frozen=True)
class Lookahead:
    kind: str  # "certificate", "credential" or "pull_budget"
    text: str  # a sentence for the pages and alerts
    short: str  # a few words for the list
    warning: bool  # within EXPIRY_WARNING_DAYS, expired, or under 10 % of the pull budget
    days_left: int | None = None  # for expiries
    # What it is about: an alert is sent once per threshold and expiry date, and again for a
    # renewed certificate or credential.
    about: str = ""

    @property
    def label(self) -> str:
        return LABELS.get(self.kind, self.kind)


def for_registry(registry: Registry, now: datetime | None = None) -> list[Lookahead]:
    now = now or datetime.now(UTC)
    facts = registry.check_facts or {}
    items = [
        _certificate(facts.get("certificate"), now),
        _credential(registry.credential_expires_on, facts.get("credential"), now),
        _pull_budget(facts.get("pull_budget")),
    ]
    return [item for item in items if item is not None]


def _days(days: int) -> str:
    return "1 day" if days == 1 else f"{days} days"


def _expiry(kind: str, subject: str, expires_on: date, days: int, source: str) -> Lookahead:
    warn = days <= settings.EXPIRY_WARNING_DAYS
    if days < 0:
        return Lookahead(kind, f"{subject} expired on {expires_on}{source}.",
                         f"{kind.capitalize()} expired {expires_on}", True, days, f"{kind}:{expires_on}")
    when = "today" if days == 0 else f"in {_days(days)}"
    return Lookahead(kind, f"{subject} expires on {expires_on} ({when}){source}.",
                     f"{kind.capitalize()} expires {when}", warn, days, f"{kind}:{expires_on}")


def _certificate(fact: dict | None, now: datetime) -> Lookahead | None:
    try:
        not_after = datetime.fromisoformat(fact["not_after"]) if fact else None
    except (KeyError, TypeError, ValueError):
        return None
    if not_after is None:
        return None
    days = (not_after - now).days
    return _expiry("certificate", f"The certificate of {fact.get('host', 'the endpoint')}",
                   not_after.date(), days, "")


def _credential(set_on: date | None, fact: dict | None, now: datetime) -> Lookahead | None:
    candidates = []
    if fact:
        try:
            candidates.append((date.fromisoformat(fact["expires_on"]), f", as the {fact['source']} says"))
        except (KeyError, TypeError, ValueError):
            pass
    if set_on is not None:
        candidates.append((set_on, ", as set on this endpoint"))
    if not candidates:
        return None
    expires_on, source = min(candidates, key=lambda candidate: candidate[0])  # the provider's on a tie
    return _expiry("credential", "The credential", expires_on, (expires_on - now.date()).days, source)


def _pull_budget(fact: dict | None) -> Lookahead | None:
    try:
        limit, remaining, window_s = int(fact["limit"]), int(fact["remaining"]), int(fact.get("window_s", 0))
    except (KeyError, TypeError, ValueError):
        return None
    window = f" per {window_s // 3600} h" if window_s and window_s % 3600 == 0 else (
        f" per {window_s // 60} min" if window_s else "")
    short = f"Pulls left: {remaining} of {limit}{window}"
    low = remaining < limit * BUDGET_WARNING_SHARE
    text = f"{short} (under {round(BUDGET_WARNING_SHARE * 100)} %)." if low else f"{short}."
    return Lookahead("pull_budget", text, short, low, about="pull_budget")
