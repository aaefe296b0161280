"""Input normalization shared by the model, the forms, the admin and the CLI."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from cryptography import x509
from django.core.exceptions import ValidationError

PEM_CERT_RE = re.compile(
    r"-----BEGIN CERTIFICATE-----\s+([A-Za-z0-9+/=\s]+?)-----END CERTIFICATE-----"
)
HOST_RE = re.compile(r"^[A-Za-z0-9._-]+$")


def normalize_endpoint_url(value: str) -> str:
    """Trim, assume https:// when no scheme is given, drop trailing slashes.

    Rejects (never silently drops) user info, query and fragment. Keeps a path prefix.
    """
    raw = (value or "").strip()
    if not raw:
        raise ValidationError("Endpoint URL is required.")
    if "://" not in raw:
        raw = "https://" + raw
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError as exc:
        raise ValidationError(f"This is not a valid URL ({exc}): use https://host[:port].") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValidationError(
            f"The URL scheme must be http or https, not “{parts.scheme}”."
        )
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ValidationError(
            "Remove the user name and password from the URL: put them in Access ID and "
            "Access Secret instead."
        )
    if parts.query or raw.rstrip("/").endswith("?"):
        raise ValidationError("Remove the query string (the part from “?”) from the URL.")
    if parts.fragment or "#" in raw:
        raise ValidationError("Remove the fragment (the part from “#”) from the URL.")
    host = (parts.hostname or "").lower()
    if not host:
        raise ValidationError("The URL has no host name: use https://host[:port].")
    if ":" in host:  # IPv6 literal
        netloc_host = f"[{host}]"
    elif HOST_RE.match(host):
        netloc_host = host
    else:
        raise ValidationError(f"“{host}” is not a valid host name.")
    if port is not None and port == 0:
        raise ValidationError("The port must be between 1 and 65535.")
    netloc = netloc_host if port is None else f"{netloc_host}:{port}"
    path = re.sub(r"/+$", "", parts.path)
    return f"{scheme}://{netloc}{path}"


def validate_ca_certificate(pem: str) -> list[x509.Certificate]:
    """One or more PEM CERTIFICATE blocks, each a parsable X.509 certificate."""
    blocks = PEM_CERT_RE.findall(pem)
    if not blocks:
        raise ValidationError(
            "Paste a PEM certificate: the text between “-----BEGIN CERTIFICATE-----” and "
            "“-----END CERTIFICATE-----”, both lines included."
        )
    certificates = []
    for index, body in enumerate(blocks, start=1):
        block = f"-----BEGIN CERTIFICATE-----\n{body.strip()}\n-----END CERTIFICATE-----\n"
        try:
            certificates.append(x509.load_pem_x509_certificate(block.encode()))
        except ValueError:
            raise ValidationError(
                f"Certificate {index} in CA Certificate cannot be read: check that it was "
                "copied completely."
            ) from None
    leftover = PEM_CERT_RE.sub("", pem).strip()
    if "-----BEGIN" in leftover:
        raise ValidationError(
            "CA Certificate accepts only CERTIFICATE blocks; remove any private key or other "
            "block."
        )
    return certificates


URL_CHANGED_MESSAGE = "The endpoint URL changed: enter the Access Secret again or clear it."
DEFAULT_PORTS = {"http": 80, "https": 443}


def url_origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of a normalized URL; the default port is made explicit."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or DEFAULT_PORTS.get(scheme)


def origin_changed(stored_url: str, new_url: str) -> bool:
    """Whether stored credentials would go to another scheme, host or port."""
    try:
        return url_origin(normalize_endpoint_url(stored_url)) != url_origin(normalize_endpoint_url(new_url))
    except ValidationError:
        return True


def describe_certificates(pem: str) -> list[str]:
    """One line per CA certificate: subject, issuer and expiry (empty when unreadable)."""
    try:
        certificates = validate_ca_certificate(pem)
    except ValidationError:
        return []
    lines = []
    for cert in certificates:
        expiry = cert.not_valid_after_utc
        lines.append(
            f"{cert.subject.rfc4514_string()} — issued by {cert.issuer.rfc4514_string()}, "
            f"valid until {expiry:%Y-%m-%d}"
        )
    return lines
