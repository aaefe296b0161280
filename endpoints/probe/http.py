"""The one outbound HTTP seam. Providers never call `requests` or urllib3 directly.

What every request gets here:
- the address policy on the address actually connected (see policy.py), after
  ENDPOINT_CONNECT_TO, for the first hop and every redirect; through a proxy, on what the
  host name resolves to here (the proxy resolves it again, but a metadata name is refused);
- connect/read timeouts and the whole check's deadline on every socket operation
  (sockets.py), so a black hole or a slow drip ends on time;
- bodies read raw and capped at 64 KiB; gzip/deflate decoded here, capped too;
- at most 3 redirects, only to http(s), never carrying credentials to another origin;
- the system CAs plus the endpoint's CA Certificate (tls.py), or no verification at all;
- proxies only from HTTPS_PROXY / HTTP_PROXY / NO_PROXY; no .netrc;
- error excerpts with every sensitive value of the check blanked, even half of one.

It drives urllib3 (the engine under requests) directly: requests would re-apply its own
CA bundle and content decoding, and a custom connection class is where the policy has to
sit to see the address that is really dialled.
"""

from __future__ import annotations

import base64
import html
import json
import re
import socket
import ssl
import time
import zlib
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, urlencode, urljoin, urlsplit
from urllib.request import getproxies_environment, proxy_bypass_environment

import urllib3
from django.conf import settings
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    LocationValueError,
    NewConnectionError,
    ProtocolError,
    ProxyError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.util.wait import wait_for_read

import harborreg
from endpoints.probe import policy, tls
from endpoints.probe.errors import CleartextRefused, OutboundError
from endpoints.probe.result import Category
from endpoints.probe.sockets import Clock, DeadlineSocket, DeadlineSSLContext, open_connection

__all__ = [
    "BODY_CAP", "MAX_REDIRECTS", "REDACTED", "USER_AGENT", "OutboundClient", "OutboundError",
    "Response", "deadline_error", "encoded_forms", "origin_of", "proxy_for", "sent_values",
]

BODY_CAP = 64 * 1024
MAX_REDIRECTS = 3
CROSS_ORIGIN_SAFE_HEADERS = {"user-agent", "accept", "accept-language", "content-type"}
# Headers whose value is never a secret; any other one may carry a key (PRIVATE-TOKEN,
# X-API-KEY-SECRET, X-Amz-Security-Token ...), so its value is kept out of excerpts.
HARMLESS_HEADERS = CROSS_ORIGIN_SAFE_HEADERS | {"host", "accept-encoding", "content-length"}
REDACTED = "••••"
# A secret's first characters left by a cut are blanked from this length on: shorter ends
# match ordinary text too often to mean anything.
DANGLING_MIN = 4
USER_AGENT = f"harborreg/{harborreg.__version__}"
REDIRECT_CODES = (301, 302, 303, 307, 308)
DEFAULT_PORTS = {"http": 80, "https": 443}

Origin = tuple[str, str, int]


def origin_of(url: str) -> Origin:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or DEFAULT_PORTS.get(scheme, 0)


def deadline_error(clock: Clock, host: str) -> OutboundError:
    return OutboundError(
        Category.TIMEOUT,
        f"The whole test took longer than its {clock.total_s:g} s (ENDPOINT_TEST_DEADLINE, a "
        f"server setting) while waiting for {host}",
        f"The server {host} is too slow or stalls mid-answer: check its load and the network path, or ask "
        "the operator of this server to raise ENDPOINT_TEST_DEADLINE.",
    )


def encoded_forms(value: str) -> set[str]:
    """`value` as a remote may quote it back: plain, base64 (a Basic header, with or
    without padding, URL-safe), URL-encoded (a query or form: every common flavour, and
    twice), JSON-escaped (an echoed JSON body), HTML-escaped (an error page) and hex."""
    raw = value.encode()
    b64 = base64.b64encode(raw).decode()
    escaped = html.escape(value)
    return {
        value,
        b64, b64.rstrip("="), base64.urlsafe_b64encode(raw).decode().rstrip("="),
        quote(value, safe=""), quote(value, safe="/"), quote_plus(value),
        quote(quote(value, safe=""), safe=""),
        json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1],
        escaped, escaped.replace("&#x27;", "&#39;"), html.escape(value, quote=False),
        raw.hex(), raw.hex().upper(),
    }


