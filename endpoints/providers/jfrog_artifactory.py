"""JFrog Artifactory (`jfrog-artifactory`): the Artifactory base URL; repositories come from rules."""

from __future__ import annotations

from endpoints.probe.engine import Probe, StepFailed
from endpoints.probe.flows import check_registry_v2
from endpoints.probe.result import Category
from endpoints.probe.target import Target
from endpoints.providers._common import (
    add_error,
    base_of,
    host_of,
    path_of,
    reject_v2_path,
    require_access_id,
)
from endpoints.providers.base import FieldErrors, Provider, UrlMode

# Docker's "repository path" access method serves /v2/ at the base URL; the subdomain and
# port methods do not (goharbor/harbor#13604, #13457).
OTHER_ACCESS_METHODS = (
    "if your Artifactory uses the subdomain or port access method, use the Docker Registry "
    "provider with the repository's own URL"
)


class JfrogArtifactory(Provider):
    key = "jfrog-artifactory"
    label = "JFrog Artifactory"

    url_mode = UrlMode.FREE
    url_placeholder = "https://<name>.jfrog.io"
    url_help = (
        "The Artifactory base URL, e.g. https://mycompany.jfrog.io or https://artifactory.example.com, "
        "not a repository path such as /artifactory/api/docker/<repo>: the repository is chosen in "
        "the replication rule. Docker access must use the repository path method; with the subdomain "
        "method, choose the Docker Registry provider with the repository's own host."
    )

    access_id_placeholder = "Username"
    access_id_help = (
        "An Artifactory user with read permission on the Docker repositories (and deploy permission "
        "to replicate to them). Leave Access ID and Access Secret empty for anonymous access, if the "
        "server allows it."
    )
    access_secret_placeholder = "Password, API key or access token"
    access_secret_help = (
        "The user's password, API key or identity / access token (Edit Profile → Generate an Identity Token)."
    )

    def clean(self, url: str, access_id: str, access_secret: str, secret_given: bool) -> FieldErrors:
        errors: FieldErrors = {}
        segments = path_of(url).lower().split("/")
        if {"artifactory", "api", "ui"} & set(segments):
            add_error(
                errors,
                "url",
                f"Enter the Artifactory base URL ({base_of(url)}), without “{path_of(url)}”: the "
                "repository is chosen in the replication rule.",
            )
        else:
            reject_v2_path(errors, url)
        require_access_id(errors, access_id, secret_given, "the Artifactory username")
        return errors

    def check(self, probe: Probe, target: Target) -> None:

        base = target.url.rstrip("/")
        ping(probe, base)
        try:
            check_registry_v2(probe, target, base)
        except StepFailed as failure:
            if failure.category == Category.NOT_REGISTRY:  # a 404 or a web page at /v2/
                found = ("Artifactory answered 404 at /v2/" if failure.status == 404 else
                         "A web page (the Artifactory UI?) answered at /v2/ instead of the Docker API")
                probe.revise(failure, hint=f"{found}: enter the Artifactory base URL (e.g. "
                                           f"https://acme.jfrog.io); {OTHER_ACCESS_METHODS}.")
            raise


def ping(probe: Probe, base: str) -> None:
    """Artifactory's own health check: tells "not Artifactory" apart from "no Docker API here"."""

    url = base + "/artifactory/api/system/ping"
    with probe.step("Artifactory ping") as step:
        response = probe.http.request("GET", url)
        step.detail = f"HTTP {response.status}"
        if response.status == 200 and response.body.strip() == b"OK":
            step.detail = "Artifactory is up (api/system/ping answered OK)"
        elif response.status in (401, 403):
            step.detail += ": Artifactory allows no anonymous ping; the login is checked below"
        elif response.status >= 500:
            raise StepFailed(
                Category.HTTP, f"The server at {url} answered HTTP {response.status}",
                f"Artifactory at {host_of(base)} reports a problem: check its service status and logs.",
            )
        else:
            probe.warn(
                f"The server at {url} answered HTTP {response.status}, not OK: {base} may not be the "
                "Artifactory base URL; the registry check decides."
            )
