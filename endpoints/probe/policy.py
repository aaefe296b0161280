"""Where Test Connection may connect: the address policy, name resolution and
`ENDPOINT_CONNECT_TO`.

The policy is applied to the addresses actually connected to, after our own resolution, so
a name that resolves to an allowed address for the check and to a denied one a moment
later (DNS rebinding) is still refused.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import threading
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from endpoints.probe.errors import LocalResourceError, OutboundError
from endpoints.probe.result import Category

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Numeric IPv4 spellings inet_aton(3) accepts: 2130706433, 0x7f000001, 0177.1, 127.1 ...
NUMERIC_IPV4_RE = re.compile(r"^(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+)){0,3}$", re.IGNORECASE)
CONNECT_TO_RE = re.compile(r"^(\[[^\]]*\]|[^:\[\]]*):([0-9]*):(\[[^\]]*\]|[^:\[\]]*):([0-9]*)$")


def literal_address(host: str) -> IPAddress | None:
    """The address a host string denotes by itself, read the way the OS resolver reads it.

    Besides dotted quads and IPv6, glibc's getaddrinfo accepts every inet_aton form, so
    `2130706433` and `0x7f000001` are 127.0.0.1 and must be policed as such.
    """
    bare = host.strip("[]")
    try:
        return ipaddress.ip_address(bare)
    except ValueError:
        pass
    if NUMERIC_IPV4_RE.match(bare):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(bare))
        except OSError:
            return None
    return None


def bracketed(host: str) -> str:
    """A host as a URL writes it: an IPv6 address in brackets."""
    bare = host.strip("[]")
    return f"[{bare}]" if ":" in bare else bare


def host_port(host: str, port: int) -> str:
    """host:port as people write it: [::1]:5000, not ::1:5000."""
    return f"{bracketed(host)}:{port}"


def unwrap(address: IPAddress) -> IPAddress:
    """::ffff:169.254.169.254 is 169.254.169.254 on the wire."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


# Linux connects 0.0.0.0/8 and :: to this host's own listeners, as it does loopback.
THIS_HOST = (ipaddress.IPv4Network("0.0.0.0/8"), ipaddress.IPv6Network("::/128"))
LOOPBACK = (ipaddress.IPv4Address("127.0.0.1"), ipaddress.IPv6Address("::1"))


def is_this_host(address: IPAddress) -> bool:
    plain = unwrap(address)
    return any(plain.version == network.version and plain in network for network in THIS_HOST)


def destinations(address: IPAddress) -> set[IPAddress]:
    """What a connection to `address` reaches, for the policy: a mapped IPv4 address is
    that address; an unspecified one is loopback (either family, so one loopback entry in
    a list covers every spelling)."""
    if is_this_host(address):
        return set(LOOPBACK)
    return {unwrap(address)}


def getaddrinfo(host: str, port: int) -> list[tuple[Any, ...]]:
    """The system resolver (a seam of its own so tests can stand in for DNS)."""
    return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)


def resolve(host: str, port: int, timeout: float) -> list[IPAddress]:
    """Every address `host` resolves to, in the resolver's order, within `timeout` seconds.

    getaddrinfo has no timeout of its own (a dead DNS server costs 5 s per try and server),
    so it runs in a helper thread we stop waiting for at the deadline.
    """
    literal = literal_address(host)
    if literal is not None:
        return [literal]
    outcome: dict[str, Any] = {}

    def lookup() -> None:
        try:
            outcome["infos"] = getaddrinfo(host, port)
        except (OSError, UnicodeError, ValueError) as exc:  # UnicodeError: "a..b", a 64-letter part
            outcome["error"] = exc

    worker = threading.Thread(target=lookup, name=f"resolve {host}", daemon=True)
    try:
        worker.start()
    except RuntimeError:  # "can't start new thread": this server's limit, not the host's
        raise LocalResourceError("this server could not start a thread to resolve a name") from None
    worker.join(max(timeout, 0.0))
    if worker.is_alive():
        raise OutboundError(
            Category.TIMEOUT,
            f"Resolving {host} took longer than {timeout:.1f} s",
            "This server's DNS is slow or unreachable: ask the operator of this server to check "
            "its DNS servers (/etc/resolv.conf).",
        )
    if isinstance(outcome.get("error"), UnicodeError | ValueError) or not outcome:
        raise OutboundError(
            Category.DNS,
            f"The host name {host} cannot be looked up in DNS: it has an empty part between "
            "dots, or a part longer than 63 characters",
            f"Check the spelling of {host} in Endpoint URL.",
        )
    if "error" in outcome:
        reason = outcome["error"].strerror if isinstance(outcome["error"], socket.gaierror) else ""
        raise OutboundError(
            Category.DNS,
            f"The host name {host} cannot be resolved" + (f" ({reason})" if reason else ""),
            f"Check the spelling of {host} in Endpoint URL, and that this server's DNS knows "
            "it. A name only another network knows can be mapped with ENDPOINT_CONNECT_TO (a "
            "server setting: ask the operator of this server).",
        )
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _canon, sockaddr in outcome["infos"]:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise OutboundError(
            Category.DNS, f"The host name {host} has no address",
            f"Check the DNS records of {host}.",
        )
    return addresses