def _printable(text: str) -> str:
    """Text as an excerpt shows it: no markup, no control characters, single spaces."""
    text = re.sub(r"<[^<>]*>", " ", text)  # spans cannot overlap: linear (S22)
    text = re.sub(r"[^\x20-\x7e•]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def _blank(text: str, values: list[str]) -> str:
    for value in values:  # longest first: "id:secret" before "secret"
        text = text.replace(value, REDACTED)
    return text


def _cut(text: str, limit: int, values: list[str]) -> str:
    """text[:limit], and if it then ends with the first characters of a sensitive value
    (the cut fell inside one, or the remote quoted only its start), those are blanked."""
    text = text[:limit]
    dangling = len(text)
    for value in values:
        head = value[:DANGLING_MIN]
        start = text.find(head, max(0, len(text) - len(value)))
        while start != -1 and not value.startswith(text[start:]):
            start = text.find(head, start + 1)
        if start != -1:  # the earliest start: the longest piece of this value
            dangling = min(dangling, start)
    return text if dangling == len(text) else text[:dangling] + REDACTED


@dataclass
class Response:
    status: int
    headers: Mapping[str, str]  # case-insensitive; repeated headers joined with ", "
    body: bytes  # at most BODY_CAP bytes, already decoded from gzip/deflate
    url: str
    truncated: bool = False
    # The check's secrets and tokens and whatever this request carried: a server that
    # echoes them back in an error page must not get them into an excerpt, not even cut
    # in half.
    sensitive: tuple[str, ...] = ()
    # The request carried credentials (an Authorization or other non-harmless header, or
    # strings in its body): the answer may echo them in a form nobody can foresee, so its
    # body is never quoted.
    credentialed: bool = False

    def json(self) -> Any:
        if self.truncated:
            return None  # a cut-off document is not JSON, whatever its first bytes say
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):  # a hostile nesting too
            return None

    def excerpt(self, limit: int = 160) -> str:
        """A short, printable excerpt of the body: never more than `limit` characters.

        Every sensitive value is blanked before any cut: blanking after it (the Probe's
        scrub of a step detail) finds only whole values, and a cut one would show its start.
        The answer to a request that carried credentials has no excerpt at all.
        """
        if self.credentialed:
            return ""
        forms = {form for value in self.sensitive for form in (value, _printable(value))}
        values = sorted((v for v in forms if len(v) >= DANGLING_MIN), key=len, reverse=True)
        text = _blank(self.body.decode("utf-8", "replace"), values)
        # Clean only a bounded slice: the excerpt needs no more.
        text = _printable(_cut(text, limit * 4, values))
        text = _blank(text, values)  # a value the clean-up joined again (line breaks, tags)
        return _cut(text, limit, values) + ("…" if len(text) > limit else "")


