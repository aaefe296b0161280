"""Docker Hub (`docker-hub`): the URL is fixed; images go through registry-1.docker.io."""

from __future__ import annotations

from urllib.parse import urlencode

from endpoints.probe.engine import Probe, StepFailed
from endpoints.probe.errors import OutboundError
from endpoints.probe.flows import Challenge, check_registry_v2, status_failure
from endpoints.probe.result import Category
from endpoints.probe.target import Target
from endpoints.providers._common import add_error, require_access_id, require_fixed_url
from endpoints.providers.base import FieldErrors, Provider, UrlMode

DOCKER_HUB_URL = "https://hub.docker.com"
LOGIN_URL = f"{DOCKER_HUB_URL}/v2/auth/token"
# Whatever the stored URL says, images come from here (its realm is https://auth.docker.io/token).
REGISTRY_URL = "https://registry-1.docker.io"
UNREACHABLE = (Category.DNS, Category.CONNECT, Category.TIMEOUT)
# The URL is fixed, so there is nothing in the form to correct: the path to Docker Hub is.
UNREACHABLE_HINT = ("This server must reach Docker Hub's fixed hosts hub.docker.com, registry-1.docker.io "
                    "and auth.docker.io (its token service): ask the operator of this server to allow "
                    "them in the firewall, or to set HTTPS_PROXY (a server setting).")
LOGIN_LIMIT_HINT = ("Docker Hub limits logins and locks them for a while after failed attempts: wait and "
                    "test again. To store new credentials now, use Save anyway.")
# Organization access tokens are refused by the Docker Hub login this provider uses.
ORG_TOKEN_PREFIX = "dckr_oat_"
# Docker's documented way to read the pull budget: HEAD on this image's manifest, which does
# not count as a pull (https://docs.docker.com/docker-hub/usage/pulls/).
BUDGET_REPOSITORY = "ratelimitpreview/test"
BUDGET_URL = f"{REGISTRY_URL}/v2/{BUDGET_REPOSITORY}/manifests/latest"
BUDGET_WARNING_SHARE = 0.10  # warn when fewer pulls than this share of the limit are left
BUDGET_MIN_SECONDS = 3.0  # not started with less of the check's deadline left


class DockerHub(Provider):
    key = "docker-hub"
    label = "Docker Hub"

    url_mode = UrlMode.FIXED
    default_url = DOCKER_HUB_URL
    url_placeholder = DOCKER_HUB_URL
    url_help = (
        "Fixed: https://hub.docker.com. Images are pulled from and pushed to registry-1.docker.io; "
        "for any other registry, choose the Docker Registry provider."
    )

    access_id_placeholder = "Docker ID"
    access_id_help = (
        "Your Docker ID (the Docker Hub user name). Leave Access ID and Access Secret empty for "
        "anonymous pulls of public images (with lower pull rate limits). Organization access tokens "
        "do not work with this provider: choose the Docker Registry provider with the URL "
        "https://index.docker.io and the organization name as Access ID."
    )
    access_secret_placeholder = "Password or personal access token"
    access_secret_help = (
        "Your Docker Hub password or, better, a personal access token (Account settings → Personal "
        "access tokens; Read & Write to push, Read-only to pull). An account with two-factor "
        "authentication needs a personal access token."
    )

    def clean(self, url: str, access_id: str, access_secret: str, secret_given: bool) -> FieldErrors:
        errors: FieldErrors = {}
        require_fixed_url(errors, url, DOCKER_HUB_URL, self.label)
        if access_secret.strip().startswith(ORG_TOKEN_PREFIX):
            add_error(
                errors,
                "access_secret",
                "This is an organization access token, which the Docker Hub provider cannot use: "
                "choose the Docker Registry provider with https://index.docker.io and the organization "
                "name as Access ID.",
            )
        require_access_id(errors, access_id, secret_given, "your Docker ID")
        return errors

    def check(self, probe: Probe, target: Target) -> None:

        with probe.advice(**{category: UNREACHABLE_HINT for category in UNREACHABLE}):
            if target.has_credentials:
                login(probe, target)
            # Anonymous checks fetch a token, as pulls do: a blocked auth.docker.io shows up
            # here and not at the first pull.
            challenge = check_registry_v2(probe, target, REGISTRY_URL)
        if challenge is not None and probe.summary.startswith("Reachable anonymously"):
            probe.succeed(f"Reachable anonymously via token service {challenge.realm}: public images "
                          "only, with Docker Hub's lower anonymous pull limits.")
        if challenge is not None and challenge.scheme == "bearer" and probe.remaining() > BUDGET_MIN_SECONDS:
            read_pull_budget(probe, target, challenge)


