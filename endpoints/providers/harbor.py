"""Harbor (`harbor`): another Harbor instance."""

from __future__ import annotations

import re

from endpoints.probe.engine import Probe, StepFailed
from endpoints.probe.flows import check_registry_v2, status_failure
from endpoints.probe.result import Category
from endpoints.probe.target import Target
from endpoints.providers._common import add_error, base_of, path_of, reject_v2_path, require_access_id
from endpoints.providers.base import FieldErrors, Provider, UrlMode

# Paths of Harbor's web UI and API: pasting one from the browser is a common mistake.
UI_PATH_PREFIXES = ("/harbor", "/api", "/account")
# How a token realm that Harbor announces but this server cannot reach fails.
UNREACHABLE = (Category.DNS, Category.CONNECT, Category.TIMEOUT, Category.TLS)
# What Harbor's /api/version says ("v2.0"); anything else is not Harbor's API.
API_VERSION_RE = re.compile(r"v\d{1,3}(\.\d{1,3}){0,2}")


class Harbor(Provider):
    key = "harbor"
    label = "Harbor"

    url_mode = UrlMode.FREE
    url_placeholder = "e.g. https://harbor.example.com"
    url_help = (
        "Enter the full URL of the Harbor instance, for example https://harbor_instance_address:443: "
        "its external URL as users open it in a browser, without a page path such as /harbor/projects. "
        "The registry must exist and be running before you create the endpoint."
    )

    access_id_placeholder = "user name or robot$<name>"
    access_id_help = (
        "A Harbor user name, or a robot account such as robot$name (project robots look like "
        "robot$project+name). Use an account that has write permission on the corresponding project "
        "in that Harbor when replicating to it, or pull permission when replicating from it. "
        "Leave Access ID and Access Secret empty only for a Harbor that allows anonymous pulls: "
        "Test Connection tells whether it does."
    )
    access_secret_placeholder = "Password or robot secret"
    access_secret_help = (
        "The user's password, or the robot account's secret (shown once, when the robot account was "
        "created; refresh it in Harbor if it is lost)."
    )

    def clean(self, url: str, access_id: str, access_secret: str, secret_given: bool) -> FieldErrors:
        errors: FieldErrors = {}
        path = path_of(url)
        if any(path == prefix or path.startswith(prefix + "/") for prefix in UI_PATH_PREFIXES):
            add_error(
                errors,
                "url",
                f"Remove the page path “{path}”: enter the Harbor address only, e.g. {base_of(url)}.",
            )
        else:
            reject_v2_path(errors, url)
        require_access_id(errors, access_id, secret_given, "a Harbor user name or robot$name")
        return errors

    def check(self, probe: Probe, target: Target) -> None:

        version = api_version(probe, target)
        # /api/version has reached the Harbor host, so an unreachable host now is the token
        # realm, which Harbor builds from its external URL (Harbor #11101, #21389).
        unreachable = (
            "Check the remote Harbor's external URL (hostname/external_url in harbor.yml), which "
            f"Harbor puts in its token realm: it must be reachable from here; this endpoint uses "
            f"{base_of(target.url)}."
        )
        check_registry_v2(probe, target, target.url,
                          hints={category: unreachable for category in UNREACHABLE})
        if version:
            probe.succeed(f"{probe.summary.removesuffix('.')} (Harbor API {version}).")


def api_version(probe: Probe, target: Target) -> str:
    """Harbor's `/api/version` ("v2.0"), as Harbor's own adapter reads it first; "" on a 404."""

    url = f"{target.url.rstrip('/')}/api/version"
    with probe.step(f"GET {url}") as step:
        auth = (target.access_id, target.access_secret) if target.access_id else None
        response = probe.http.request("GET", url, auth=auth)
        step.detail = f"HTTP {response.status}"
        if response.status == 404:
            probe.warn(f"The server at {url} answered 404: this looks like Harbor 1.x or not Harbor; "
                       "only the registry API (/v2/) was checked.")
            return ""
        if not 200 <= response.status < 300:
            raise status_failure(response, url, target.has_credentials, target.access_id)
        body = response.json()
        version = body.get("version") if isinstance(body, dict) else None
        if not isinstance(version, str) or not API_VERSION_RE.fullmatch(version):
            raise StepFailed(
                Category.NOT_REGISTRY,
                f"The server at {url} answered {response.status} but not with Harbor's version JSON",
                f"The address {base_of(target.url)} does not serve Harbor's API: enter the Harbor's "
                "external URL "
                "(the address of its web portal, without a page path), or choose the Docker Registry "
                "provider for a plain registry.",
            )
        step.detail = f"Harbor API {version}"
        return version