class Dialer:
    """Opens every TCP connection of one check: ENDPOINT_CONNECT_TO, our own resolution,
    the policy on every candidate address, then a connection to exactly that address."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._policy: policy.AddressPolicy | None = None
        self._rules: list[policy.ConnectRule] | None = None
        self._proxied: dict[str, list[policy.IPAddress] | None] = {}
        # Connections the pre-flight opened (and, for https, shook hands on), kept for the
        # first request to the same host and port instead of dialing again.
        self._spares: dict[tuple[str, int], socket.socket] = {}

    def keep_spare(self, host: str, port: int, sock: socket.socket) -> None:
        self.discard_spare(host, port)
        self._spares[(host.strip("[]").lower(), port)] = sock

    def take_spare(self, host: str, port: int) -> socket.socket | None:
        """The pre-flight's connection to host:port, unless the server has closed it (or
        sent something unasked) meanwhile."""
        sock = self._spares.pop((host.strip("[]").lower(), port), None)
        if sock is not None and _has_news(sock):
            sock.close()
            return None
        return sock

    def discard_spare(self, host: str, port: int) -> None:
        sock = self._spares.pop((host.strip("[]").lower(), port), None)
        if sock is not None:
            sock.close()

    def close(self) -> None:
        for sock in self._spares.values():
            sock.close()
        self._spares.clear()

    @property
    def policy(self) -> policy.AddressPolicy:
        if self._policy is None:
            self._policy = policy.AddressPolicy.from_settings()
        return self._policy

    def route(self, host: str, port: int) -> tuple[str, int, policy.ConnectRule | None]:
        if self._rules is None:
            self._rules = policy.connect_rules()
        return policy.route(host, port, self._rules)

    def resolve(self, host: str, port: int) -> list[policy.IPAddress]:
        if self.clock.expired():
            raise deadline_error(self.clock, host)
        return policy.resolve(host, port, min(self.clock.connect_s, self.clock.remaining()))

    def police(self, host: str, addresses: list[policy.IPAddress]) -> None:
        # Every answer must pass: a name that also points at a denied address is refused
        # rather than "the allowed one first", which a rebinding server could reorder.
        for address in addresses:
            self.policy.check(address, host)

    def connect(self, addresses: list[policy.IPAddress], port: int, host: str) -> DeadlineSocket:
        """The first address that accepts; the last failure explained when none does."""
        failure: OSError | None = None
        for address in addresses:
            try:
                return open_connection(address, port, self.clock)
            except OSError as exc:
                failure = exc
        named = policy.host_port(host, port)
        where = named if len(addresses) == 1 and str(addresses[0]) == host.strip("[]") else (
            f"{named} ({', '.join(str(a) for a in addresses)})"
        )
        if self.clock.expired():
            raise deadline_error(self.clock, host)
        if isinstance(failure, TimeoutError):
            raise OutboundError(
                Category.TIMEOUT,
                f"Connecting to {where} timed out after {self.clock.connect_s:g} s",
                f"Nothing answered at {named}: the host is down or a firewall drops the packets. "
                "Check the host and port in Endpoint URL; if this server must use a proxy, ask "
                "its operator to set HTTPS_PROXY (a server setting).",
            )
        if isinstance(failure, ConnectionRefusedError):
            raise OutboundError(
                Category.CONNECT,
                f"The connection to {where} was refused: nothing listens on port {port}",
                f"Check the port in Endpoint URL ({named}) and that the registry is "
                "running there.",
            )
        reason = failure.strerror if failure and failure.strerror else type(failure).__name__
        raise OutboundError(
            Category.CONNECT, f"Cannot connect to {where} ({reason})",
            f"Check that {policy.bracketed(host)} is reachable from this server (routes, firewalls, "
            "or the proxy in HTTPS_PROXY, a server setting).",
        )

    def open(self, host: str, port: int) -> socket.socket:
        """What a request's connection does: the pre-flight's connection if there is one,
        else route, resolve, police, connect."""
        spare = self.take_spare(host, port)
        if spare is not None:
            return spare
        connect_host, connect_port, _rule = self.route(host, port)
        addresses = self.resolve(connect_host, connect_port)
        self.police(connect_host, addresses)
        return self.connect(addresses, connect_port, connect_host)

    def open_proxy(self, host: str, port: int) -> DeadlineSocket:
        # The proxy is the operator's own configuration, so it is not policed; the proxy
        # is what reaches the registry (policed by police_proxied before each request).
        return self.connect(self.resolve(host, port), port, host)

    def police_proxied(self, host: str, port: int) -> list[policy.IPAddress] | None:
        """Police a host the proxy will connect to, by what it resolves to here.

        The proxy resolves the name again and we cannot see its answer, but a name that
        points at the metadata service here almost always does there too, so every local
        answer must pass. Returns the addresses, or None when this server cannot resolve
        the name (split-horizon DNS that only the proxy sees): then the proxy decides, as
        it would for any name. Looked up once per host and check (pre-flight and requests).
        """
        if host not in self._proxied:
            try:
                self._proxied[host] = self.resolve(host, port)  # an IP literal stands for itself
            except OutboundError:
                if self.clock.expired():
                    raise deadline_error(self.clock, host) from None
                self._proxied[host] = None  # no answer, or none in time
        addresses = self._proxied[host]
        if addresses is not None:
            self.police(host, addresses)
        return addresses


def _has_news(sock: socket.socket) -> bool:
    """Whether the server sent data or closed the connection since the pre-flight. A TLS
    1.3 server's session tickets arrive right after the handshake: they are read here and
    are no news (the connection is as good as new)."""
    if not wait_for_read(sock, timeout=0.0):
        return False
    if not isinstance(sock, ssl.SSLSocket):
        return True
    sock.setblocking(False)
    try:
        ssl.SSLSocket.read(sock, 1)  # the base method: no deadline arming (this must not wait)
    except ssl.SSLWantReadError:
        return False  # only TLS housekeeping (tickets) was waiting
    except OSError:
        return True
    finally:
        sock.setblocking(True)
    return True  # application data nobody asked for, or the end of the connection


class _Dialled:
    """urllib3 connections whose sockets come from the Dialer (policy, deadline)."""

    def __init__(self, *args: Any, dialer: Dialer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.dialer = dialer

    def _new_conn(self) -> DeadlineSocket:
        if self.proxy is not None:
            return self.dialer.open_proxy(self.host, self.port)
        return self.dialer.open(self.host, self.port)


class _HTTPConnection(_Dialled, HTTPConnection):
    pass


class _HTTPSConnection(_Dialled, HTTPSConnection):
    def connect(self) -> None:
        # The pre-flight's connection has already done its TLS handshake, with this
        # client's context (certificate and host name checked): use it as it is.
        spare = self.dialer.take_spare(self.host, self.port) if self.proxy is None else None
        if spare is None:
            super().connect()
            return
        self.sock = spare
        self.is_verified = spare.context.verify_mode == ssl.CERT_REQUIRED  # type: ignore[attr-defined]
        self._has_connected_to_proxy = False


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection

    def _validate_conn(self, conn: Any) -> None:
        # urllib3's InsecureRequestWarning would only repeat, in the server log, what the
        # verdict already says when Verify Remote Cert is off.
        HTTPConnectionPool._validate_conn(self, conn)
        if conn.is_closed:
            conn.connect()


class _DialerPools:
    """Pool managers whose connections dial through the check's Dialer."""

    dialer: Dialer

    def _new_pool(self, scheme: str, host: str, port: int,
                  request_context: dict[str, Any] | None = None) -> HTTPConnectionPool:
        pool = super()._new_pool(scheme, host, port, request_context)  # type: ignore[misc]
        pool.conn_kw["dialer"] = self.dialer
        return pool