def _networks(setting: str) -> tuple[IPNetwork, ...]:
    networks = []
    for entry in getattr(settings, setting, None) or []:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise OutboundError(
                Category.INVALID,
                f"{setting} (a server setting) contains “{entry}”, which is not an IP network",
                f"Ask the operator of this server to fix {setting}: a comma-separated list such "
                "as 169.254.0.0/16,fe80::/10.",
            ) from None
    return tuple(networks)


@dataclass(frozen=True)
class AddressPolicy:
    """ENDPOINT_DENY_NETWORKS always wins; ENDPOINT_ALLOW_NETWORKS, when set, restricts."""

    deny: tuple[IPNetwork, ...]
    allow: tuple[IPNetwork, ...]

    @classmethod
    def from_settings(cls) -> AddressPolicy:
        return cls(_networks("ENDPOINT_DENY_NETWORKS"), _networks("ENDPOINT_ALLOW_NETWORKS"))

    def check(self, address: IPAddress, host: str) -> None:
        """Raise `blocked` unless `address` (which `host` resolved to) may be connected."""
        reached = destinations(address)
        forms = {address, unwrap(address), *reached}
        shown = str(unwrap(address))
        bare = host.strip("[]")
        if shown == bare:
            via = ""
        elif literal_address(bare) is not None:
            via = f"{bare} means {shown}, and "
        else:
            via = f"The host name {bare} resolves to {shown}, and "
        if is_this_host(address):
            via += f"{shown} is this host (connections to it reach loopback), so "
        for network in self.deny:
            matched = next((f for f in sorted(forms, key=str) if f.version == network.version
                            and f in network), None)
            if matched is not None:
                what = shown if matched in (address, unwrap(address)) else str(matched)
                raise OutboundError(
                    Category.BLOCKED,
                    f"{via}{what} is in ENDPOINT_DENY_NETWORKS ({network}, a server setting): no "
                    "connection was made",
                    f"This server never connects to {network} (the default list holds link-local "
                    f"and cloud metadata addresses). If the registry really lives at {shown}, ask "
                    f"the operator of this server to remove {network} from ENDPOINT_DENY_NETWORKS.",
                )
        if self.allow and not any(
            form.version == network.version and form in network
            for network in self.allow for form in reached
        ):
            allowed = ", ".join(str(n) for n in self.allow)
            what = "loopback" if is_this_host(address) else shown
            raise OutboundError(
                Category.BLOCKED,
                f"{via}{what} is outside ENDPOINT_ALLOW_NETWORKS ({allowed}, a server setting): "
                "no connection was made",
                f"Use a registry address inside the allowed networks, or ask the operator of this "
                f"server to add {what}'s network to ENDPOINT_ALLOW_NETWORKS.",
            )


@dataclass(frozen=True)
class ConnectRule:
    """One curl --connect-to entry; empty fields are wildcards (or "unchanged")."""

    host: str
    port: int | None
    to_host: str
    to_port: int | None
    text: str

    def matches(self, host: str, port: int) -> bool:
        return (not self.host or self.host == host.lower()) and self.port in (None, port)


def connect_rules() -> list[ConnectRule]:
    rules = []
    for entry in getattr(settings, "ENDPOINT_CONNECT_TO", None) or []:
        entry = entry.strip()
        match = CONNECT_TO_RE.match(entry)
        if not entry:
            continue
        if not match:
            raise OutboundError(
                Category.INVALID,
                f"ENDPOINT_CONNECT_TO (a server setting) contains “{entry}”, which is not "
                "HOST:PORT:CONNECT_HOST:CONNECT_PORT",
                "Ask the operator of this server to fix ENDPOINT_CONNECT_TO: comma-separated "
                "entries in curl's --connect-to syntax, e.g. "
                "registry-1.docker.io:443:mirror.internal:5000.",
            )
        host, port, to_host, to_port = match.groups()
        rules.append(ConnectRule(
            host.strip("[]").lower(), int(port) if port else None,
            to_host.strip("[]"), int(to_port) if to_port else None, entry,
        ))
    return rules


def route(host: str, port: int, rules: list[ConnectRule]) -> tuple[str, int, ConnectRule | None]:
    """Where to connect for host:port: the first matching ENDPOINT_CONNECT_TO rule, or itself.

    Only the TCP destination changes; SNI, the certificate check and the Host header keep
    the original name.
    """
    bare = host.strip("[]")
    for rule in rules:
        if rule.matches(bare, port):
            return rule.to_host or bare, rule.to_port or port, rule
    return bare, port, None
