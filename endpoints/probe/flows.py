"""The registry v2 flow most providers share: `GET /v2/`, its challenge, the token or
Basic credential check, and the authenticated retry."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit

from endpoints.probe.errors import CleartextRefused, OutboundError, StepFailed
from endpoints.probe.http import Response
from endpoints.probe.result import Category

if TYPE_CHECKING:
    from endpoints.probe.engine import Probe
    from endpoints.probe.target import Target

# A remote chooses this header: it is read once, left to right, and only its first
# MAX_CHALLENGE_LENGTH characters (real challenges are a few hundred). No regular
# expression: a backtracking one runs inside the C engine, holding the GIL, where no
# socket deadline can stop it (SECURITY S21).
MAX_CHALLENGE_LENGTH = 8192
MAX_REALM_LENGTH = 1024  # a token service URL; longer ones are refused, not shown
TOKEN_CHARS = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
SPACE = " \t"


@dataclass(frozen=True)
class Challenge:
    scheme: str  # "bearer", "basic" or another scheme in lower case
    params: dict[str, str]

    @property
    def realm(self) -> str:
        return self.params.get("realm", "")

    @property
    def service(self) -> str:
        return self.params.get("service", "")


def _skip(text: str, at: int, chars: str) -> int:
    while at < len(text) and text[at] in chars:
        at += 1
    return at


def _token(text: str, at: int) -> int:
    while at < len(text) and text[at] in TOKEN_CHARS:
        at += 1
    return at


def _quoted(text: str, at: int) -> tuple[str, int]:
    """The quoted-string starting at text[at] == '"', unescaped; an unterminated one
    runs to the end."""
    value: list[str] = []
    at += 1
    while at < len(text) and text[at] != '"':
        if text[at] == "\\" and at + 1 < len(text):
            at += 1
        value.append(text[at])
        at += 1
    return "".join(value), at + 1


def parse_challenges(header: str) -> list[Challenge]:
    """Every challenge of a `WWW-Authenticate` header (RFC 9110 §11.6.1), in one pass.

    A token followed by "=" is a parameter of the challenge before it; any other token
    starts a new challenge; a token68 (Negotiate's blob) is skipped.
    Characters that fit nowhere are skipped one at a time.
    """
    text = (header or "")[:MAX_CHALLENGE_LENGTH]
    found: list[Challenge] = []
    at = 0
    while at < len(text):
        at = _skip(text, at, SPACE + ",")
        end = _token(text, at)
        if end == at:
            at += 1
            continue
        name = text[at:end].lower()
        after = _skip(text, end, SPACE)
        if text[end:end + 1] == "=" and text[end + 1:end + 2] in ("", "=", ","):
            at = _skip(text, end, "=")  # a token68 (Negotiate's blob): nothing to read
        elif after < len(text) and text[after] == "=":
            at = _skip(text, after + 1, SPACE)
            if at < len(text) and text[at] == '"':
                value, at = _quoted(text, at)
            else:
                start = at
                while at < len(text) and text[at] not in SPACE + ",":
                    at += 1
                value = text[start:at]
            if found:
                found[-1].params.setdefault(name, value)
        else:
            found.append(Challenge(name, {}))
            at = after
    return found


def parse_challenge(header: str) -> Challenge | None:
    """The challenge to answer: Bearer wins when several are offered."""
    found = parse_challenges(header)
    if not found:
        return None
    return next((c for c in found if c.scheme == "bearer"), found[0])


def looks_like_registry(response: Response) -> bool:
    if response.headers.get("Docker-Distribution-API-Version"):
        return True
    return response.json() is not None


def display_host(url: str) -> str:
    """host[:port] of a URL as people write it: an IPv6 address in brackets."""
    return urlsplit(url).netloc.rpartition("@")[2]


def about(what: str) -> str:
    """The subject of a sentence about `what` (a URL, or words like "the token service …")."""
    return f"The server at {what}" if what.startswith(("http://", "https://")) else what


def status_failure(response: Response, what: str, has_credentials: bool,
                   username: str = "") -> StepFailed:
    """The failure for a non-2xx answer from `what` (a URL or "the token service …")."""
    code = response.status
    host = display_host(response.url)
    subject = about(what)
    if code == 429:
        retry = response.headers.get("Retry-After", "")
        return StepFailed(
            Category.RATE_LIMITED,
            f"{subject} answered 429 Too Many Requests" + (f" (Retry-After: {retry})" if retry else ""),
            f"The registry at {host} is rate-limiting this server: wait and test again, or use an account "
            "with a higher pull limit.",
            status=code,
        )
    if code in (401, 403) and has_credentials:
        account = f"“{username}”" if username else "the Access ID"
        verb = "rejected" if code == 401 else "accepted but refused access for"
        return StepFailed(
            Category.AUTH,
            f"{subject} answered {code}: it {verb} the credentials of {account}",
            f"Check Access ID and Access Secret for {host} (a rotated password or an expired "
            "token is the usual cause) and that the account may pull from this registry.",
            status=code,
        )
    if code in (401, 403):
        return anonymous_refused(response.url, code)
    if code == 404:
        return StepFailed(
            Category.NOT_REGISTRY,
            f"{subject} answered 404 Not Found",
            f"No registry API answers at {response.url}: check that Endpoint URL is the "
            "registry's address (not its web page or a repository path).",
            status=code,
        )
    excerpt = response.excerpt()
    if code == 400 and "HTTPS server" in excerpt:
        return StepFailed(
            Category.HTTP, f"{subject} answered 400: the port speaks HTTPS",
            f"Write https:// instead of http:// in Endpoint URL for {host}.",
            status=code,
        )
    return StepFailed(
        Category.HTTP,
        f"{subject} answered HTTP {code}" + (f": {excerpt}" if excerpt else ""),
        f"The registry at {host} answered with an error: check its health and logs.",
        status=code,
    )


def anonymous_refused(url: str, status: int | None = None) -> StepFailed:
    """No credentials, and the registry (or its token service) refused anonymous access:
    the endpoint cannot pull as configured (SPEC §7)."""
    failure = StepFailed(
        Category.AUTH,
        f"The registry at {display_host(url)} requires credentials: anonymous access was refused",
        "Enter the Access ID and Access Secret of an account that may pull from this registry.",
        status=status,
    )
    failure.hint_is_final = True
    return failure


def check_registry_v2(probe: Probe, target: Target, base_url: str, *,
                      username: str | None = None, password: str | None = None,
                      hints: Mapping[str, str] | None = None) -> Challenge | None:
    """GET <base>/v2/, follow its challenge with the credentials, retry authenticated.

    Without credentials it asks as an anonymous pull would: a Basic challenge, or a token
    service that refuses an anonymous token, or a registry that refuses that token, is
    `auth` (the endpoint cannot pull); an anonymous token that works is Healthy for public
    repositories. `hints` maps a category to the provider's own advice for a failure of
    that category (e.g. {"auth": "Use the RAM AccessKey, not the docker login"}); it does
    not replace the anonymous refusal's "enter the credentials". Returns the challenge the
    registry sent, if any.
    """
    with probe.advice(**(hints or {})):
        return _check_registry_v2(probe, target, base_url, username, password)


def _check_registry_v2(probe: Probe, target: Target, base_url: str, username: str | None,
                       password: str | None) -> Challenge | None:
    username = target.access_id if username is None else username
    password = target.access_secret if password is None else password
    has_credentials = bool(username or password)
    v2_url = base_url.rstrip("/") + "/v2/"

    with probe.step(f"GET {v2_url}") as step:
        response = probe.http.request("GET", v2_url)
        step.detail = f"HTTP {response.status}"
        if 200 <= response.status < 300:
            if not looks_like_registry(response):
                raise StepFailed(
                    Category.NOT_REGISTRY,
                    f"The server at {v2_url} answered {response.status} but not like a registry "
                    "(no Docker-Distribution-API-Version header, no JSON body)",
                    f"The address {base_url} serves something else, often a web page or a login portal: "
                    "enter the registry's own address in Endpoint URL.",
                )
            if has_credentials:
                probe.warn(
                    "The registry accepted anonymous access, so the credentials were not "
                    "checked."
                )
            probe.succeed(f"Reachable: {v2_url} answers without authentication.")
            return None
        challenge = parse_challenge(response.headers.get("WWW-Authenticate", ""))
        if response.status != 401 or challenge is None:
            raise status_failure(response, v2_url, has_credentials, username)
        step.detail = f"HTTP 401, {challenge.scheme.capitalize()} challenge"
        if challenge.scheme not in ("bearer", "basic"):
            raise StepFailed(
                Category.PROVIDER,
                f"The registry asks for the unsupported authentication scheme “{challenge.scheme}”",
                f"Registries speak Bearer or Basic: check that {base_url} is a registry.",
            )
        if challenge.scheme == "basic" and not has_credentials:
            raise anonymous_refused(v2_url, response.status)

    if challenge.scheme == "bearer":
        token = fetch_bearer_token(probe, v2_url, challenge, username, password)
        authorization = f"Bearer {token}"
        via = f"token service {challenge.realm}"
    else:
        authorization = None
        via = "Basic authentication"

    with probe.step(f"GET {v2_url} ({'authenticated' if has_credentials else 'anonymous token'})") as step:
        if authorization:
            response = probe.http.request("GET", v2_url, headers={"Authorization": authorization})
        else:
            response = probe.http.request("GET", v2_url, auth=(username, password))
        step.detail = f"HTTP {response.status}"
        if not 200 <= response.status < 300:
            raise status_failure(response, v2_url, has_credentials, username)
        if not looks_like_registry(response):
            raise StepFailed(
                Category.NOT_REGISTRY,
                f"The server at {v2_url} answered {response.status} but not like a registry",
                f"The address {base_url} serves something else: enter the registry's own address in "
                "Endpoint URL.",
            )
    credentials_went_to = challenge.realm if challenge.scheme == "bearer" else v2_url
    if has_credentials and urlsplit(credentials_went_to).scheme == "http":
        probe.warn(f"The credentials travel unencrypted: {credentials_went_to} is plain http.")
    if has_credentials:
        probe.succeed(f"Authenticated as {username or 'anonymous'} via {via}.")
    else:
        probe.warn("No credentials: only public repositories can be pulled, and nothing can be "
                   "pushed to this registry.")
        probe.succeed(f"Reachable anonymously via {via}: only public repositories can be pulled.")
    return challenge


def fetch_bearer_token(probe: Probe, v2_url: str, challenge: Challenge,
                       username: str, password: str) -> str:
    """The token from the challenge's realm, as a pull asks for it (with the credentials,
    or anonymously when there are none)."""
    realm = challenge.realm
    too_long = len(realm) > MAX_REALM_LENGTH
    if too_long:
        realm = realm[:100] + "…"  # refused below, and shown only this far
    with probe.step(f"Token from {realm or '(no realm)'}") as step:
        parts = urlsplit(realm)
        if too_long or parts.scheme not in ("http", "https") or not parts.hostname:
            raise StepFailed(
                Category.PROVIDER,
                f"The registry's Bearer challenge has no usable realm ({realm!r})",
                f"The token service of {display_host(v2_url)} is misconfigured: its realm must "
                "be an http(s) URL.",
            )
        query = {"service": challenge.service} if challenge.service else {}
        token_url = realm + ("&" if "?" in realm else "?") + urlencode(query) if query else realm
        auth = (username, password) if username else None
        try:
            response = probe.http.request("GET", token_url, auth=auth)
        except CleartextRefused:
            raise StepFailed(
                Category.BLOCKED,
                f"The token service {realm} is plain http while the registry is https; "
                "the credentials were not sent",
                f"Make the registry at {display_host(v2_url)} announce an https token realm "
                "(for Harbor: its external URL).",
            ) from None
        except (OutboundError, StepFailed) as exc:
            # DNS, policy, connect or TLS failed for the realm's host. A pre-flight failure
            # (StepFailed) already says the registry sent us there; a request failure does not.
            context = "" if isinstance(exc, StepFailed) else (
                " The registry names this token service in its challenge: check the remote "
                "registry's external URL."
            )
            raise StepFailed(
                exc.category,
                f"The token service at {realm} is not reachable from here: "
                f"{exc.detail[:1].lower() + exc.detail[1:]}",
                f"{exc.hint}{context}".strip(),
            ) from None
        step.detail = f"HTTP {response.status}"
        if response.status in (401, 403) and not (username or password):
            step.detail += ": no anonymous token"
            raise anonymous_refused(v2_url, response.status)
        if response.status != 200:
            raise status_failure(response, f"the token service {realm}", bool(username), username)
        body = response.json() or {}
        token = (body.get("token") or body.get("access_token")) if isinstance(body, dict) else None
        if not token or not isinstance(token, str):
            raise StepFailed(
                Category.PROVIDER,
                f"The token service {realm} answered without a token",
                f"The token service at {parts.netloc} is misbehaving: check its logs.",
            )
        probe.add_sensitive(token)
        kind = "token" if username or password else "anonymous token"
        step.detail = f"{kind} issued for service {challenge.service or '(none)'}"
        return token