def login(probe: Probe, target: Target) -> None:
    """What Harbor's Docker Hub adapter does first: without it, replication fails even when
    the registry accepts the credentials (Harbor #14953)."""

    with probe.step("Docker Hub login") as step:
        response = probe.http.request(
            "POST", LOGIN_URL, json_body={"identifier": target.access_id, "secret": target.access_secret}
        )
        step.detail = f"HTTP {response.status}"
        if response.status in (401, 403):
            raise StepFailed(
                Category.AUTH,
                f"The Docker Hub login at {LOGIN_URL} answered {response.status}: it rejected the Docker "
                "ID or password/access token",
                f"Check the Docker ID “{target.access_id}” (the user name, not the e-mail address) and "
                "the password or personal access token (dckr_pat_…, required with two-factor "
                "authentication or SSO). Organization names and organization access tokens "
                "(dckr_oat_…) need the Docker Registry provider with https://index.docker.io.",
            )
        if not 200 <= response.status < 300:
            failure = status_failure(response, f"the Docker Hub login {LOGIN_URL}", True)
            if response.status == 429:
                failure.hint = LOGIN_LIMIT_HINT
            raise failure
        body = response.json()
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise StepFailed(Category.PROVIDER, f"The Docker Hub login at {LOGIN_URL} answered "
                             f"{response.status} without an access token",
                             "Docker Hub's login is misbehaving: check https://www.dockerstatus.com.")
        probe.add_sensitive(token)
        step.detail = f"Logged in as {target.access_id}"


def read_pull_budget(probe: Probe, target: Target, challenge: Challenge) -> None:
    """Pulls left in Docker Hub's window for this account (or, anonymously, this server's
    address). Informational: whatever goes wrong here, the check's verdict stands."""
    with probe.step("Docker Hub pull budget") as step:
        try:
            step.detail = _read_pull_budget(probe, target, challenge)
        except OutboundError as exc:
            step.detail = f"Not read: {exc.detail[:1].lower()}{exc.detail[1:]}"


def _read_pull_budget(probe: Probe, target: Target, challenge: Challenge) -> str:
    query = urlencode({"service": challenge.service, "scope": f"repository:{BUDGET_REPOSITORY}:pull"})
    auth = (target.access_id, target.access_secret) if target.has_credentials else None
    response = probe.http.request("GET", f"{challenge.realm}?{query}", auth=auth)
    body = response.json()
    token = body.get("token") or body.get("access_token") if isinstance(body, dict) else None
    if response.status != 200 or not isinstance(token, str) or not token:
        return f"Not read: the token service answered HTTP {response.status}"
    probe.add_sensitive(token)
    response = probe.http.request("HEAD", BUDGET_URL, headers={"Authorization": f"Bearer {token}"})
    if response.status != 200:
        return f"Not read: {BUDGET_URL} answered HTTP {response.status}"
    limit, window_s = _ratelimit(response.headers.get("ratelimit-limit", ""))
    remaining, _ = _ratelimit(response.headers.get("ratelimit-remaining", ""))
    if limit is None or remaining is None:
        return "Docker Hub reports no pull limit"
    probe.note_fact("pull_budget", {"limit": limit, "remaining": remaining, "window_s": window_s})
    window = window_text(window_s)
    if remaining < limit * BUDGET_WARNING_SHARE:
        probe.warn(
            f"Only {remaining} of {limit} Docker Hub pulls are left {window}: replication will be refused "
            "(429) when they run out. Use an account with a higher limit, or replicate less often."
        )
    return f"Pulls left: {remaining} of {limit} {window}"


def _ratelimit(header: str) -> tuple[int | None, int]:
    """`100;w=21600` → (100, 21600); (None, 0) when absent or unreadable."""
    value, _, params = header.partition(";")
    window = params.strip().removeprefix("w=")
    if not value.strip().isdigit():
        return None, 0
    return int(value), int(window) if window.isdigit() else 0


def window_text(window_s: int) -> str:
    """`per 6 h` for 21600 seconds; empty when Docker Hub did not say."""
    if not window_s:
        return ""
    if window_s % 3600 == 0:
        return f"per {window_s // 3600} h"
    return f"per {window_s // 60} min"
