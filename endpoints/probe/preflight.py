"""The steps before the first request to a host: DNS, Address policy, TCP connect, TLS.

They run once per scheme+host+port in a check (the seam calls them for the endpoint, its
token realm and any redirect target), so the admin sees which layer fails and, for TLS,
what the certificate says and which CA vouched for it.
"""

from __future__ import annotations

import ssl
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.conf import settings

from endpoints.probe import policy, tls
from endpoints.probe.errors import OutboundError, StepFailed
from endpoints.probe.http import deadline_error, origin_of, proxy_for
from endpoints.probe.result import Category
from endpoints.probe.sockets import DeadlineSocket

if TYPE_CHECKING:
    from endpoints.probe.engine import Probe
    from endpoints.probe.http import OutboundClient


def run_preflight(probe: Probe, url: str) -> None:
    """DNS, Address policy, TCP connect and TLS steps for a host the check is about to use."""
    try:
        _run_preflight(probe, url)
    except StepFailed as failure:
        host = origin_of(url)[1]
        if host != (urlsplit(probe.target.url).hostname or "").lower():
            # Not the host the admin typed: the registry sent us there (token realm, redirect).
            probe.revise(failure, hint=(
                f"The host {policy.bracketed(host)} is not in Endpoint URL: the registry sent this server "
                f"there (its token service or a redirect). "
                f"{failure.hint.replace(' in Endpoint URL', '')}"
            ).strip())
        raise


def _run_preflight(probe: Probe, url: str) -> None:
    client = probe.http
    scheme, host, port = origin_of(url)
    proxy = proxy_for(url)
    if proxy:
        with probe.step("Address policy") as step:
            step.detail = _proxied_policy(client, host, port, urlsplit(proxy).hostname or proxy)
        return

    connect_host, connect_port, rule = client.dialer.route(host, port)
    mapping = (
        f" (ENDPOINT_CONNECT_TO “{rule.text}”, a server setting, sends {policy.host_port(host, port)} "
        f"to {policy.host_port(connect_host, connect_port)})"
        if rule else ""
    )
    literal = policy.literal_address(connect_host)
    if literal is None:
        with probe.step("DNS") as step:
            addresses = client.dialer.resolve(connect_host, connect_port)
            step.detail = f"{connect_host} → {', '.join(str(a) for a in addresses)}{mapping}"
            mapping = ""
    else:
        addresses = [literal]

    with probe.step("Address policy") as step:
        client.dialer.police(connect_host, addresses)
        shown = ", ".join(str(a) for a in addresses)
        if literal is not None and str(literal) != connect_host.strip("[]"):
            shown = f"{connect_host} means {literal}:"
        step.detail = f"{shown} allowed ({_rules(client)}){mapping}"

    with probe.step("TCP connect") as step:
        sock = client.dialer.connect(addresses, connect_port, connect_host)
        peer_host, peer_port = sock.getpeername()[:2]
        step.detail = f"Connected to {policy.host_port(peer_host, peer_port)}"

    if scheme == "https":
        try:
            with probe.step("TLS") as step:
                step.detail, sock = _check_tls(probe, sock, host, port, addresses, connect_port)
        except BaseException:
            sock.close()
            raise
    # The first request to this origin goes over this very connection (no second dial).
    client.dialer.keep_spare(host, port, sock)


def _rules(client: OutboundClient) -> str:
    rules = "not in ENDPOINT_DENY_NETWORKS"
    if client.dialer.policy.allow:
        rules += ", inside ENDPOINT_ALLOW_NETWORKS"
    return rules + (", server settings" if client.dialer.policy.allow else ", a server setting")


def _proxied_policy(client: OutboundClient, host: str, port: int, proxy_host: str) -> str:
    """The Address policy for a host behind HTTPS_PROXY / HTTP_PROXY (see police_proxied)."""
    addresses = client.dialer.police_proxied(host, port)
    via = f"the proxy {proxy_host} (from HTTPS_PROXY / HTTP_PROXY, server settings)"
    if addresses is None:
        return (
            f"The host {policy.bracketed(host)} cannot be resolved here, so its address is not "
            "checked: it is reached "
            f"through {via}, which resolves it and decides (split-horizon DNS)"
        )
    if policy.literal_address(host) is not None:
        return f"{host} allowed ({_rules(client)}); reached through {via}"
    return (
        f"{host} → {', '.join(str(a) for a in addresses)} here, allowed ({_rules(client)}); "
        f"reached through {via}, which resolves it again"
    )


