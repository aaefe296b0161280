"""Artifact Hub (`artifact-hub`): Helm charts from https://artifacthub.io, replication source only.

It is not a registry, so there is no /v2/ check: the test queries its REST API, and with an
API key, an endpoint that needs the key.
"""

from __future__ import annotations

from endpoints.probe.engine import Probe, StepFailed
from endpoints.probe.http import Response
from endpoints.probe.result import Category
from endpoints.probe.target import Target
from endpoints.providers._common import require_access_id, require_fixed_url
from endpoints.providers.base import FieldErrors, Provider, UrlMode

ARTIFACT_HUB_URL = "https://artifacthub.io"  # fixed; ENDPOINT_CONNECT_TO can redirect it
SEARCH_URL = ARTIFACT_HUB_URL + "/api/v1/packages/search?limit=1"
PROFILE_URL = ARTIFACT_HUB_URL + "/api/v1/users/profile"
UNREACHABLE = (Category.DNS, Category.CONNECT, Category.TIMEOUT)
# The URL is fixed, so there is nothing in the form to correct: the path to artifacthub.io is.
UNREACHABLE_HINT = ("This server must reach artifacthub.io: ask the operator of this server to allow it "
                    "in the firewall, or to set HTTPS_PROXY (a server setting).")


class ArtifactHub(Provider):
    key = "artifact-hub"
    label = "Artifact Hub"

    url_mode = UrlMode.FIXED
    default_url = ARTIFACT_HUB_URL
    url_placeholder = ARTIFACT_HUB_URL
    url_help = (
        "Fixed: https://artifacthub.io. Charts are listed through its API; for charts kept in an "
        "OCI registry, choose the provider of that registry instead."
    )

    access_id_placeholder = "API key ID (optional)"
    access_id_help = (
        "Optional: an Artifact Hub API key ID (Control Panel → Settings → API keys). Leave Access ID "
        "and Access Secret empty for anonymous access to public packages."
    )
    access_secret_placeholder = "API key secret (optional)"
    access_secret_help = "Optional: the API key secret shown when the API key was created."
    notes = (
        "Artifact Hub can only be a replication source: it provides Helm charts and does not accept "
        "pushes, so use it as the source registry of a replication rule, never as the destination.",
    )

    def clean(self, url: str, access_id: str, access_secret: str, secret_given: bool) -> FieldErrors:
        errors: FieldErrors = {}
        require_fixed_url(errors, url, ARTIFACT_HUB_URL, self.label)
        require_access_id(errors, access_id, secret_given, "the API key ID")
        return errors

    def check(self, probe: Probe, target: Target) -> None:

        with probe.advice(**{category: UNREACHABLE_HINT for category in UNREACHABLE}):
            self._check(probe, target)

    def _check(self, probe: Probe, target: Target) -> None:
        with probe.step("Artifact Hub API") as step:
            response = probe.http.request("GET", SEARCH_URL)
            api_json(response)
            total = response.headers.get("Pagination-Total-Count")
            step.detail = f"HTTP 200, {total} packages" if total else "HTTP 200"
        if not (target.access_id and target.access_secret):
            if target.access_id:
                probe.warn("The API key ID was not checked: it is used only with its secret.")
            probe.succeed("The Artifact Hub API answers; public packages are read anonymously.")
            return
        with probe.step("Artifact Hub API key") as step:
            response = probe.http.request("GET", PROFILE_URL, headers={
                "X-API-KEY-ID": target.access_id, "X-API-KEY-SECRET": target.access_secret,
            })
            if response.status in (401, 403):
                raise StepFailed(
                    Category.AUTH, f"The Artifact Hub API at {PROFILE_URL} answered {response.status}",
                    "The API key id/secret is not accepted: check Access ID (the API key ID) and "
                    "Access Secret (its secret) in Artifact Hub → Control Panel → Settings → API keys; "
                    "a deleted key must be created again.",
                )
            alias = api_json(response).get("alias") or "(no alias)"
            step.detail = f"API key of user {alias}"
        probe.succeed(f"The Artifact Hub API answers and accepts the API key of user {alias}.")


def api_json(response: Response) -> dict:
    """The JSON object of an Artifact Hub API answer, or the failure saying why there is none."""

    if response.status == 429:
        retry = response.headers.get("Retry-After", "")
        raise StepFailed(
            Category.RATE_LIMITED, f"The server at {response.url} answered 429 Too Many Requests"
            + (f" (Retry-After: {retry})" if retry else ""),
            "Artifact Hub limits API requests per client address: wait a few minutes and test again.",
        )
    if response.status != 200:
        excerpt = response.excerpt()
        raise StepFailed(
            Category.HTTP, f"The server at {response.url} answered HTTP {response.status}"
            + (f": {excerpt}" if excerpt else ""),
            "Artifact Hub answered with an error: test again later.",
        )
    body = response.json()
    if not isinstance(body, dict):
        kind = response.headers.get("Content-Type", "").split(";")[0] or "no content type"
        raise StepFailed(
            Category.NOT_REGISTRY, f"The server at {response.url} answered 200 with {kind}, not the "
            "API's JSON",
            "Something other than Artifact Hub answers for artifacthub.io here (a proxy, a "
            "captive portal or a maintenance page): test again later, or ask the operator of this "
            "server to check HTTPS_PROXY, NO_PROXY and ENDPOINT_CONNECT_TO (server settings).",
        )
    return body
