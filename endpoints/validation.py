"""Input normalization shared by the model, the forms, the admin and the CLI."""

from __future__ import annotations

import base64
import encodings.idna
import ipaddress
import re
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from cryptography import x509
from django.core.exceptions import ValidationError

NOT_HOST_CHAR_RE = re.compile(r"[^a-z0-9._-]")  # one character class: linear (bench/redos.py)
# Characters IDNA 2003 (Python's codec) and IDNA 2008 (browsers) convert differently.
IDNA_AMBIGUOUS = frozenset("ßς")
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


@dataclass(frozen=True)
class EndpointUrl:
    """A normalized Endpoint URL and what normalizing it changed, in the user's words
    (shown next to the field, like "https:// was assumed")."""

    url: str
    notes: list[str] = field(default_factory=list)


def normalize_endpoint_url(value: str) -> str:
    """Trim, assume https:// when no scheme is given, drop trailing slashes and a final /v2,
    write an IDN host name in its IDNA (punycode) form.

    Rejects (never silently drops) user info, query and fragment; a host name or port
    that cannot be right is refused with a message naming the bad part. Keeps a path prefix.
    """
    return read_endpoint_url(value).url


def read_endpoint_url(value: str) -> EndpointUrl:
    """normalize_endpoint_url, with the notes saying what was changed."""
    raw = (value or "").strip()
    if not raw:
        raise ValidationError("Endpoint URL is required.")
    notes: list[str] = []
    assumed_https = "://" not in raw
    if assumed_https:
        raw = "https://" + raw
    scheme, _, rest = raw.partition("://")
    if scheme.lower() not in ("http", "https"):
        raise ValidationError(f"The URL scheme must be http or https, not “{scheme}”.")
    netloc = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    if "@" in netloc:
        raise ValidationError(
            "Remove the user name and password from the URL: put them in Access ID and "
            "Access Secret instead."
        )
    host, port, host_note = _read_netloc(netloc)
    try:
        parts = urlsplit(f"{scheme.lower()}://{'x' + rest[len(netloc):]}")
    except ValueError:
        raise ValidationError("This is not a valid URL: use https://host[:port].") from None
    if parts.query or raw.rstrip("/").endswith("?"):
        raise ValidationError("Remove the query string (the part from “?”) from the URL.")
    if parts.fragment or "#" in raw:
        raise ValidationError("Remove the fragment (the part from “#”) from the URL.")
    path = parts.path.rstrip("/")  # urlsplit removed any newline, so this is all "/+$" did
    netloc = host if port is None else f"{host}:{port}"
    if path.lower().endswith("/v2"):
        path = path[:-3].rstrip("/")
        url = f"{scheme.lower()}://{netloc}{path}"
        notes.append(f"/v2 was removed from the end of the URL: the check adds /v2/ itself ({url}).")
    url = f"{scheme.lower()}://{netloc}{path}"
    if host_note:
        notes.insert(0, host_note)
    if assumed_https:
        notes.insert(0, f"No scheme was given: https:// was assumed ({url}).")
    return EndpointUrl(url, notes)


def _read_netloc(netloc: str) -> tuple[str, int | None, str]:
    """(host as the URL writes it, port or None, a note) from `host[:port]`."""
    if netloc.startswith("["):
        inside, bracket, after = netloc[1:].partition("]")
        if not bracket:
            raise ValidationError(
                f"The IPv6 address in “{netloc}” has no closing “]”: write it as "
                "https://[2001:db8::1]:5000."
            )
        try:
            address = ipaddress.IPv6Address(inside)
        except ValueError:
            raise ValidationError(
                f"“{inside}” is not an IPv6 address: write one as https://[2001:db8::1]:5000."
            ) from None
        if after and not after.startswith(":"):
            raise ValidationError(f"Remove “{after}” after the IPv6 address “[{inside}]”.")
        host, port_text, note = f"[{address.compressed}]", after[1:] if after else None, ""
    else:
        if netloc.count(":") > 1:
            raise ValidationError(
                f"Put the IPv6 address in “{netloc}” in brackets: https://[2001:db8::1]:5000."
            )
        name, _colon, port_text = netloc.partition(":")
        port_text = port_text or None  # "host:" has no port, as urlsplit reads it
        host, note = check_host_name(name)
    if port_text is None:
        return host, None, note
    if not port_text.isascii() or not port_text.isdigit():
        raise ValidationError(f"The port “{port_text}” is not a number: use https://host:5000.")
    port = int(port_text)
    if not 1 <= port <= 65535:
        raise ValidationError(f"The port {port_text} is out of range: a port is between 1 and 65535.")
    return host, port, note


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def check_host_name(typed: str) -> tuple[str, str]:
    """The host name as connections use it (lower case, IDNA), and a note when it had to
    be converted. Raises a ValidationError naming the part that cannot be a host name."""
    host = typed.lower()
    if not host:
        raise ValidationError("The URL has no host name: use https://host[:port].")
    if host.endswith(".") and not host.endswith(".."):
        host = host[:-1]  # the root's dot: the same name
    shown = _shorten(host, 60)
    if len(host) > 253:  # IDNA never makes a name shorter: refused before reading it all
        raise ValidationError(
            f"The host name “{_shorten(host)}” has {len(host):,} characters: a host name has at "
            "most 253."
        )
    for char in host if not host.isascii() else (m[0] for m in NOT_HOST_CHAR_RE.finditer(host)):
        if char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Zs", "Zl", "Zp"):
            what = "a space" if char == " " else f"an invisible character (U+{ord(char):04X})"
            raise ValidationError(
                f"The host name “{shown}” contains {what}: type it again without it."
            )
    if host.startswith(".") or host.endswith(".") or ".." in host:
        where = "starts with a dot" if host.startswith(".") else (
            "ends with two dots" if host.endswith(".") else "has two dots in a row"
        )
        raise ValidationError(
            f"The host name “{shown}” {where}: each part between dots needs at least one "
            "character. Remove the extra dot."
        )
    if host.replace(".", "").isdigit():
        _check_numeric_address(host)
    labels = [_check_label(label, shown) for label in host.split(".")]
    encoded = ".".join(labels)
    if len(encoded) > 253:
        raise ValidationError(
            f"The host name “{_shorten(host)}” has {len(encoded)} characters: a host name has at "
            "most 253."
        )
    if encoded == host:
        return host, ""
    return encoded, f"The host name {host} was converted to its IDNA (punycode) form: {encoded}."


