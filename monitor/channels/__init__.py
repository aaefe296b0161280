"""Notification transports: one small module per channel kind, each with `send(channel,
event, delivery_id) -> Outcome`. They know nothing of the monitor that calls them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitor.models import Event, NotificationChannel


@dataclass(frozen=True)
class Outcome:
    ok: bool
    detail: str  # "HTTP 204 in 12 ms", "connect: ... refused the connection" (never a secret)
    retry: bool = True  # whether trying again later may help


def send(channel: NotificationChannel, event: Event, delivery_id: int) -> Outcome:
    from monitor.channels import email, webhook

    transports = {"webhook": webhook.send, "email": email.send}
    transport = transports.get(channel.kind)
    if transport is None:
        return Outcome(False, f"Unknown channel kind “{channel.kind}”", retry=False)
    return transport(channel, event, delivery_id)
