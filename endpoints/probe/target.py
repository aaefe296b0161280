"""The endpoint a check runs against: the form's unsaved values or a saved registry."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Target:
    provider: str
    url: str
    access_id: str = ""
    access_secret: str = field(default="", repr=False)
    verify_remote_cert: bool = True
    ca_certificate: str = ""

    @property
    def has_credentials(self) -> bool:
        return bool(self.access_id or self.access_secret)