def _handshake(sock: DeadlineSocket, host: str, context: ssl.SSLContext) -> ssl.SSLSocket:
    return context.wrap_socket(sock, server_hostname=host.strip("[]"))


def _peer_certificate(client: OutboundClient, addresses: list[policy.IPAddress], port: int,
                      host: str, *, verify: bool) -> tls.CertificateInfo | None:
    """A second look at the certificate (unverified, or system store only); None on failure."""
    try:
        sock = client.dialer.connect(addresses, port, host)
        context = tls.shared_context(verify=verify)
        with _handshake(sock, host, context) as tls_sock:
            der = tls_sock.getpeercert(binary_form=True)
    except (OSError, OutboundError):
        return None
    return tls.CertificateInfo.from_der(der) if der else None


def _check_tls(probe: Probe, sock: DeadlineSocket, host: str, port: int,
               addresses: list[policy.IPAddress], connect_port: int) -> tuple[str, ssl.SSLSocket]:
    """The TLS step's detail, and the connection after the handshake (kept for the first
    request)."""
    client = probe.http
    try:
        tls_sock = _handshake(sock, host, client.ssl_context)
    except ssl.SSLError as exc:
        certificate = _peer_certificate(client, addresses, connect_port, host, verify=False)
        raise tls.explain_handshake_failure(
            exc, host, port, certificate, bool(client.ca_certificate)
        ) from None
    except OSError:
        if client.clock.expired():
            raise deadline_error(client.clock, host) from None
        raise OutboundError(
            Category.TIMEOUT,
            f"The server at {policy.host_port(host, port)} accepted the connection but did not "
            "complete a TLS handshake",
            f"Check that {policy.host_port(host, port)} serves HTTPS; a plain-http port wants "
            "http:// in Endpoint URL.",
        ) from None
    version = tls_sock.version() or "TLS"
    der = tls_sock.getpeercert(binary_form=True)
    if not der:
        return f"{version}; the server sent no certificate", tls_sock
    info = tls.CertificateInfo.from_der(der)

    if not client.verify:
        trust = "not verified (Verify Remote Cert is off)"
        probe.warn(
            f"Verify Remote Cert is off: the certificate of {host} is not checked, so anyone "
            "on the network path could answer in the registry's place."
        )
        if info.days_left < 0:
            probe.warn(f"The certificate of {host} expired on {info.expiry}.")
    else:
        trust = f"verified by {_verified_by(client, info, addresses, connect_port, host)}"
        _note_certificate(probe, host, info)
    if client.verify and 0 <= info.days_left <= settings.EXPIRY_WARNING_DAYS:
        probe.warn(
            f"The certificate of {host} expires on {info.expiry} (in {info.days_left} days): "
            "renew it before replication stops."
        )
    return f"{version}; {info.summary()}; {trust}", tls_sock


def _note_certificate(probe: Probe, host: str, info: tls.CertificateInfo) -> None:
    """The verified certificate that expires first, of every host the check talked to:
    replication stops when any of them expires."""
    known = probe.facts.get("certificate")
    not_after = info.not_after.isoformat()
    if known is None or not_after < known["not_after"]:
        probe.note_fact("certificate", {"host": host, "not_after": not_after})


def _verified_by(client: OutboundClient, info: tls.CertificateInfo,
                 addresses: list[policy.IPAddress], port: int, host: str) -> str:
    if not client.ca_certificate:
        return "the system CA store"
    issuer = tls.endpoint_ca_issuer(info.certificate, client.ca_certificate)
    if issuer:
        return f"the endpoint's CA Certificate ({issuer})"
    # Signed through an intermediate or by a public CA: only a handshake against the
    # system store alone tells which of the two trust sources vouched for it.
    if _peer_certificate(client, addresses, port, host, verify=True) is not None:
        return "the system CA store"
    return "the endpoint's CA Certificate (through an intermediate CA)"
