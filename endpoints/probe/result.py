"""What a connection check reports: steps, a category and a summary."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum


class Category(StrEnum):
    OK = "ok"
    INVALID = "invalid"
    BLOCKED = "blocked"
    DNS = "dns"
    CONNECT = "connect"
    TIMEOUT = "timeout"
    TLS = "tls"
    HTTP = "http"
    NOT_REGISTRY = "not_registry"
    AUTH = "auth"
    RATE_LIMITED = "rate_limited"
    PROVIDER = "provider"

    @property
    def label(self) -> str:
        return CATEGORY_LABELS[self]


# What the pages show for a category: the code stays in JSON, the database and the CLI.
CATEGORY_LABELS: dict[Category, str] = {
    Category.OK: "Connection works",
    Category.INVALID: "Invalid input",
    Category.BLOCKED: "Blocked by policy",
    Category.DNS: "Host name not found",
    Category.CONNECT: "Cannot connect",
    Category.TIMEOUT: "Timed out",
    Category.TLS: "TLS or certificate problem",
    Category.HTTP: "HTTP error",
    Category.NOT_REGISTRY: "Not a registry",
    Category.AUTH: "Credentials refused or required",
    Category.RATE_LIMITED: "Rate-limited",
    Category.PROVIDER: "Provider error",
}


def category_label(code: str) -> str:
    """The label of a stored category code; an unknown code (an older version's) as it is."""
    try:
        return Category(code).label
    except ValueError:
        return code


def as_sentence(text: str) -> str:
    """`text` as a sentence: a capital first letter (unless it starts with a URL or a host
    name, which keep their case) and a full stop. Step details are written as clauses, so
    they can be joined; the user reads them as sentences."""
    text = text.strip()
    if not text:
        return text
    first_word = text.split(maxsplit=1)[0]
    if text[0].islower() and not any(mark in first_word for mark in ".:/[@"):
        text = text[0].upper() + text[1:]
    if not text.endswith((".", "!", "?", "…")):
        text += "."
    return text


@dataclass
class StepResult:
    name: str
    ok: bool
    ms: int
    detail: str
    hint: str = ""


@dataclass
class Verdict:
    """`summary` says what happened (for a failure: what went wrong, not the steps' own
    text); `reason` is what a stored status says without the steps: the summary and, for
    a failure, what to do about it.

    `facts`: what the check learnt besides healthy or not, as plain JSON values, for the
    warnings before something runs out (endpoints.lookahead): `certificate` {host,
    not_after}, `credential` {expires_on, source}, `pull_budget` {limit, remaining,
    window_s}. Never a secret."""

    ok: bool
    category: str
    summary: str
    steps: list[StepResult] = field(default_factory=list)
    elapsed_ms: int = 0
    warnings: list[str] = field(default_factory=list)
    reason: str = ""
    facts: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.reason = self.reason or self.summary

    @property
    def status(self) -> str:
        return "healthy" if self.ok else "unhealthy"

    @property
    def category_label(self) -> str:
        return category_label(self.category)

    @property
    def failed_step(self) -> StepResult | None:
        return next((s for s in self.steps if not s.ok), None)

    def as_json(self) -> dict:
        return {
            "ok": self.ok,
            "status": self.status,
            "category": self.category,
            "category_label": self.category_label,
            "summary": self.summary,
            "reason": self.reason,
            "steps": [asdict(s) for s in self.steps],
            "elapsed_ms": self.elapsed_ms,
            "warnings": list(self.warnings),
            "facts": dict(self.facts),
        }
