"""GitLab (`gitlab`): the container registry URL, a username and a personal access token."""

from __future__ import annotations

from datetime import UTC, date, datetime
from urllib.parse import urlsplit

from django.conf import settings

from endpoints.probe.engine import Probe, StepFailed
from endpoints.probe.flows import check_registry_v2, looks_like_registry, parse_challenge, status_failure
from endpoints.probe.result import Category
from endpoints.probe.target import Target
from endpoints.providers._common import add_error, host_of, reject_v2_path, require_access_id
from endpoints.providers.base import FieldErrors, Provider, UrlMode

# GitLab.com's web and API host; its container registry is registry.gitlab.com.
GITLAB_COM_WEB_HOSTS = ("gitlab.com", "www.gitlab.com")
GITLAB_COM_REGISTRY_URL = "https://registry.gitlab.com"
# Scopes replication needs, and what for (`api` includes them all).
NEEDED_SCOPES = (("read_registry", "pull"), ("write_registry", "push"), ("read_api", "list projects"))


class GitLab(Provider):
    key = "gitlab"
    label = "GitLab"

    url_mode = UrlMode.FREE
    url_placeholder = f"e.g. {GITLAB_COM_REGISTRY_URL}"
    url_help = (
        "The container registry URL, e.g. https://registry.gitlab.com — not the GitLab web URL "
        "(https://gitlab.com). For self-managed GitLab, use the registry address shown on a "
        "project's Deploy → Container Registry page (often https://registry.gitlab.example.com or "
        "https://gitlab.example.com:5050)."
    )

    access_id_placeholder = "GitLab username"
    access_id_help = "Your GitLab username (the @name without the @), not your e-mail address."
    access_secret_placeholder = "glpat-…"
    access_secret_help = (
        "A personal access token (User settings → Access tokens) with the read_registry scope to "
        "pull, write_registry to push, and read_api so projects can be listed. Not your GitLab "
        "password."
    )

    def clean(self, url: str, access_id: str, access_secret: str, secret_given: bool) -> FieldErrors:
        errors: FieldErrors = {}
        if host_of(url) in GITLAB_COM_WEB_HOSTS:
            add_error(
                errors,
                "url",
                f"The host {host_of(url)} is the GitLab web URL: enter the container registry URL, "
                f"{GITLAB_COM_REGISTRY_URL}.",
            )
        else:
            reject_v2_path(errors, url)
        require_access_id(errors, access_id, secret_given, "your GitLab username")
        return errors

    def check(self, probe: Probe, target: Target) -> None:

        api_url = find_api(probe, target.url)
        refused = (
            f"GitLab refused “{target.access_id}” with this token: enter your GitLab username and a "
            "personal access token (glpat-…) with the read_registry scope (write_registry to push) "
            "that has not expired or been revoked, not your GitLab password."
        )
        check_registry_v2(probe, target, target.url, hints={"auth": refused})
        if target.access_secret:
            check_token_scopes(probe, api_url, target.access_secret)


def find_api(probe: Probe, url: str) -> str:
    """The registry's Bearer realm (https://gitlab.com/jwt/auth) is on the GitLab host, which
    also serves the API Harbor's GitLab adapter calls; no Bearer challenge, no GitLab."""

    v2_url = f"{url.rstrip('/')}/v2/"
    with probe.step("GitLab API host") as step:
        response = probe.http.request("GET", v2_url)
        challenge = parse_challenge(response.headers.get("WWW-Authenticate", ""))
        if challenge is not None and challenge.scheme == "bearer" and challenge.realm:
            parts = urlsplit(challenge.realm)
            api_url = f"{parts.scheme}://{parts.netloc}{parts.path.removesuffix('/jwt/auth')}"
            step.detail = f"Realm {challenge.realm} → API {api_url}"
            return api_url
        if response.status == 429 or response.status >= 500:
            raise status_failure(response, v2_url, False)
        registry = looks_like_registry(response)
        raise StepFailed(
            Category.PROVIDER if registry else Category.NOT_REGISTRY,
            f"The server at {v2_url} answered HTTP {response.status} without GitLab's Bearer challenge"
            + ("" if registry else ", and not like a registry"),
            f"This is not a GitLab container registry URL: use the registry URL (e.g. "
            f"{GITLAB_COM_REGISTRY_URL}), not the GitLab web URL. Self-managed GitLab shows it on a "
            "project's Deploy → Container Registry page.",
        )


def check_token_scopes(probe: Probe, api_url: str, token: str) -> None:
    """Read the token's scopes: a token without write_registry passes the /v2/ check but
    fails the first push. Older GitLab and non-personal tokens cannot answer: a warning."""

    url = f"{api_url}/api/v4/personal_access_tokens/self"
    with probe.step("GitLab token scopes") as step:
        response = probe.http.request("GET", url, headers={"PRIVATE-TOKEN": token})
        step.detail = f"HTTP {response.status}"
        body = response.json()
        scopes = body.get("scopes") if isinstance(body, dict) else None
        if response.status in (401, 403, 404) or (response.status == 200 and not isinstance(scopes, list)):
            probe.warn(
                f"The token's scopes could not be read ({url} answered HTTP {response.status}: GitLab "
                "before 15.5, or not a personal access token); make sure it has read_registry to pull "
                "and write_registry to push."
            )
            return
        if response.status != 200:
            raise status_failure(response, url, True)
        scopes = [str(scope) for scope in scopes]
        step.detail = f"Scopes: {', '.join(scopes) or 'none'}"
        note_token_expiry(probe, body.get("expires_at"))
        for scope, purpose in NEEDED_SCOPES:
            if scope not in scopes and "api" not in scopes:
                probe.warn(
                    f"The token lacks the {scope} scope, so replication cannot {purpose}: create a token "
                    f"with {scope} (User settings → Access tokens) and enter it here."
                )


TOKEN_SOURCE = "GitLab personal access token"


def note_token_expiry(probe: Probe, expires_at: object) -> None:
    """GitLab's `expires_at` (a date; null for a token that never expires, which older
    GitLab allowed): a fact for the warnings, and a warning within EXPIRY_WARNING_DAYS."""
    try:
        expires_on = date.fromisoformat(str(expires_at)[:10]) if expires_at else None
    except ValueError:
        expires_on = None
    if expires_on is None:
        return
    probe.note_fact("credential", {"expires_on": expires_on.isoformat(), "source": TOKEN_SOURCE})
    days = (expires_on - datetime.now(UTC).date()).days
    if 0 <= days <= settings.EXPIRY_WARNING_DAYS:
        probe.warn(
            f"The personal access token expires on {expires_on} (in {days} days): create a new one "
            "(User settings → Access tokens) and enter it here before replication stops."
        )
