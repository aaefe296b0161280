"""The Alibaba Cloud side of an ACR check: what the registry's challenge says (region and
edition) and the OpenAPI call that turns a RAM AccessKey into temporary registry credentials.

Both calls go through the seam (probe.http); requests are signed by aliyun_signing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from endpoints.probe.engine import Probe, StepFailed
from endpoints.probe.flows import parse_challenge
from endpoints.probe.http import Response
from endpoints.probe.result import Category
from endpoints.providers.aliyun_signing import roa_headers, rpc_query

SERVICE_NAME = "registry.aliyuncs.com"
REGION_RE = re.compile(r"^[a-z]{2}(?:-[a-z0-9]+)+$")  # it becomes part of the API host name
PERSONAL_VERSION, ENTERPRISE_VERSION = "2016-06-07", "2018-12-01"

KEY_UNKNOWN = ("the AccessKey ID does not exist", "Copy the AccessKey ID again from the RAM console → "
               "Users → (user) → AccessKey: this one was deleted or mistyped.")
WRONG_SECRET = ("the AccessKey Secret does not match the AccessKey ID", "Enter the AccessKey Secret "
                "shown when this AccessKey was created (if it is lost, create a new AccessKey).")
NO_PERMISSION = ("the RAM user may not get registry credentials", "Grant the RAM user a Container "
                 "Registry policy allowing cr:GetAuthorizationToken, e.g. "
                 "AliyunContainerRegistryReadOnlyAccess (or ...FullAccess to push).")
AUTH_ERRORS = {
    "InvalidAccessKeyId.NotFound": KEY_UNKNOWN,
    "InvalidAccessKeyId": KEY_UNKNOWN,
    "InvalidAccessKeyId.Inactive": ("the AccessKey is disabled",
                                    "Enable the AccessKey in the RAM console, or create a new one."),
    "SignatureDoesNotMatch": WRONG_SECRET,
    "IncompleteSignature": WRONG_SECRET,
    "Forbidden.RAM": NO_PERMISSION,
    "Forbidden.NoPermission": NO_PERMISSION,
    "NoPermission": NO_PERMISSION,
    "Forbidden": NO_PERMISSION,
}


@dataclass(frozen=True)
class AcrService:
    region: str
    instance_id: str | None  # "cri-…" for an Enterprise Edition instance

    @property
    def edition(self) -> str:
        return f"Enterprise Edition instance {self.instance_id}" if self.instance_id else "Personal Edition"


@dataclass(frozen=True)
class TemporaryLogin:
    username: str
    password: str = field(repr=False)
    expires: str


def parse_service(service: str) -> AcrService | None:
    """`registry.aliyuncs.com:<region>[:…][:cri-…]`, or None for anything else."""
    parts = service.split(":")
    if len(parts) < 2 or parts[0] != SERVICE_NAME or not REGION_RE.match(parts[1]):
        return None
    instance = parts[-1] if len(parts) > 2 and parts[-1].startswith("cri-") else None
    return AcrService(parts[1], instance)


def read_challenge(probe: Probe, v2_url: str) -> AcrService:
    response = probe.http.request("GET", v2_url)
    challenge = parse_challenge(response.headers.get("WWW-Authenticate", ""))
    service = parse_service(challenge.service) if challenge and challenge.scheme == "bearer" else None
    if service is not None:
        return service
    if challenge is None:
        said = "no authentication challenge"
    elif challenge.scheme != "bearer":
        said = f"a {challenge.scheme.capitalize()} challenge"
    else:
        said = f"a Bearer challenge for the service “{challenge.service}”"
    raise StepFailed(
        Category.PROVIDER, f"The server at {v2_url} answered HTTP {response.status} with {said}",
        f"Not an Alibaba Cloud ACR registry URL? ACR asks for a token for the service "
        f"{SERVICE_NAME}:<region>. Enter the registry address shown in the Container Registry "
        "console, or choose the provider of the registry that answers here.",
    )


def temporary_login(probe: Probe, service: AcrService, access_key_id: str, secret: str) -> TemporaryLogin:
    api = f"cr.{service.region}.aliyuncs.com"
    if service.instance_id:
        query = rpc_query("GET", {"Action": "GetAuthorizationToken", "InstanceId": service.instance_id},
                          access_key_id, secret, version=ENTERPRISE_VERSION)
        response = probe.http.request("GET", f"https://{api}/?{query}")
    else:
        headers = roa_headers("GET", "/tokens", access_key_id, secret, version=PERSONAL_VERSION)
        response = probe.http.request("GET", f"https://{api}/tokens", headers=headers)
    body = response.json()
    if not isinstance(body, dict):
        raise StepFailed(
            Category.PROVIDER, f"The ACR API at {api} answered HTTP {response.status} without a JSON "
            "document",
            f"Something other than the ACR API answers at {api}: ask the operator of this server to "
            "check its proxy (HTTPS_PROXY, a server setting) and DNS.",
        )
    data = body.get("data") if isinstance(body.get("data"), dict) else body
    username = data.get("tempUserName") or data.get("TempUsername")
    password = data.get("authorizationToken") or data.get("AuthorizationToken")
    if 200 <= response.status < 300 and isinstance(username, str) and isinstance(password, str):
        probe.add_sensitive(password)  # the temporary user name is not a secret
        return TemporaryLogin(username, password, _when(data.get("expireDate") or data.get("ExpireTime")))
    raise api_failure(response, body, api, access_key_id, service)


def api_failure(response: Response, body: dict, api: str, access_key_id: str,
                service: AcrService) -> StepFailed:
    code = str(body.get("Code") or body.get("code") or f"HTTP {response.status}")
    if code in AUTH_ERRORS or code.startswith("Forbidden"):
        meaning, fix = AUTH_ERRORS.get(code, NO_PERMISSION)
        return StepFailed(Category.AUTH, f"The ACR API at {api} refused the AccessKey {access_key_id} "
                          f"with {code}: {meaning}", fix)
    if code.startswith("Throttling"):
        return StepFailed(Category.RATE_LIMITED, f"The ACR API at {api} answered {code}",
                          "Alibaba Cloud is throttling this account's API calls: test again later.")
    message = str(body.get("Message") or body.get("message") or "")[:160]
    if code.startswith("InvalidTimeStamp"):
        hint = "This server's clock is off: ask the operator of this server to synchronise it (NTP)."
    elif service.instance_id:
        hint = (f"Check that the {service.edition} exists in {service.region} and that the RAM user "
                "belongs to its account.")
    else:
        hint = f"Check the region ({service.region}) and the Alibaba Cloud service health."
    said = f": {message}" if message else ""
    return StepFailed(Category.PROVIDER, f"The ACR API at {api} answered {code}{said}", hint)


def _when(epoch_ms: object) -> str:
    if isinstance(epoch_ms, int | float) and epoch_ms > 0:
        return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M UTC")
    return "an unstated time"
