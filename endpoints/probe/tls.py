"""TLS for the seam: the trust store of a check and plain words for certificate faults."""

from __future__ import annotations

import functools
import ssl
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.x509.oid import NameOID

from endpoints.probe.errors import OutboundError
from endpoints.probe.result import Category
from endpoints.probe.sockets import DeadlineSSLContext

EXPIRY_WARNING_DAYS = 30
CA_HINT = (
    "Paste the CA certificate that issued it (PEM) into CA Certificate; unticking Verify "
    "Remote Cert also works but no longer checks who answers."
)

# OpenSSL X509_V_ERR_* codes we explain in words.
CERT_NOT_YET_VALID, CERT_EXPIRED = 9, 10
SELF_SIGNED, SELF_SIGNED_IN_CHAIN, UNKNOWN_ISSUER, UNVERIFIABLE_LEAF = 18, 19, 20, 21
HOSTNAME_MISMATCH, IP_MISMATCH = 62, 64


def shared_context(*, verify: bool, ca_pem: str = "") -> DeadlineSSLContext:
    """The TLS context for this trust, built once and shared by every check and thread.

    Loading the system CA store costs ~20 ms of CPU, most of an HTTPS check; an SSLContext
    is safe to share, and the check's deadline travels with each socket instead. The
    system store is read once per process: restart the app after changing it.
    """
    # The lock: a pool of checks starting together would otherwise all miss the cache
    # and each load the store (44 contexts for one run at pool 64).
    with _building:
        return _context(verify, ca_pem.strip() if verify else "")


_building = threading.Lock()


@functools.lru_cache(maxsize=64)
def _context(verify: bool, ca_pem: str) -> DeadlineSSLContext:
    return build_context(verify=verify, ca_pem=ca_pem)


def forget_shared_contexts() -> None:
    """Read the system CA store again at the next check (after it changed)."""
    _context.cache_clear()


def build_context(*, verify: bool, ca_pem: str = "") -> DeadlineSSLContext:
    """The system CA store plus the endpoint's CA Certificate; nothing when verify is off.

    Built by hand rather than by `requests`: REQUESTS_CA_BUNDLE or certifi must not decide
    what "the system store" means, and the endpoint's CA adds to it, never replaces it.
    """
    context = DeadlineSSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    context.load_default_certs()
    if ca_pem.strip():
        try:
            context.load_verify_locations(cadata=ca_pem)
        except (ssl.SSLError, ValueError):
            raise OutboundError(
                Category.INVALID,
                "The CA Certificate cannot be loaded",
                "Paste the CA certificate again as PEM: the whole BEGIN/END CERTIFICATE block.",
            ) from None
    return context


def _name(name: x509.Name) -> str:
    common = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return f"CN={common[0].value}" if common else name.rfc4514_string() or "(empty name)"


@dataclass(frozen=True)
class CertificateInfo:
    subject: str
    issuer: str
    not_before: datetime
    not_after: datetime
    names: tuple[str, ...]  # what the certificate is valid for
    certificate: x509.Certificate

    @classmethod
    def from_der(cls, der: bytes) -> CertificateInfo:
        cert = x509.load_der_x509_certificate(der)
        try:
            san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            names = tuple(san.get_values_for_type(x509.DNSName)) + tuple(
                str(ip) for ip in san.get_values_for_type(x509.IPAddress)
            )
        except x509.ExtensionNotFound:
            names = tuple(
                str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
            )
        return cls(
            _name(cert.subject), _name(cert.issuer), cert.not_valid_before_utc,
            cert.not_valid_after_utc, names, cert,
        )

    @property
    def days_left(self) -> int:
        return (self.not_after - datetime.now(UTC)).days

    @property
    def expiry(self) -> str:
        return self.not_after.strftime("%Y-%m-%d")

    def summary(self) -> str:
        return f"certificate {self.subject}, issued by {self.issuer}, valid until {self.expiry}"


def endpoint_ca_issuer(cert: x509.Certificate, ca_pem: str) -> str | None:
    """The endpoint CA that signed `cert` directly, if one did."""
    if not ca_pem.strip():
        return None
    try:
        authorities = x509.load_pem_x509_certificates(ca_pem.encode())
    except ValueError:
        return None
    for authority in authorities:
        try:
            cert.verify_directly_issued_by(authority)
        except (InvalidSignature, ValueError, TypeError):
            continue
        return _name(authority.subject)
    return None


def explain_handshake_failure(exc: ssl.SSLError, host: str, port: int,
                              cert: CertificateInfo | None, ca_given: bool) -> OutboundError:
    """One failed handshake in the admin's words: what is wrong and what to change."""
    named = f"[{host}]" if ":" in host else host  # as a URL writes it
    where = f"{named}:{port}"
    if isinstance(exc, ssl.SSLCertVerificationError):
        code = exc.verify_code
        if code == CERT_EXPIRED:
            when = f" on {cert.expiry}" if cert else ""
            return OutboundError(
                Category.TLS, f"The certificate of {where} expired{when}",
                f"Renew the certificate of the registry at {named}; until then nothing can "
                "verify it.",
            )
        if code == CERT_NOT_YET_VALID:
            when = f" before {cert.not_before:%Y-%m-%d}" if cert else " yet"
            return OutboundError(
                Category.TLS, f"The certificate of {where} is not valid{when}",
                "Check the clocks of this server and of the registry.",
            )
        if code in (HOSTNAME_MISMATCH, IP_MISMATCH):
            valid_for = ", ".join(cert.names) if cert and cert.names else "other names"
            return OutboundError(
                Category.TLS, f"The certificate of {where} is not valid for {host}",
                f"It is valid for {valid_for}: use one of these names in Endpoint URL, or "
                f"reissue the certificate with {host} in its subjectAltName.",
            )
        if code in (SELF_SIGNED, SELF_SIGNED_IN_CHAIN, UNKNOWN_ISSUER, UNVERIFIABLE_LEAF):
            issuer = f" (issued by {cert.issuer})" if cert else ""
            pasted = (
                " The CA Certificate you entered is not the one that issued it." if ca_given else ""
            )
            self_signed = " is self-signed and" if code == SELF_SIGNED else ""
            return OutboundError(
                Category.TLS, f"The certificate of {where}{self_signed} is not trusted{issuer}",
                CA_HINT + pasted,
            )
        return OutboundError(
            Category.TLS,
            f"The certificate of {where} cannot be verified ({exc.verify_message})",
            CA_HINT,
        )
    reason = (exc.reason or exc.strerror or type(exc).__name__).replace("_", " ").lower()
    if "wrong version number" in reason or "record layer failure" in reason:
        return OutboundError(
            Category.TLS, f"The server at {where} does not speak TLS",
            f"If the registry at {named} serves plain http, write http:// in Endpoint URL; "
            "otherwise check the port.",
        )
    return OutboundError(
        Category.TLS, f"The TLS handshake with {where} failed ({reason})",
        f"Check that {where} serves HTTPS with TLS 1.2 or later.",
    )
