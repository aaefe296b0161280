"""DTR (`dtr`): Docker Trusted Registry 2.x and Mirantis Secure Registry 2.x/3.x. Harbor's
adapter lists and creates repositories through DTR's API (`/api/v0`, Basic auth) and moves
images through its registry (`/v2/`), so the check asks both, after DTR's own health check."""

from __future__ import annotations

from endpoints.probe.engine import Probe, StepFailed
from endpoints.probe.flows import check_registry_v2, status_failure
from endpoints.probe.http import Response
from endpoints.probe.result import Category
from endpoints.probe.target import Target
from endpoints.providers._common import add_error, base_of, path_of, reject_v2_path, require_access_id
from endpoints.providers.base import FieldErrors, Provider, UrlMode

# DTR's API roots (repositories, accounts): the check adds them, the URL must not carry them.
API_PATH_PREFIXES = ("/api", "/enzi")
UNHEALTHY_HINT = ("One of the DTR replica's services is failing (image storage, authentication (garant), "
                  "metadata (RethinkDB) or content trust (notary)): check the replica's containers and logs, "
                  "or ask the DTR administrator.")


class Dtr(Provider):
    key = "dtr"
    label = "DTR / Mirantis Secure Registry"

    url_mode = UrlMode.FREE
    url_placeholder = "e.g. https://dtr.example.com"
    url_help = (
        "The address you use with docker login for this DTR (Docker Trusted Registry 2.x, Mirantis Secure "
        "Registry 2.x or 3.x), e.g. https://dtr.example.com, without a path: the check adds /_ping, /v2/ "
        "and /api/v0 itself. Not the MKE (UCP) address, and not a DTR cache. MSR 4 is built on Harbor: "
        "choose the Harbor provider for it."
    )

    access_id_placeholder = "DTR user name"
    access_id_help = (
        "A DTR user name, as for docker login: with read access to the repositories to replicate from "
        "this DTR; to replicate to it, write access, and an administrator when organizations must be "
        "created. Leave Access ID and Access Secret empty only for a DTR whose API allows anonymous "
        "reads: Test Connection tells whether it does."
    )
    access_secret_placeholder = "Password or access token"
    access_secret_help = (
        "The user's password or, better, an access token (the user's profile → Access tokens → New "
        "access token). Replication uses it with DTR's API (/api/v0) as well as with the registry."
    )

    def clean(self, url: str, access_id: str, access_secret: str, secret_given: bool) -> FieldErrors:
        errors: FieldErrors = {}
        path = path_of(url)
        if any(path == prefix or path.startswith(prefix + "/") for prefix in API_PATH_PREFIXES):
            add_error(errors, "url", f"Remove the API path “{path}”: enter the DTR address only, e.g. "
                                     f"{base_of(url)}; the check adds /api/v0 itself.")
        else:
            reject_v2_path(errors, url)
        require_access_id(errors, access_id, secret_given, "a DTR user name")
        return errors

    def check(self, probe: Probe, target: Target) -> None:

        ping(probe, target.url)
        refused = (
            f"DTR refused “{target.access_id}”: enter the user name and password you use with docker "
            "login to this DTR, or an access token of that user (profile → Access tokens) that has not "
            "been revoked."
        )
        with probe.advice(auth=refused):
            check_registry_v2(probe, target, target.url)
            summary = probe.summary
            list_repositories(probe, target)
        api = f"{target.url.rstrip('/')}/api/v0"
        whom = f"for {target.access_id}" if target.has_credentials else "anonymously"
        probe.succeed(f"{summary} The DTR API ({api}) lists repositories {whom}.")


def ping(probe: Probe, url: str) -> None:
    """DTR's unauthenticated health check, `{"Healthy": true, "Error": ""}`: only a DTR
    answers it, so a wrong address is caught here, before any credentials are sent."""

    ping_url = f"{url.rstrip('/')}/_ping"
    with probe.step(f"GET {ping_url}") as step:
        response = probe.http.request("GET", ping_url)
        step.detail = f"HTTP {response.status}"
        body = response.json()
        healthy = body.get("Healthy") if isinstance(body, dict) else None
        if healthy is True and 200 <= response.status < 300:
            step.detail = "DTR replica healthy"
            return
        if isinstance(healthy, bool):
            excerpt = response.excerpt()
            raise StepFailed(Category.PROVIDER, f"The DTR replica at {base_of(url)} reports itself unhealthy "
                             f"(HTTP {response.status})" + (f": {excerpt}" if excerpt else ""),
                             UNHEALTHY_HINT, status=response.status)
        if response.status == 429 or response.status >= 500:
            raise status_failure(response, ping_url, False)
        raise not_dtr(response, url)


def not_dtr(response: Response, url: str) -> StepFailed:
    if path_of(url):
        fix = (f"Enter the DTR address without a path: {base_of(url)}. The check adds /_ping, /v2/ and "
               "/api/v0 itself.")
    else:
        fix = ("Enter the address you use with docker login for this DTR, not the MKE (UCP) address. For "
               "MSR 4, which is built on Harbor, choose the Harbor provider; for any other registry, the "
               "Docker Registry provider.")
    return StepFailed(Category.NOT_REGISTRY, f"The server at {response.url} answered {response.status}, not "
                      f"DTR's health answer: {url} is not a DTR address", fix, status=response.status)


def list_repositories(probe: Probe, target: Target) -> None:
    """What Harbor's DTR adapter asks first when replicating: one page of repositories,
    with Basic credentials (none when the endpoint has none)."""

    url = f"{target.url.rstrip('/')}/api/v0/repositories?pageSize=1&count=false"
    with probe.step("DTR API") as step:
        auth = (target.access_id, target.access_secret) if target.has_credentials else None
        response = probe.http.request("GET", url, auth=auth)
        step.detail = f"HTTP {response.status}"
        if response.status == 404:
            raise StepFailed(
                Category.NOT_REGISTRY, f"The server at {url} answered 404: DTR's API is not there",
                f"{base_of(target.url)} serves the registry but not DTR's API (a DTR cache, or a proxy that "
                "forwards only /v2/): enter the DTR's own address, as for docker login.", status=404)
        if not 200 <= response.status < 300:
            raise status_failure(response, url, target.has_credentials, target.access_id)
        body = response.json()
        if not isinstance(body, dict) or not isinstance(body.get("repositories"), list):
            raise StepFailed(Category.NOT_REGISTRY, f"The server at {url} answered {response.status} but "
                             "not like DTR's API", f"Check that {base_of(target.url)} is a DTR.")
        step.detail = "HTTP 200, repositories listed"
