"""Input normalization shared by the model, the forms, the admin and the CLI."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography import x509
from django.core.exceptions import ValidationError

HOST_RE = re.compile(r"^[A-Za-z0-9._-]+$")  # linear: one class, anchored (bench/redos.py)
PEM_BEGIN = "-----BEGIN CERTIFICATE-----"
PEM_END = "-----END CERTIFICATE-----"
# Field caps: a CA bundle of a few dozen certificates, a service-account key (~2.3 KB) many
# times over. Checked before any parsing, so no input costs more than a bounded scan.
CA_CERTIFICATE_MAX_CHARS = 64 * 1024
ACCESS_SECRET_MAX_CHARS = 64 * 1024


def text_length(value: str) -> int:
    """Characters as a browser's maxlength counts them: a pasted CRLF is one line break."""
    return len(value) - value.count("\r\n")


def check_ca_certificate_length(value: str) -> None:
    if (length := text_length(value)) > CA_CERTIFICATE_MAX_CHARS:
        raise ValidationError(
            f"CA Certificate is too long: {length:,} characters, at most "
            f"{CA_CERTIFICATE_MAX_CHARS:,} (64 KiB). Paste only the CA certificate(s) that issued "
            "this endpoint's certificate, not a whole CA bundle.",
            code="max_length",
        )


def check_access_secret_length(value: str) -> None:
    if (length := text_length(value)) > ACCESS_SECRET_MAX_CHARS:
        raise ValidationError(
            f"Access Secret is too long: {length:,} characters, at most "
            f"{ACCESS_SECRET_MAX_CHARS:,} (64 KiB). Paste only the password, token or key itself "
            "(a service-account JSON key is about 2,300 characters).",
            code="max_length",
        )


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
    path = parts.path.rstrip("/")  # urlsplit removed any newline, so this is all "/+$" did
    return f"{scheme}://{netloc}{path}"


def split_pem_certificates(text: str) -> tuple[list[str], str]:
    """The CERTIFICATE blocks of `text` (markers included) and the text outside them.

    One pass of str.find over non-overlapping spans, so the cost is linear in the length
    (the regular expression this replaces retried a run of whitespace from every position).
    A block without its END line runs to the end of the text.
    """
    blocks: list[str] = []
    outside: list[str] = []
    position = 0
    while (start := text.find(PEM_BEGIN, position)) != -1:
        outside.append(text[position:start])
        end = text.find(PEM_END, start + len(PEM_BEGIN))
        position = len(text) if end == -1 else end + len(PEM_END)
        blocks.append(text[start:position])
    outside.append(text[position:])
    return blocks, "".join(outside)


def read_pem_certificate(block: str) -> x509.Certificate:
    """One block from split_pem_certificates. Raises ValueError when it is damaged."""
    if not block.endswith(PEM_END):
        raise ValueError("no END line")
    body = "".join(block[len(PEM_BEGIN):-len(PEM_END)].split())  # any line ends or indentation
    return x509.load_der_x509_certificate(base64.b64decode(body, validate=True))


def validate_ca_certificate(pem: str) -> list[x509.Certificate]:
    """One or more PEM CERTIFICATE blocks, each a parsable X.509 certificate."""
    check_ca_certificate_length(pem)
    blocks, outside = split_pem_certificates(pem)
    if not blocks:
        raise ValidationError(
            "Paste a PEM certificate: the text between “-----BEGIN CERTIFICATE-----” and "
            "“-----END CERTIFICATE-----”, both lines included."
        )
    certificates = []
    for index, block in enumerate(blocks, start=1):
        try:
            certificates.append(read_pem_certificate(block))
        except ValueError:  # binascii.Error included
            raise ValidationError(
                f"Certificate {index} in CA Certificate cannot be read: its text is damaged or "
                "incomplete. Copy it again, from “-----BEGIN CERTIFICATE-----” to "
                "“-----END CERTIFICATE-----”, both lines included."
            ) from None
    if "-----BEGIN" in outside:
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


@dataclass(frozen=True)
class SecretReentry:
    """Why a stored secret must be typed again: said when saving (`message`) and in the
    warning of a test that went without it (`cause`)."""

    message: str
    cause: str


URL_CHANGED = SecretReentry(URL_CHANGED_MESSAGE, "the Endpoint URL changed")
VERIFY_TURNED_OFF = SecretReentry(
    "Verify Remote Cert was turned off: enter the Access Secret again or clear it.",
    "Verify Remote Cert was turned off",
)
CA_CHANGED = SecretReentry(
    "The CA Certificate changed: enter the Access Secret again or clear it.",
    "the CA Certificate changed",
)


def normalized_pem(text: str) -> str:
    """A CA Certificate as compared for a change: line ends, indentation and blank lines
    do not count, so saving the same PEM again is no change."""
    return "\n".join(line.strip() for line in (text or "").splitlines() if line.strip())


def secret_reentry_reason(stored_url: str, stored_verify: bool, stored_ca: str,
                          new_url: str, new_verify: bool, new_ca: str) -> SecretReentry | None:
    """Why a stored secret may not follow an edit, or None when it may.

    The secret was saved for one origin and one TLS trust. Another origin, or a looser
    trust (verification off, or a CA it was not saved with), could hand it to an impostor
    at the same host and port. Tightening (verify on again, the CA removed) is no reason.
    """
    if origin_changed(stored_url, new_url):
        return URL_CHANGED
    if stored_verify and not new_verify:
        return VERIFY_TURNED_OFF
    new_pem = normalized_pem(new_ca)
    if stored_verify and new_verify and new_pem and new_pem != normalized_pem(stored_ca):
        return CA_CHANGED
    return None


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