class _PoolManager(_DialerPools, urllib3.PoolManager):
    def __init__(self, dialer: Dialer, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dialer = dialer
        self.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


class _ProxyManager(_DialerPools, urllib3.ProxyManager):
    def __init__(self, dialer: Dialer, proxy_url: str, **kwargs: Any) -> None:
        super().__init__(proxy_url, **kwargs)
        self.dialer = dialer
        self.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


def proxy_for(url: str) -> str | None:
    """HTTPS_PROXY / HTTP_PROXY for this URL unless NO_PROXY covers its host."""
    proxies = getproxies_environment()
    scheme, host, _port = origin_of(url)
    proxy = proxies.get(scheme)
    if not proxy or proxy_bypass_environment(host, proxies):
        return None
    return proxy if "://" in proxy else f"http://{proxy}"


def sent_values(headers: Mapping[str, str], body: bytes | None) -> set[str]:
    """What a request carried that may be a secret, whether or not the check registered it:
    every header value but the harmless ones (of `Scheme credential`, the credential, and
    the pair in a Basic header); every string in a JSON or form body (Docker Hub's login is
    {"identifier", "secret"})."""
    found: set[str] = set()
    for name, value in headers.items():
        if name.lower() in HARMLESS_HEADERS:
            continue
        scheme, _, credential = value.strip().partition(" ")
        found.add(credential.strip() or scheme)  # "Bearer ••••" still says what was sent
        if scheme.lower() == "basic":
            try:
                pair = base64.b64decode(credential, validate=True).decode()
            except (ValueError, UnicodeDecodeError):
                continue
            found |= {pair, pair.partition(":")[2]}
    found.update(_body_strings(headers, body))
    return {form for value in found if len(value) >= DANGLING_MIN for form in encoded_forms(value)}


def _body_strings(headers: Mapping[str, str], body: bytes | None) -> Iterator[str]:
    if not body:
        return
    text = body.decode("utf-8", "replace")
    try:
        document = json.loads(text)
    except ValueError:
        content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        if content_type.startswith("application/x-www-form-urlencoded"):
            yield from (value for _name, value in parse_qsl(text))
        return
    pending = [document]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            pending += item.values()
        elif isinstance(item, list):
            pending += item


def _encode_body(json_body: Any, data: Any) -> tuple[bytes | None, str | None]:
    if json_body is not None:
        return json.dumps(json_body).encode(), "application/json"
    if isinstance(data, Mapping):
        return urlencode(data).encode(), "application/x-www-form-urlencoded"
    if isinstance(data, str):
        return data.encode(), None
    return data, None


def _without(headers: dict[str, str], *names: str) -> dict[str, str]:
    lowered = {n.lower() for n in names}
    return {k: v for k, v in headers.items() if k.lower() not in lowered}


class OutboundClient:
    """HTTP for one check. `before_new_origin(url)` runs once per scheme+host+port, before
    the first connection to it (the engine's pre-flight steps)."""

    def __init__(self, *, verify: bool = True, ca_certificate: str = "",
                 deadline: float | None = None, deadline_s: float | None = None,
                 before_new_origin: Callable[[str], None] | None = None,
                 sensitive: Collection[str] = (), credentials_need_https: bool = False) -> None:
        """`deadline` is a time.monotonic() instant; `deadline_s` the check's length, for
        messages (both default to ENDPOINT_TEST_DEADLINE from now). `sensitive` is the
        check's live collection of secrets and tokens (the Probe's, which grows as tokens
        are issued), kept out of every excerpt in every form it holds. With
        `credentials_need_https` (an https endpoint), no request carrying credentials is
        sent over plain http, whatever host the check is talking to."""
        total = float(deadline_s or settings.ENDPOINT_TEST_DEADLINE)
        self.clock = Clock(
            deadline or time.monotonic() + total, total,
            float(settings.ENDPOINT_CONNECT_TIMEOUT), float(settings.ENDPOINT_READ_TIMEOUT),
        )
        self.verify = verify
        self.ca_certificate = ca_certificate if verify else ""
        self.dialer = Dialer(self.clock)
        self.before_new_origin = before_new_origin
        self.sensitive = sensitive
        self.credentials_need_https = credentials_need_https
        self._seen: set[Origin] = set()
        self._managers: dict[tuple[str | None, bool], urllib3.PoolManager] = {}
        self._context: DeadlineSSLContext | None = None

    @property
    def deadline(self) -> float:
        return self.clock.deadline

    def close(self) -> None:
        """Close every connection this client opened. A finished check holds no socket,
        and nothing here points back at the check (no cycle to wait for the GC)."""
        for manager in self._managers.values():
            manager.clear()
        self._managers.clear()
        self.dialer.close()
        self.before_new_origin = None

    @property
    def ssl_context(self) -> DeadlineSSLContext:
        if self._context is None:
            self._context = tls.shared_context(verify=self.verify, ca_pem=self.ca_certificate)
        return self._context

    def _manager(self, proxy: str | None, https: bool) -> urllib3.PoolManager:
        # Loading the system CA store costs ~50 ms, so plain-http checks never build it.
        key = (proxy, https)
        if key not in self._managers:
            options: dict[str, Any] = {"num_pools": 8}
            if https:
                options["ssl_context"] = self.ssl_context
            if proxy is None:
                self._managers[key] = _PoolManager(self.dialer, **options)
            else:
                parts = urlsplit(proxy)
                if parts.username:
                    options["proxy_headers"] = urllib3.make_headers(
                        proxy_basic_auth=f"{parts.username}:{parts.password or ''}"
                    )
                self._managers[key] = _ProxyManager(self.dialer, proxy, **options)
        return self._managers[key]

    def request(self, method: str, url: str, *, headers: dict[str, str] | None = None,
                auth: tuple[str, str] | None = None, json_body: Any = None,
                data: Any = None, operator_url: bool = False) -> Response:
        """One request with its redirects. Raises OutboundError; never returns a 3xx
        unless the redirect has no Location. `operator_url`: the URL comes from the
        server's own configuration (AWS_ENDPOINT_URL_ECR), so its scheme is the operator's
        choice, as HTTPS_PROXY's is."""
        sent: dict[str, str] = {"User-Agent": USER_AGENT, **(headers or {})}
        if auth is not None:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            sent["Authorization"] = f"Basic {token}"
        body, content_type = _encode_body(json_body, data)
        if content_type and not any(k.lower() == "content-type" for k in sent):
            sent["Content-Type"] = content_type
        start = url
        for _hop in range(MAX_REDIRECTS + 1):
            if not (operator_url and url == start):
                self._refuse_cleartext_credentials(url, sent, body)
            self._admit(url)
            response = self._send(method, url, sent, body)
            location = response.headers.get("Location")
            if response.status not in REDIRECT_CODES or not location:
                return response
            next_url = urljoin(url, location)
            scheme = urlsplit(next_url).scheme.lower()
            if scheme not in ("http", "https"):
                raise OutboundError(
                    Category.BLOCKED,
                    f"The server at {url} redirects to a {scheme or 'malformed'}: URL, which is never "
                    "followed",
                    "Only http and https redirects are followed: point Endpoint URL at the "
                    "registry itself.",
                )
            if body and response.status in (307, 308) and origin_of(next_url) != origin_of(url):
                # 307/308 repeat the body, which may be a login: it stays with its origin.
                where = "{}://{}:{}".format(*origin_of(next_url))
                raise OutboundError(
                    Category.BLOCKED,
                    f"The server at {url} redirects to {where} with HTTP {response.status}, which would "
                    "repeat the "
                    "request's body there: it was not re-sent",
                    f"A request body (it may carry credentials) never follows a redirect to another "
                    f"origin: check that {urlsplit(url).netloc} is the service's own address.",
                )
            if origin_of(next_url) != origin_of(url):
                # Credentials stay home: of the caller's headers only harmless ones follow
                # (an API key may travel in any header, e.g. X-API-KEY-SECRET).
                sent = {k: v for k, v in sent.items() if k.lower() in CROSS_ORIGIN_SAFE_HEADERS}
            if response.status == 303 or (response.status in (301, 302) and method == "POST"):
                method, body = "GET", None
                sent = _without(sent, "Content-Type")
            url = next_url
        raise OutboundError(
            Category.HTTP,
            f"more than {MAX_REDIRECTS} redirects starting at {start}",
            f"Point Endpoint URL at the registry's final address (the redirects end at {url}).",
        )

    def _refuse_cleartext_credentials(self, url: str, headers: dict[str, str],
                                      body: bytes | None) -> None:
        """The one place that keeps an https endpoint's credentials off plain http: token
        realms, provider API hosts and redirect targets alike."""
        if self.credentials_need_https and urlsplit(url).scheme.lower() == "http" and (
            sent_values(headers, body)
        ):
            host = urlsplit(url).netloc
            raise CleartextRefused(
                Category.BLOCKED,
                f"The server {host} is plain http while the endpoint is https; the credentials were not "
                "sent",
                f"The credentials of an https endpoint only travel over https: make {host} serve "
                "https, or check which address the remote names (its token realm or API URL).",
            )

    def _admit(self, url: str) -> None:
        """Scheme check, then the pre-flight of a new origin."""
        origin = origin_of(url)
        if origin[0] not in ("http", "https") or not origin[1]:
            raise OutboundError(
                Category.INVALID, f"{url} is not an http(s) URL",
                "Use an http:// or https:// URL.",
            )
        if self.clock.expired():
            raise deadline_error(self.clock, origin[1])
        if origin not in self._seen:
            self._seen.add(origin)
            if self.before_new_origin is not None:
                self.before_new_origin(url)

    def _send(self, method: str, url: str, headers: dict[str, str],
              body: bytes | None) -> Response:
        scheme, host, port = origin_of(url)
        proxy = proxy_for(url)
        if proxy:
            # The connection goes to the proxy, so the dialer never sees this host.
            self.dialer.police_proxied(host, port)
        try:
            raw = self._manager(proxy, scheme == "https").urlopen(
                method, url, body=body, headers=headers, redirect=False, retries=False,
                preload_content=False, decode_content=False,
                timeout=urllib3.Timeout(connect=self.clock.connect_s, read=self.clock.read_s),
            )
        except OutboundError:
            raise
        except HTTPError as exc:
            raise self._explain(exc, host, port, proxy) from None
        try:
            payload, truncated = self._read_capped(raw, host)
        finally:
            raw.release_conn()
        carried = sent_values(headers, body)
        return Response(raw.status, raw.headers, payload, url, truncated,
                        (*self.sensitive, *carried), credentialed=bool(carried))

    def _read_capped(self, raw: urllib3.BaseHTTPResponse, host: str) -> tuple[bytes, bool]:
        """At most BODY_CAP raw bytes; decoded gzip/deflate also capped (gzip bombs)."""
        buffer = bytearray()
        try:
            while len(buffer) <= BODY_CAP:
                chunk = raw.read(min(16384, BODY_CAP + 1 - len(buffer)), decode_content=False)
                if not chunk:
                    break
                buffer.extend(chunk)
        except (HTTPError, OSError):
            raw.close()
            if self.clock.expired():
                raise deadline_error(self.clock, host) from None
            raise OutboundError(
                Category.TIMEOUT, f"The server {host} stopped sending its answer",
                f"The server {host} is overloaded or the network drops the connection; check the registry "
                "and the network path.",
            ) from None
        truncated = len(buffer) > BODY_CAP
        if truncated:
            raw.close()  # do not drain the rest: that is the point of the cap
            del buffer[BODY_CAP:]
        encoding = raw.headers.get("Content-Encoding", "").strip().lower()
        if encoding in ("gzip", "x-gzip", "deflate"):
            decoder = zlib.decompressobj(zlib.MAX_WBITS | 32)  # gzip or zlib header
            try:
                decoded = decoder.decompress(bytes(buffer), BODY_CAP + 1)
            except zlib.error:
                return b"", True
            if len(decoded) > BODY_CAP or decoder.unconsumed_tail:
                return decoded[:BODY_CAP], True
            return decoded, truncated
        return bytes(buffer), truncated

    def _explain(self, exc: HTTPError, host: str, port: int, proxy: str | None) -> OutboundError:
        """A urllib3 failure in words. Built from the type and our own facts, never from
        the exception's text (which may quote the request)."""
        if self.clock.expired():
            return deadline_error(self.clock, host)
        where = policy.host_port(host, port)
        if isinstance(exc, SSLError):
            cause = _ssl_cause(exc)
            if cause is not None:
                return tls.explain_handshake_failure(cause, host, port, None, bool(self.ca_certificate))
            return OutboundError(
                Category.TLS, f"The TLS handshake with {where} failed", tls.CA_HINT
            )
        if isinstance(exc, ProxyError):
            return OutboundError(
                Category.CONNECT, f"The proxy {urlsplit(proxy or '').hostname} did not relay the "
                f"request to {where}",
                "Ask the operator of this server to check HTTPS_PROXY, HTTP_PROXY and NO_PROXY "
                "(server settings) and that the proxy allows this host.",
            )
        if isinstance(exc, ReadTimeoutError):
            return OutboundError(
                Category.TIMEOUT,
                f"The server at {where} accepted the connection but sent no answer within "
                f"{self.clock.read_s:g} s (ENDPOINT_READ_TIMEOUT, a server setting)",
                f"The service at {where} is stalled or is not an HTTP server: check the "
                "port in Endpoint URL and the registry's health.",
            )
        if isinstance(exc, ConnectTimeoutError):
            return OutboundError(
                Category.TIMEOUT, f"Connecting to {where} timed out",
                "Check the host, the port and firewalls; if this server must use a proxy, ask its "
                "operator to set HTTPS_PROXY (a server setting).",
            )
        if isinstance(exc, NewConnectionError):
            return OutboundError(
                Category.CONNECT, f"Cannot connect to {where}",
                "Check the host and port; if this server must use a proxy, ask its operator to "
                "set HTTPS_PROXY / HTTP_PROXY (server settings).",
            )
        if isinstance(exc, ProtocolError):
            return OutboundError(
                Category.CONNECT,
                f"The server at {where} closed the connection without an HTTP answer",
                f"Check that {where} is the registry's port and that the URL's scheme "
                "matches it (https to a plain-http port, or the other way round, looks like "
                "this).",
            )
        if isinstance(exc, LocationValueError):
            return OutboundError(
                Category.INVALID, f"The URL for {policy.bracketed(host)} cannot be used",
                "Check Endpoint URL.",
            )
        return OutboundError(
            Category.HTTP, f"The request to {where} failed ({type(exc).__name__})",
            "Check the registry's health and the network path.",
        )


def _ssl_cause(exc: BaseException) -> ssl.SSLError | None:
    """The ssl module's error inside urllib3's wrappers (cause, context or first arg)."""
    current: BaseException | None = exc
    for _depth in range(5):
        if current is None or isinstance(current, ssl.SSLError):
            return current
        first = current.args[0] if current.args else None
        current = current.__cause__ or (first if isinstance(first, BaseException) else None)
    return None