def _check_numeric_address(host: str) -> None:
    """Digits and dots only: an IPv4 address, possibly in a form inet_aton(3) reads (127.1,
    2130706433, 0177.0.0.1), which the address policy reads the same way."""
    parts = host.split(".")
    # The last part fills the bytes the others leave: 32, 24, 16 or 8 bits.
    limits = {1: [2**32], 2: [256, 2**24], 3: [256, 256, 2**16], 4: [256] * 4}.get(len(parts))
    valid = limits is not None
    for part, limit in zip(parts, limits or [], strict=False):
        octal = len(part) > 1 and part.startswith("0")
        if octal and set(part) - set("01234567"):
            valid = False
            break
        if int(part, 8 if octal else 10) >= limit:
            valid = False
    if not valid:
        raise ValidationError(
            f"“{host}” is not an IPv4 address: it has four numbers between 0 and 255, e.g. "
            "192.168.0.10."
        )


def _check_label(label: str, host: str) -> str:
    """One part of a host name, in its ASCII form."""
    if label.isascii():
        if bad := NOT_HOST_CHAR_RE.search(label):
            raise ValidationError(
                f"“{bad[0]}” cannot appear in a host name (“{host}”): use letters, digits, "
                "hyphens and dots."
            )
        ascii_label = label
    else:
        if any(char in IDNA_AMBIGUOUS for char in label):
            raise ValidationError(
                f"The part “{_shorten(label)}” of the host name contains “ß” or “ς”, which older "
                "and newer IDNA rules convert differently: enter its punycode form (xn--…), as "
                "your DNS lists it."
            )
        try:
            ascii_label = encodings.idna.ToASCII(label).decode("ascii")
        except UnicodeError as exc:
            too_long = "too long" in str(exc)
            raise ValidationError(
                f"The part “{_shorten(label)}” of the host name has more than 63 characters in "
                "its IDNA (punycode) form: each part between dots may have at most 63."
                if too_long else
                f"The part “{_shorten(label)}” of the host name cannot be written in IDNA: "
                "check it for symbols, or enter its punycode form (xn--…)."
            ) from None
    if len(ascii_label) > 63:
        raise ValidationError(
            f"The part “{_shorten(ascii_label, 20)}” of the host name has {len(ascii_label)} "
            "characters: each part between dots may have at most 63."
        )
    if ascii_label.startswith("-") or ascii_label.endswith("-"):
        end = "starts" if ascii_label.startswith("-") else "ends"
        raise ValidationError(
            f"The part “{_shorten(ascii_label)}” of the host name {end} with a hyphen, which a "
            "host name cannot: check it for a typo."
        )
    if ascii_label.startswith("xn--"):
        try:
            decoded = ascii_label[4:].encode("ascii").decode("punycode")
            valid = encodings.idna.ToASCII(decoded).decode("ascii") == ascii_label
        except UnicodeError:
            valid = False
        if not valid:
            raise ValidationError(
                f"The part “{_shorten(ascii_label)}” of the host name is not valid punycode: "
                "check it for a typo, or type the name in its own letters."
            )
    return ascii_label


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
