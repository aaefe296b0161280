"""What every provider declares: form metadata, input checks and its connection check.

A provider module subclasses Provider, sets the class attributes and, where it differs
from the generic registry v2 flow, overrides `clean()` and `check()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from endpoints.probe.engine import Probe
from endpoints.probe.flows import check_registry_v2
from endpoints.probe.target import Target


class UrlMode(StrEnum):
    FIXED = "fixed"
    SUGGESTIONS = "suggestions"
    FREE = "free"


class SecretKind(StrEnum):
    PASSWORD = "password"
    JSON = "json"


@dataclass(frozen=True)
class UrlSuggestion:
    label: str
    url: str


FieldErrors = dict[str, list[str]]


class Provider:
    key: ClassVar[str]
    label: ClassVar[str]

    url_mode: ClassVar[UrlMode] = UrlMode.FREE
    default_url: ClassVar[str] = ""
    url_placeholder: ClassVar[str] = "https://registry.example.com"
    url_help: ClassVar[str] = ""

    access_id_placeholder: ClassVar[str] = ""
    access_id_help: ClassVar[str] = ""
    fixed_access_id: ClassVar[str | None] = None

    secret_kind: ClassVar[SecretKind] = SecretKind.PASSWORD
    access_secret_placeholder: ClassVar[str] = ""
    access_secret_help: ClassVar[str] = ""

    # True when empty credentials mean the server's own identity (AWS: its default
    # credentials chain) rather than anonymous access.
    empty_credentials_use_server_identity: ClassVar[bool] = False

    # Harbor's adapter lists this type in /replication/adapterinfos even with no URL or
    # credential pattern (as `{}`); the API reproduces that.
    listed_without_pattern: ClassVar[bool] = False

    # Further notes shown with the form (from the product documentation).
    notes: ClassVar[tuple[str, ...]] = ()

    def url_suggestions(self) -> list[UrlSuggestion]:
        if self.url_mode is UrlMode.FIXED:
            return [UrlSuggestion(self.label, self.default_url)]
        return []

    def clean(self, url: str, access_id: str, access_secret: str, secret_given: bool) -> FieldErrors:
        """Provider input rules, checked before any network call.

        `url` is already normalized. `access_secret` is the newly typed secret ("" when none
        was typed); `secret_given` tells whether any secret (typed or stored) will be used.
        Returns {field name: [messages]}; every message says what to fix.
        """
        return {}

    def check(self, probe: Probe, target: Target) -> None:
        """The connection check: provider pre-steps, then the registry v2 flow."""

        check_registry_v2(probe, target, target.url)

    def form_metadata(self) -> dict:
        """What the form's JavaScript needs to switch providers without a round trip."""
        return {
            "key": self.key,
            "label": self.label,
            "url_mode": str(self.url_mode),
            "default_url": self.default_url,
            "url_placeholder": self.url_placeholder,
            "url_help": self.url_help,
            "suggestions": [{"label": s.label, "url": s.url} for s in self.url_suggestions()],
            "access_id_placeholder": self.access_id_placeholder,
            "access_id_help": self.access_id_help,
            "fixed_access_id": self.fixed_access_id,
            "secret_kind": str(self.secret_kind),
            "access_secret_placeholder": self.access_secret_placeholder,
            "access_secret_help": self.access_secret_help,
            "notes": list(self.notes),
        }
