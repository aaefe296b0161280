"""Webhook: a JSON POST per event, signed with the channel's secret.

Headers: `X-Harborreg-Event` (unhealthy, recovered, warning, test), `X-Harborreg-Delivery`
(the same id on every retry, so a receiver can drop duplicates), `X-Harborreg-Timestamp`
(Unix seconds) and `X-Harborreg-Signature: sha256=<hex>`, the HMAC-SHA256 of
`<timestamp>.<raw body>` with the secret. A receiver recomputes it over the body bytes as
received, compares in constant time, and refuses a timestamp more than a few minutes old
(a replayed request). The secret itself never travels.

Sent through the outbound seam (endpoints.probe.http): the address policy on the address
actually connected (ENDPOINT_DENY_NETWORKS refuses metadata addresses), timeouts, a
deadline, capped answers.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from endpoints import secrets
from endpoints.probe import policy
from endpoints.probe.errors import OutboundError
from endpoints.probe.http import OutboundClient, encoded_forms
from endpoints.probe.result import Category
from monitor.channels import Outcome

if TYPE_CHECKING:
    from monitor.models import Event, NotificationChannel

DEADLINE_S = 10.0  # a whole delivery, connect to answer
SIGNATURE_HEADER = "X-Harborreg-Signature"
TIMESTAMP_HEADER = "X-Harborreg-Timestamp"


def payload(event: Event) -> dict:
    registry = event.registry
    return {
        "event": event.kind,
        "endpoint": {
            "id": event.registry_id,
            "name": event.registry_name,
            "url": registry.url if registry else "",
            "provider": registry.provider if registry else "",
        },
        "old_state": event.old_state,
        "new_state": event.new_state,
        "category": event.category,
        "category_label": event.category_label,
        "summary": event.summary,
        "link": event.link(),
        "at": event.created_at.isoformat(),
    }


def slack_text(event: Event) -> str:
    return f"harborreg: {event.title}: {event.summary} {event.link()}"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def send(channel: NotificationChannel, event: Event, delivery_id: int) -> Outcome:
    try:
        secret = channel.decrypt_secret()
    except secrets.SecretDecryptionError:
        return Outcome(False, "The webhook's secret cannot be decrypted: enter it again on the channel.",
                       retry=False)
    document = {"text": slack_text(event)} if channel.slack_format else payload(event)
    body = json.dumps(document, ensure_ascii=False).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Harborreg-Event": event.kind,
        "X-Harborreg-Delivery": str(delivery_id),
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: signature(secret, timestamp, body),
    }
    started = time.monotonic()
    client = OutboundClient(deadline_s=DEADLINE_S, sensitive=encoded_forms(secret) if secret else ())
    try:
        response = client.request("POST", channel.url, headers=headers, data=body)
    except OutboundError as exc:
        return Outcome(False, f"{exc.category}: {exc.detail}", retry=exc.category != Category.BLOCKED)
    finally:
        client.close()
    took = f"HTTP {response.status} in {int((time.monotonic() - started) * 1000)} ms"
    return Outcome(200 <= response.status < 300, took)


def url_problem(url: str) -> str | None:
    """Why this webhook URL cannot be used, said when the channel is saved; None when fine.
    Only what is certain now: the scheme, credentials in the URL, a host whose addresses
    the policy refuses. A name that does not resolve here is left to the delivery log."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "Enter an http or https URL, e.g. https://hooks.example.com/harborreg."
    if parts.username or parts.password:
        return ("Remove the user name or password from the URL: the body is signed with the secret "
                "below instead.")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    host, connect_port, _rule = policy.route(parts.hostname, port, policy.connect_rules())
    try:
        addresses = policy.resolve(host, connect_port, 5.0)
    except OutboundError:
        return None
    try:
        for address in addresses:
            policy.AddressPolicy.from_settings().check(address, host)
    except OutboundError as exc:
        return f"{exc.detail}. Alerts are never sent there."
    return None
