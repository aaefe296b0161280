"""VolcEngine CR (`volcengine-cr`): an instance's public endpoint, reached with an access key
that the VolcEngine OpenAPI exchanges for a temporary registry login."""

from __future__ import annotations

import re
from dataclasses import dataclass

from endpoints.probe.engine import Probe, StepFailed
from endpoints.probe.flows import check_registry_v2
from endpoints.probe.result import Category
from endpoints.probe.target import Target
from endpoints.providers._common import add_error, host_of, path_of
from endpoints.providers.base import FieldErrors, Provider
from endpoints.providers.volcengine_cr_api import API_HOST, KEYS_PAGE, temporary_login

PUBLIC_SUFFIX, VPC_SUFFIX = ".cr.volces.com", ".cr.ivolces.com"
URL_FORM = "https://<instance name>-<region>.cr.volces.com"
# Matched on one DNS label (at most 63 characters): the name is everything before the last "-cn-".
LABEL_RE = re.compile(r"^(?P<name>[a-z0-9-]+)-(?P<region>cn-[a-z0-9]+(?:-[a-z0-9]+)*)$")
OTHER_REGION_RE = re.compile(r"-(?P<region>[a-z]{2}-[a-z]+(?:-[0-9]+)?)$")
NAME_RE = re.compile(r"^[a-z][a-z0-9-]{1,28}[a-z0-9]$")
# Harbor's adapter refuses these, so an endpoint saved with one could test healthy here and
# still never replicate (reference harbor-adapters-more.md §4.2).
WHY_NOT = ("Harbor's VolcEngine CR adapter, which does the replication, reads the region from "
           "<instance name>-<region>.cr.volces.com and knows only cn- regions; it refuses other hosts with "
           "“invalid region”")


@dataclass(frozen=True)
class CrInstance:
    name: str
    region: str


def parse_host(host: str) -> CrInstance | None:
    label = host.removesuffix(PUBLIC_SUFFIX)
    if label == host or len(label) > 63 or "." in label:
        return None
    match = LABEL_RE.match(label)
    return CrInstance(match["name"], match["region"]) if match else None


def url_error(url: str) -> str | None:
    host = host_of(url)
    if host.endswith(VPC_SUFFIX):
        return (f"{host} is the instance's VPC endpoint. {WHY_NOT}: enter its public endpoint, {URL_FORM} "
                "(turn the public endpoint on in the Container Registry console if it is off).")
    if host.endswith(".volcengineapi.com"):
        return f"The host {host} is the VolcEngine OpenAPI, not the registry: enter {URL_FORM}."
    label = host.removesuffix(PUBLIC_SUFFIX)
    instance = parse_host(host)
    if instance is None and label != host and len(label) <= 63 and (other := OTHER_REGION_RE.search(label)):
        return f"“{other['region']}” is not a cn- region. {WHY_NOT}, so this endpoint could not replicate."
    if instance is None:
        return (f"Enter the instance's public endpoint, {URL_FORM} (for example "
                "https://myregistry-cn-beijing.cr.volces.com), from the Container Registry console → "
                "Instances.")
    if not NAME_RE.match(instance.name):
        return (f"“{instance.name}” is not a VolcEngine CR instance name: names have 3 to 30 characters "
                "(lowercase letters, digits, hyphens), start with a letter and do not end with a hyphen.")
    if not url.startswith("https://"):
        return f"VolcEngine CR is only reachable over https: enter https://{host}."
    if path_of(url):
        return (f"Remove “{path_of(url)}” from the URL: enter https://{host}; repositories are chosen in "
                "replication rules.")
    return None


class VolcengineCr(Provider):
    key = "volcengine-cr"
    label = "VolcEngine CR"

    url_placeholder = URL_FORM
    listed_without_pattern = True  # Harbor: &AdapterPattern{}
    url_help = (
        f"The instance's public endpoint, {URL_FORM}, from the Container Registry console → Instances; the "
        "check reads the instance name and region from it. Only cn- regions, and not the VPC endpoint "
        "(*.cr.ivolces.com): Harbor's VolcEngine CR adapter, which replicates, cannot use those."
    )
    access_id_placeholder = "AKLT…"
    access_id_help = (
        f"The Access Key ID of a VolcEngine API access key, from {KEYS_PAGE} (it starts with AKLT), not the "
        "temporary docker login user from “get a temporary login command”: harborreg gets a temporary "
        "registry login itself (GetAuthorizationToken). A key is needed even for public images: "
        "replication lists repositories through the OpenAPI."
    )
    access_secret_placeholder = "Secret Access Key"
    access_secret_help = (
        "The Secret Access Key of that access key, not a registry password. An IAM user's key needs a "
        "policy that allows cr:GetAuthorizationToken and the CR read permissions replication uses."
    )

    def clean(self, url: str, access_id: str, access_secret: str, secret_given: bool) -> FieldErrors:
        errors: FieldErrors = {}
        if url and (problem := url_error(url)):
            add_error(errors, "url", problem)
        if not access_id and not secret_given:
            add_error(errors, "access_id", "Enter the Access Key ID and Secret Access Key of a VolcEngine "
                      "API access key: VolcEngine CR is checked and replicated through its OpenAPI, which "
                      "needs one.")
        elif not access_id:
            add_error(errors, "access_id", "Enter the Access Key ID that goes with this Secret Access Key.")
        elif "@" in access_id:
            add_error(errors, "access_id", "This is the temporary docker login user from the Container "
                      "Registry console: enter the Access Key ID of an API access key (it starts with AKLT).")
        elif access_id.startswith("AKTP"):
            add_error(errors, "access_id", "This is a temporary (STS) key, which expires: enter the Access "
                      "Key ID of a long-term API access key (it starts with AKLT).")
        elif not re.match(r"^AK[A-Z]{2}", access_id):
            add_error(errors, "access_id", "Enter the Access Key ID of a VolcEngine API access key: it "
                      "starts with AKLT.")
        elif not secret_given:
            add_error(errors, "access_secret", "Enter the Secret Access Key of this Access Key ID.")
        return errors

    def check(self, probe: Probe, target: Target) -> None:
        """GetAuthorizationToken for the URL's instance and region, then the registry v2 flow
        with that temporary login."""
        instance = parse_host(host_of(target.url))
        if instance is None:  # clean() refuses such URLs before any check runs
            raise StepFailed(Category.INVALID, f"{target.url} is not a VolcEngine CR endpoint",
                             "Correct Endpoint URL.")
        with probe.step("VolcEngine GetAuthorizationToken") as step:
            login = temporary_login(probe, instance.name, instance.region, target.access_id,
                                    target.access_secret)
            step.detail = (f"issued by {API_HOST} for {instance.name} in {instance.region}, valid until "
                           f"{login.expires}")
        refused = (f"The registry refused the temporary token VolcEngine issued for the Access Key ID "
                   f"{target.access_id}: check the access settings of {instance.name} in the console.")
        check_registry_v2(probe, target, target.url, username=login.username, password=login.password,
                          hints={"auth": refused})
