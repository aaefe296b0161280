"""Tencent TCR (`tencent-tcr`): an Enterprise Edition instance, reached with an API key that
the TCR API exchanges for a temporary registry token."""

from __future__ import annotations

import re

from endpoints.probe.engine import Probe, StepFailed
from endpoints.probe.flows import check_registry_v2
from endpoints.probe.result import Category
from endpoints.probe.target import Target
from endpoints.providers._common import add_error, host_of, path_of
from endpoints.providers.base import FieldErrors, Provider
from endpoints.providers.tencent_tcr_api import API_KEYS_PAGE, find_instance, instance_token

TCR_SUFFIX = ".tencentcloudcr.com"
INSTANCE_NAME_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")  # matched on a DNS label only
SECRET_ID_RE = re.compile(r"^(?:AKID|IKID)[A-Za-z0-9]{8,}$")
URL_FORM = "https://<instance name>.tencentcloudcr.com"


def instance_name(host: str) -> str | None:
    label = host.removesuffix(TCR_SUFFIX)
    if label == host or not label or "." in label or len(label) > 63:
        return None
    return label


def url_error(url: str) -> str | None:
    host = host_of(url)
    if host.endswith(".tencentyun.com"):
        return ("TCR Personal Edition (ccr.ccs.tencentyun.com) is not an Enterprise Edition instance, the "
                "only kind Harbor's TCR adapter replicates with: use the Docker Registry provider with "
                "https://ccr.ccs.tencentyun.com, your account ID and the registry password.")
    if host.endswith(".tencentcloudapi.com"):
        return f"The host {host} is the TCR API, not the registry: enter {URL_FORM}."
    name = instance_name(host)
    if name is None:
        return (f"Enter the instance's public domain, {URL_FORM}, from the TCR console → Instances. Custom "
                "domains are not supported: the check finds the instance by this name.")
    if not INSTANCE_NAME_RE.match(name):
        return (f"“{name[:40]}” is not a TCR instance name (lowercase letters, digits and hyphens, not at "
                "either end): copy the public domain from the TCR console → Instances.")
    if not url.startswith("https://"):
        return f"TCR is only reachable over https: enter https://{host}."
    if path_of(url):
        return (f"Remove “{path_of(url)}” from the URL: enter https://{host}; repositories are chosen in "
                "replication rules.")
    return None


class TencentTcr(Provider):
    key = "tencent-tcr"
    label = "Tencent TCR"

    url_placeholder = URL_FORM
    listed_without_pattern = True  # Harbor: &AdapterPattern{}
    url_help = (
        f"The instance's public domain, {URL_FORM}, from the TCR console → Instances (Enterprise Edition). "
        "The check finds the instance and its region by this name. TCR Personal Edition "
        "(ccr.ccs.tencentyun.com) and custom domains are not supported: use the Docker Registry provider."
    )
    access_id_placeholder = "AKID… (SecretId)"
    access_id_help = (
        f"The SecretId of a Tencent Cloud API key from {API_KEYS_PAGE} (it starts with AKID; IKID for an "
        "international-site account), not the docker login user name: harborreg exchanges the key for a "
        "temporary registry token (DescribeInstances, then CreateInstanceToken). A key is needed even for "
        "public images: replication lists repositories through the TCR API."
    )
    access_secret_placeholder = "SecretKey"
    access_secret_help = (
        "The SecretKey shown with that SecretId, not the registry password. A sub-user's key needs a CAM "
        "policy that allows tcr:DescribeInstances and tcr:CreateInstanceToken (QcloudTCRFullAccess covers "
        "both, and replication)."
    )

    def clean(self, url: str, access_id: str, access_secret: str, secret_given: bool) -> FieldErrors:
        errors: FieldErrors = {}
        if url and (problem := url_error(url)):
            add_error(errors, "url", problem)
        if not access_id and not secret_given:
            add_error(errors, "access_id", "Enter the SecretId and SecretKey of a Tencent Cloud API key: "
                      "TCR is checked and replicated through its API, which needs one.")
        elif not access_id:
            add_error(errors, "access_id", "Enter the SecretId that goes with this SecretKey.")
        elif not SECRET_ID_RE.match(access_id):
            add_error(errors, "access_id", "Enter an API key's SecretId (it starts with AKID, or IKID for an "
                      "international-site account), not the docker login user name or an access token.")
        elif not secret_given:
            add_error(errors, "access_secret", "Enter the SecretKey of this SecretId.")
        return errors

    def check(self, probe: Probe, target: Target) -> None:
        """DescribeInstances finds the instance and its region, CreateInstanceToken buys a
        temporary token, and that token goes through the registry v2 flow."""
        host = host_of(target.url)
        name = instance_name(host)
        if name is None:  # clean() refuses such URLs before any check runs
            raise StepFailed(Category.INVALID, f"{host} is not a TCR instance host", "Correct Endpoint URL.")
        with probe.step("TCR DescribeInstances") as step:
            instance = find_instance(probe, name, host, target.access_id, target.access_secret)
            step.detail = f"instance {name} ({instance.registry_id}) in {instance.region}, {instance.status}"
        if instance.status != "Running":
            probe.warn(f"The TCR instance {name} is {instance.status}, not Running: check its state and "
                       "billing in the TCR console.")
        with probe.step("TCR CreateInstanceToken") as step:
            token = instance_token(probe, instance, target.access_id, target.access_secret)
            step.detail = f"temporary token for {token.username}, valid until {token.expires}"
        refused = (f"The registry refused the temporary token TCR issued for the SecretId "
                   f"{target.access_id}: check the access settings of the instance {name} in the TCR "
                   "console.")
        check_registry_v2(probe, target, target.url, username=token.username, password=token.password,
                          hints={"auth": refused})
