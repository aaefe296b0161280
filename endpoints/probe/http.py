"""The one outbound HTTP seam. Providers never call `requests` directly.

Timeouts on connect and read, bounded by the whole test's deadline; bodies capped; at most
three redirects, never to a non-http(s) scheme and never with credentials to another host.
"""

from __future__ import annotations

import json
import re
import ssl
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_environ_proxies

import harborreg
from endpoints.probe.result import Category

BODY_CAP = 64 * 1024
MAX_REDIRECTS = 3
USER_AGENT = f"harborreg/{harborreg.__version__}"


class OutboundError(Exception):
    """A request could not be completed; category says which layer failed."""

    def __init__(self, category: str, detail: str, hint: str = "") -> None:
        super().__init__(detail)
        self.category = category
        self.detail = detail
        self.hint = hint


@dataclass
class Response:
    status: int
    headers: CaseInsensitiveDict
    body: bytes
    url: str
    truncated: bool = False

    def json(self) -> Any:
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None

    def excerpt(self, limit: int = 160) -> str:
        """A short, printable excerpt of the body: never more than `limit` characters."""
        text = self.body[: limit * 4].decode("utf-8", "replace")
        text = re.sub(r"<[^>]*>", " ", text)
        text = re.sub(r"[^\x20-\x7e]+", " ", text)
        text = re.sub(r"\s+", " ", text).strip()
        return text[:limit] + ("…" if len(text) > limit else "")


class _TLSAdapter(HTTPAdapter):
    def __init__(self, ssl_context: ssl.SSLContext | None) -> None:
        self._ssl_context = ssl_context
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        if self._ssl_context is not None:
            kwargs["ssl_context"] = self._ssl_context
        super().init_poolmanager(*args, **kwargs)


def build_ssl_context(verify: bool, ca_certificate: str) -> ssl.SSLContext | None:
    """System CAs plus the endpoint's CA; None means requests' default verification."""
    if not verify or not ca_certificate.strip():
        return None
    context = ssl.create_default_context()
    context.load_verify_locations(cadata=ca_certificate)
    return context


class OutboundClient:
    def __init__(self, *, verify: bool = True, ca_certificate: str = "",
                 deadline: float | None = None) -> None:
        self.verify = verify
        self.deadline = deadline or time.monotonic() + settings.ENDPOINT_TEST_DEADLINE
        self.session = requests.Session()
        self.session.trust_env = False  # no .netrc; proxies are read explicitly below
        self.session.headers["User-Agent"] = USER_AGENT
        adapter = _TLSAdapter(build_ssl_context(verify, ca_certificate))
        self.session.mount("https://", adapter)
        self.session.mount("http://", HTTPAdapter(max_retries=0))

    def _timeout(self) -> tuple[float, float]:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise OutboundError(
                Category.TIMEOUT,
                f"the test deadline of {settings.ENDPOINT_TEST_DEADLINE:g} s was reached",
                "The remote is too slow to answer; check its load and the network path.",
            )
        return (
            min(settings.ENDPOINT_CONNECT_TIMEOUT, remaining),
            min(settings.ENDPOINT_READ_TIMEOUT, remaining),
        )

    def request(self, method: str, url: str, *, headers: dict[str, str] | None = None,
                auth: tuple[str, str] | None = None, json_body: Any = None,
                data: Any = None) -> Response:
        origin = urlsplit(url)
        for _hop in range(MAX_REDIRECTS + 1):
            response = self._send(method, url, headers, auth, json_body, data)
            if response.status not in (301, 302, 303, 307, 308):
                return response
            location = response.headers.get("Location", "")
            next_url = urljoin(url, location)
            scheme = urlsplit(next_url).scheme.lower()
            if scheme not in ("http", "https"):
                raise OutboundError(
                    Category.HTTP,
                    f"{url} redirects to a {scheme or 'malformed'} URL, which is not followed",
                    "Point the Endpoint URL at the registry itself.",
                )
            if urlsplit(next_url).netloc != origin.netloc:
                auth = None  # credentials never follow a redirect to another host
                headers = {k: v for k, v in (headers or {}).items() if k.lower() != "authorization"}
            if response.status == 303:
                method, json_body, data = "GET", None, None
            url = next_url
        raise OutboundError(
            Category.HTTP,
            f"more than {MAX_REDIRECTS} redirects starting at {origin.geturl()}",
            "Point the Endpoint URL at the registry's final address.",
        )

    def _send(self, method: str, url: str, headers: dict[str, str] | None,
              auth: tuple[str, str] | None, json_body: Any, data: Any) -> Response:
        host = urlsplit(url).hostname or url
        try:
            raw = self.session.request(
                method, url, headers=headers, auth=auth, json=json_body, data=data,
                timeout=self._timeout(), allow_redirects=False, stream=True,
                verify=self.verify, proxies=get_environ_proxies(url),
            )
        except requests.exceptions.SSLError as exc:
            raise OutboundError(
                Category.TLS, f"TLS handshake with {host} failed: {_reason(exc)}",
                "Paste the registry's CA certificate into CA Certificate, or (not recommended) "
                "untick Verify Remote Cert.",
            ) from None
        except requests.exceptions.ConnectTimeout:
            raise OutboundError(
                Category.TIMEOUT, f"connecting to {host} timed out",
                "Nothing answered: check the host and port, firewalls and HTTPS_PROXY.",
            ) from None
        except requests.exceptions.ReadTimeout:
            raise OutboundError(
                Category.TIMEOUT, f"{host} accepted the connection but did not answer in time",
                "The remote is overloaded or not an HTTP server on this port.",
            ) from None
        except requests.exceptions.ConnectionError as exc:
            reason = _reason(exc)
            if "Name or service not known" in reason or "getaddrinfo" in reason or "resolve" in reason:
                raise OutboundError(
                    Category.DNS, f"the host name {host} cannot be resolved",
                    "Check the spelling of the host in Endpoint URL and this server's DNS.",
                ) from None
            raise OutboundError(
                Category.CONNECT, f"cannot connect to {host}: {reason}",
                "Check the host and port and that the registry is running and reachable "
                "from this server.",
            ) from None
        except requests.exceptions.RequestException as exc:
            raise OutboundError(Category.HTTP, f"request to {host} failed: {_reason(exc)}") from None
        try:
            body = bytearray()
            truncated = False
            for chunk in raw.iter_content(chunk_size=8192):
                body.extend(chunk)
                if len(body) >= BODY_CAP:
                    truncated = True
                    del body[BODY_CAP:]
                    break
        except requests.exceptions.RequestException:
            raise OutboundError(
                Category.TIMEOUT, f"{host} stopped sending its answer",
                "The remote is overloaded or the network drops the connection.",
            ) from None
        finally:
            raw.close()
        return Response(raw.status_code, raw.headers, bytes(body), url, truncated)


def _reason(exc: Exception) -> str:
    text = str(exc)
    for pattern in (r"\[SSL: [A-Z_]+\] ([^(]+)", r"\] ([^'\]]+)'?\)*$", r"(Connection refused)"):
        match = re.search(pattern, text)
        if match:
            return match.group(1).strip()
    return text[:200]
