"""Canary secrets and the ways they could leak: plain, base64, URL-encoded, JSON-escaped."""

import base64
import json
from urllib.parse import quote, quote_plus

PASSWORD_CANARY = "cAnary-Pw-7319-zz"
JSON_KEY_CANARY = "cAnary-KEY-5521-qq"
JSON_KEY = json.dumps({
    "type": "service_account",
    "project_id": "canary-project",
    "private_key_id": "0123456789abcdef",
    "private_key": f"-----BEGIN PRIVATE KEY-----\\n{JSON_KEY_CANARY}\\n-----END PRIVATE KEY-----\\n",
    "client_email": "replicator@canary-project.iam.gserviceaccount.com",
    "client_id": "1234567890",
})


def leak_forms(secret: str) -> list[str]:
    forms = {secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1]}
    for user in ("", "ci:", "_json_key:"):
        forms.add(base64.b64encode(f"{user}{secret}".encode()).decode().rstrip("="))
    return sorted(forms)


def find_canaries(text: str | bytes, *secrets: str) -> list[str]:
    """Every encoded canary form found in `text` (empty when nothing leaked)."""
    haystack = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return [form for secret in secrets for form in leak_forms(secret) if form in haystack]
