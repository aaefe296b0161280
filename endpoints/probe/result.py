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


@dataclass
class StepResult:
    name: str
    ok: bool
    ms: int
    detail: str
    hint: str = ""


@dataclass
class Verdict:
    ok: bool
    category: str
    summary: str
    steps: list[StepResult] = field(default_factory=list)
    elapsed_ms: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return "healthy" if self.ok else "unhealthy"

    @property
    def failed_step(self) -> StepResult | None:
        return next((s for s in self.steps if not s.ok), None)

    def as_json(self) -> dict:
        return {
            "ok": self.ok,
            "status": self.status,
            "category": self.category,
            "summary": self.summary,
            "steps": [asdict(s) for s in self.steps],
            "elapsed_ms": self.elapsed_ms,
            "warnings": list(self.warnings),
        }
