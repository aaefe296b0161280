"""Tencent Cloud API 3.0 request signatures (TC3-HMAC-SHA256), as Tencent documents them and
as its SDKs sign a JSON POST: the canonical request covers the method, `/`, an empty query,
the `content-type` and `host` headers and the SHA-256 of the exact body bytes; the key is
derived from "TC3" + SecretKey, the UTC date and the service.

Tencent's Python SDK exposes only the last step (`Sign.sign_tc3`) publicly, and builds the
rest inside its HTTP client, so this module signs; tests/test_signing_tencent.py checks it
against the reference's worked vectors and against the SDK's own request builder.

Pure functions: no network, no Django; the SecretKey never leaves this module except as an HMAC.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import UTC, datetime

TCR_API_HOST = "tcr.tencentcloudapi.com"
TCR_VERSION = "2019-09-24"
ALGORITHM = "TC3-HMAC-SHA256"
CONTENT_TYPE = "application/json"


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def tc3_signature(secret_key: str, date: str, service: str, string_to_sign: str) -> str:
    key = _hmac(_hmac(_hmac(("TC3" + secret_key).encode(), date), service), "tc3_request")
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


def tc3_authorization(secret_id: str, secret_key: str, *, host: str, content_type: str, body: bytes,
                      timestamp: int, service: str = "tcr") -> str:
    """The Authorization header of a POST to https://<host>/ carrying `body`."""
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    canonical_request = "\n".join([
        "POST", "/", "", f"content-type:{content_type}\nhost:{host}\n", "content-type;host",
        hashlib.sha256(body).hexdigest(),
    ])
    scope = f"{date}/{service}/tc3_request"
    string_to_sign = "\n".join([ALGORITHM, str(timestamp), scope,
                                hashlib.sha256(canonical_request.encode()).hexdigest()])
    signature = tc3_signature(secret_key, date, service, string_to_sign)
    return (f"{ALGORITHM} Credential={secret_id}/{scope}, SignedHeaders=content-type;host, "
            f"Signature={signature}")


def tc3_headers(secret_id: str, secret_key: str, *, action: str, region: str, body: bytes,
                timestamp: int | None = None, host: str = TCR_API_HOST, version: str = TCR_VERSION,
                language: str = "en-US") -> dict[str, str]:
    """Every header of a signed TCR API call (English error messages: X-TC-Language)."""
    stamp = int(time.time()) if timestamp is None else timestamp
    return {
        "Host": host,
        "Content-Type": CONTENT_TYPE,
        "X-TC-Action": action,
        "X-TC-Version": version,
        "X-TC-Timestamp": str(stamp),
        "X-TC-Region": region,
        "X-TC-Language": language,
        "Authorization": tc3_authorization(secret_id, secret_key, host=host, content_type=CONTENT_TYPE,
                                           body=body, timestamp=stamp),
    }
