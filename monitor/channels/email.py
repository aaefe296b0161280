"""E-mail: one message per event through Django's mail framework (EMAIL_URL)."""

from __future__ import annotations

import smtplib
import time
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone

from monitor.channels import Outcome

if TYPE_CHECKING:
    from monitor.models import Event, NotificationChannel

STATE_WORDS = {"healthy": "Healthy", "unhealthy": "Unhealthy", "unknown": "Unknown"}


def subject(event: Event) -> str:
    return f"harborreg: {event.title}"


def body(event: Event) -> str:
    lines = [event.title, ""]
    when = f"{timezone.localtime(event.created_at):%Y-%m-%d %H:%M %Z}"
    if event.old_state != event.new_state:
        old, new = (STATE_WORDS.get(s, s) for s in (event.old_state, event.new_state))
        lines.append(f"{old} → {new} at {when}")
    else:
        lines.append(f"At {when}")
    lines += [event.summary, ""]
    registry = event.registry
    if registry is not None:
        lines.append(f"Endpoint: {registry.name} ({registry.provider_label}) {registry.url}")
    lines += [f"Open: {event.link()}", "", "-- ",
              "harborreg's health monitor. Channels are managed in the admin."]
    return "\n".join(lines)


def send(channel: NotificationChannel, event: Event, delivery_id: int) -> Outcome:
    recipients = channel.recipient_list()
    if not recipients:
        return Outcome(False, "No recipients: enter e-mail addresses on the channel.", retry=False)
    headers = {"X-Harborreg-Event": event.kind, "X-Harborreg-Delivery": str(delivery_id)}
    message = EmailMessage(subject(event), body(event), settings.DEFAULT_FROM_EMAIL, recipients,
                           headers=headers)
    started = time.monotonic()
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as exc:
        return Outcome(False, f"The mail server refused or could not be reached ({type(exc).__name__}: "
                              f"{str(exc)[:200]})")
    took = int((time.monotonic() - started) * 1000)
    return Outcome(True, f"Sent to {len(recipients)} recipients in {took} ms")
