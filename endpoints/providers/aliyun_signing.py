"""Alibaba Cloud OpenAPI request signatures, version 1.0 (HMAC-SHA1), as Alibaba documents
them for its two API styles:

- ROA (RESTful, e.g. ACR 2016-06-07 `GET /tokens`): an `Authorization: acs <AccessKeyId>:
  <signature>` header over the method, Accept, Content-MD5, Content-Type, Date, the x-acs-*
  headers and the resource;
- RPC (query, e.g. ACR Enterprise 2018-12-01 `?Action=GetAuthorizationToken`): a
  `Signature` parameter over the sorted, percent-encoded query, keyed with secret + "&".

Pure functions: no network, no Django; the secret never leaves this module except as an HMAC.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import formatdate
from urllib.parse import quote


def percent_encode(value: str) -> str:
    """RFC 3986: everything but A-Z a-z 0-9 - _ . ~ as UTF-8 %XX (a space is %20)."""
    return quote(value, safe="~")


def hmac_sha1(key: str, text: str) -> str:
    digest = hmac.new(key.encode(), text.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def new_nonce() -> str:
    return uuid.uuid4().hex


def roa_headers(method: str, resource: str, access_key_id: str, secret: str, *, version: str,
                accept: str = "application/json", date: str | None = None,
                nonce: str | None = None) -> dict[str, str]:
    """The headers of a signed ROA request for `resource` (path plus sorted query)."""
    headers = {
        "Accept": accept,
        "Date": date or formatdate(usegmt=True),
        "x-acs-version": version,
        "x-acs-signature-method": "HMAC-SHA1",
        "x-acs-signature-version": "1.0",
        "x-acs-signature-nonce": nonce or new_nonce(),
    }
    acs = sorted((name.lower(), value) for name, value in headers.items()
                 if name.lower().startswith("x-acs-"))
    canonical_headers = "".join(f"{name}:{value}\n" for name, value in acs)
    # Content-MD5 and Content-Type are empty: these requests have no body.
    string_to_sign = f"{method}\n{accept}\n\n\n{headers['Date']}\n{canonical_headers}{resource}"
    headers["Authorization"] = f"acs {access_key_id}:{hmac_sha1(secret, string_to_sign)}"
    return headers


def rpc_signature(method: str, params: Mapping[str, str], secret: str) -> str:
    canonical = "&".join(
        f"{percent_encode(name)}={percent_encode(value)}" for name, value in sorted(params.items())
    )
    string_to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"
    return hmac_sha1(secret + "&", string_to_sign)


def rpc_query(method: str, params: Mapping[str, str], access_key_id: str, secret: str, *,
              version: str, timestamp: str | None = None, nonce: str | None = None) -> str:
    """The signed query string of an RPC request: `params` plus the common parameters."""
    signed = {
        **params,
        "Format": "JSON",
        "Version": version,
        "AccessKeyId": access_key_id,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "SignatureNonce": nonce or new_nonce(),
        "Timestamp": timestamp or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    signed["Signature"] = rpc_signature(method, signed, secret)
    return "&".join(f"{percent_encode(name)}={percent_encode(value)}" for name, value in signed.items())
