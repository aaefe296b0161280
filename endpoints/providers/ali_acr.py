"""Alibaba Cloud ACR (`ali-acr`): a RAM AccessKey exchanged for temporary registry credentials."""

from __future__ import annotations

import re

from endpoints.probe.engine import Probe
from endpoints.probe.flows import check_registry_v2
from endpoints.probe.target import Target
from endpoints.providers._common import add_error, host_of, require_access_id
from endpoints.providers.ali_acr_api import read_challenge, temporary_login
from endpoints.providers.base import FieldErrors, Provider, UrlMode, UrlSuggestion

# The regions Harbor's ACR adapter offers (harbor-adapters.md §6).
ALI_REGIONS: tuple[str, ...] = (
    "cn-qingdao", "cn-beijing", "cn-zhangjiakou", "cn-huhehaote", "cn-wulanchabu", "cn-hangzhou",
    "cn-shanghai", "cn-shenzhen", "cn-heyuan", "cn-guangzhou", "cn-chengdu", "cn-hongkong",
    "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-5", "ap-south-1",
    "ap-northeast-1", "us-west-1", "us-east-1", "eu-central-1", "eu-west-1", "me-east-1",
)  # fmt: skip

# (label suffix, URL template) per region; `instanceName` is a placeholder the admin replaces.
ALI_VARIANTS: tuple[tuple[str, str], ...] = (
    ("", "https://registry.{r}.aliyuncs.com"),
    (" (VPC)", "https://registry-vpc.{r}.aliyuncs.com"),
    (" (internal)", "https://registry-internal.{r}.aliyuncs.com"),
    (" Enterprise Edition (replace instanceName)", "https://instanceName-registry.{r}.cr.aliyuncs.com"),
    (
        " Enterprise Edition VPC (replace instanceName)",
        "https://instanceName-registry-vpc.{r}.cr.aliyuncs.com",
    ),
)
OPENAPI_HOST_RE = re.compile(r"^cr\.(?P<region>[a-z0-9-]+)\.aliyuncs\.com$")


class AliAcr(Provider):
    key = "ali-acr"
    label = "Alibaba Cloud ACR"

    url_mode = UrlMode.SUGGESTIONS
    url_placeholder = "https://registry.<region>.aliyuncs.com"
    url_help = (
        "Pick your region. Personal Edition: https://registry.<region>.aliyuncs.com (the -vpc and "
        "-internal variants work only from inside Alibaba Cloud). Enterprise Edition: "
        "https://<instance name>-registry.<region>.cr.aliyuncs.com; replace instanceName in the "
        "suggestion with your instance's name. Not the API host cr.<region>.aliyuncs.com."
    )

    access_id_placeholder = "LTAI…"
    access_id_help = (
        "The AccessKey ID of a RAM user (usually starts with LTAI), from the RAM console → Users → "
        "(user) → AccessKey. Not the docker login user name: harborreg exchanges the AccessKey for "
        "temporary registry credentials. Alibaba Cloud ACR has no anonymous access."
    )
    access_secret_placeholder = "AccessKey Secret"
    access_secret_help = (
        "The AccessKey Secret shown once when the AccessKey was created, not the registry (docker "
        "login) password. The RAM user needs a Container Registry policy such as "
        "AliyunContainerRegistryFullAccess (or a read-only one to pull)."
    )

    def url_suggestions(self) -> list[UrlSuggestion]:
        return [
            UrlSuggestion(region + suffix, template.format(r=region))
            for region in ALI_REGIONS
            for suffix, template in ALI_VARIANTS
        ]

    def clean(self, url: str, access_id: str, access_secret: str, secret_given: bool) -> FieldErrors:
        errors: FieldErrors = {}
        host = host_of(url)
        if "instancename" in url.lower():
            add_error(
                errors,
                "url",
                "Replace “instanceName” in the URL with the name of your Enterprise Edition instance "
                "(Container Registry console → Instances).",
            )
        elif openapi := OPENAPI_HOST_RE.match(host):
            add_error(
                errors,
                "url",
                f"The host {host} is the Container Registry API, not the registry: enter "
                f"https://registry.{openapi['region']}.aliyuncs.com.",
            )
        elif host and not host.endswith(".aliyuncs.com"):
            add_error(
                errors,
                "url",
                "Alibaba Cloud ACR hosts end in .aliyuncs.com: pick your region from the suggestions, "
                "e.g. https://registry.cn-hangzhou.aliyuncs.com.",
            )
        if "@" in access_id:
            add_error(
                errors,
                "access_id",
                "This looks like a docker login user name: enter the RAM user's AccessKey ID instead.",
            )
        elif not access_id and not secret_given:
            add_error(errors, "access_id", "Enter the RAM user's AccessKey ID and AccessKey Secret.")
        require_access_id(errors, access_id, secret_given, "the RAM AccessKey ID")
        if access_id and not secret_given:
            add_error(errors, "access_secret", "Enter the AccessKey Secret for this AccessKey ID.")
        return errors

    def check(self, probe: Probe, target: Target) -> None:
        """The challenge names the region and edition; the AccessKey buys temporary registry
        credentials from the ACR API; those go through the registry v2 flow."""

        v2_url = target.url.rstrip("/") + "/v2/"
        with probe.step(f"GET {v2_url} (challenge)") as step:
            service = read_challenge(probe, v2_url)
            step.detail = f"Alibaba Cloud ACR {service.edition} in {service.region}"
        with probe.step("ACR temporary credentials") as step:
            login = temporary_login(probe, service, target.access_id, target.access_secret)
            step.detail = f"issued by cr.{service.region}.aliyuncs.com, valid until {login.expires}"
        refused = (
            f"The registry refused the temporary credentials issued for the AccessKey {target.access_id}: "
            f"check that the RAM user belongs to the account of this {service.edition} ({service.region})."
        )
        check_registry_v2(probe, target, target.url, username=login.username, password=login.password,
                          hints={"auth": refused})
