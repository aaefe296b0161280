"""The Tencent Cloud side of a TCR check: find the instance the URL names (DescribeInstances,
in every region) and get a temporary registry token for it (CreateInstanceToken).

Both calls are TC3-signed (tc3_signing) and go through the seam (probe.http), so the address
policy, ENDPOINT_CONNECT_TO, the timeouts and deadline, the proxy settings and the endpoint's
CA Certificate apply as to any registry call. Tencent answers errors with HTTP 200 and
`Response.Error` {Code, Message}; each code is read, never the message alone.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from endpoints.probe.engine import Probe
from endpoints.probe.errors import OutboundError, StepFailed
from endpoints.probe.result import Category
from endpoints.providers import cloud_api
from endpoints.providers.tc3_signing import TCR_API_HOST, tc3_headers

API_URL = f"https://{TCR_API_HOST}/"
BOOTSTRAP_REGION = "ap-guangzhou"  # what Harbor sends; AllRegion makes the lookup global
API_KEYS_PAGE = "Cloud Access Management → Access Key → API Keys"

KEY_UNKNOWN = ("the SecretId does not exist", f"Copy the SecretId again from {API_KEYS_PAGE}: this one "
               "was deleted, disabled or mistyped.")
NOT_AN_API_KEY = ("it is not an API key's SecretId", f"Enter the SecretId of an API key from "
                  f"{API_KEYS_PAGE}, not a TCR access token or the docker login user.")
WRONG_SECRET = ("the SecretKey does not match the SecretId", "Enter the SecretKey shown with this SecretId "
                f"under {API_KEYS_PAGE}.")
NO_PERMISSION = ("the key's CAM policy does not allow it", "Grant the sub-user of this key a CAM policy "
                 "that allows tcr:DescribeInstances and tcr:CreateInstanceToken (QcloudTCRFullAccess covers "
                 "both).")
AUTH_ERRORS = {
    "AuthFailure.SecretIdNotFound": KEY_UNKNOWN,
    "AuthFailure.InvalidSecretId": NOT_AN_API_KEY,
    "AuthFailure.SignatureFailure": WRONG_SECRET,
    "AuthFailure.InvalidAuthorization": WRONG_SECRET,
    "AuthFailure.UnauthorizedOperation": NO_PERMISSION,
    "AuthFailure.MFAFailure": NO_PERMISSION,
    "UnauthorizedOperation": NO_PERMISSION,
}
CLOCK_HINT = ("This server's clock is more than 5 minutes off Tencent Cloud's: ask the operator of this "
              "server to synchronise it (NTP).")


@dataclass(frozen=True)
class TcrInstance:
    registry_id: str
    name: str
    region: str
    status: str


@dataclass(frozen=True)
class InstanceToken:
    username: str
    password: str = field(repr=False)
    expires: str


def find_instance(probe: Probe, name: str, host: str, secret_id: str, secret_key: str) -> TcrInstance:
    """The instance whose name (or public domain) is the URL's: the name filter may answer
    more than one (Harbor takes the first), so the answer is compared, not trusted."""
    query = {"AllRegion": True, "Filters": [{"Name": "RegistryName", "Values": [name]}]}
    answer = call(probe, "DescribeInstances", BOOTSTRAP_REGION, query, secret_id, secret_key)
    listed = [r for r in answer.get("Registries") or [] if isinstance(r, dict)]
    for registry in listed:
        if registry.get("RegistryName") == name or str(registry.get("PublicDomain", "")).lower() == host:
            return TcrInstance(str(registry.get("RegistryId", "")), name, str(registry.get("RegionName", "")),
                               str(registry.get("Status", "")))
    others = [str(r.get("RegistryName"))[:64] for r in listed][:5]
    seen = f" (it lists only {', '.join(others)})" if others else ""
    raise StepFailed(
        Category.AUTH,
        f"DescribeInstances found no TCR instance named {name} for the SecretId {secret_id}{seen}",
        f"Use an API key of the account that owns {host} (or one whose CAM policy covers this instance), "
        "and check the instance name in Endpoint URL against the TCR console → Instances.",
    )


def instance_token(probe: Probe, instance: TcrInstance, secret_id: str, secret_key: str) -> InstanceToken:
    answer = call(probe, "CreateInstanceToken", instance.region, {"RegistryId": instance.registry_id},
                  secret_id, secret_key)
    username, token = answer.get("Username"), answer.get("Token")
    if not (isinstance(username, str) and username and isinstance(token, str) and token):
        raise StepFailed(Category.PROVIDER, f"CreateInstanceToken answered without a user name and token "
                         f"for {instance.registry_id}", "The TCR API is not behaving as documented: test "
                         "again later, or ask Tencent Cloud support with the instance ID.")
    probe.add_sensitive(token)  # the user name is the account ID, not a secret
    return InstanceToken(username, token, _when(answer.get("ExpTime")))


def call(probe: Probe, action: str, region: str, params: dict, secret_id: str, secret_key: str) -> dict:
    """One signed call; Tencent's `Response` object, or a StepFailed in the admin's words."""
    body = json.dumps(params, separators=(",", ":")).encode()
    headers = tc3_headers(secret_id, secret_key, action=action, region=region, body=body)
    try:
        response = probe.http.request("POST", API_URL, headers=headers, data=body)
    except (OutboundError, StepFailed) as exc:
        raise unreachable(probe, exc) from None
    document = response.json()
    answer = document.get("Response") if isinstance(document, dict) else None
    if response.status != 200 or not isinstance(answer, dict):
        raise StepFailed(
            Category.HTTP if response.status >= 300 else Category.PROVIDER,
            f"The TCR API at {TCR_API_HOST} answered {action} with HTTP {response.status} and no Tencent "
            "Cloud response",
            f"Something other than the TCR API answers at {TCR_API_HOST}: ask the operator of this server "
            "to check its proxy and ENDPOINT_CONNECT_TO (server settings).", status=response.status,
        )
    error = answer.get("Error")
    if isinstance(error, dict):
        raise refusal(action, error, secret_id)
    return answer


def refusal(action: str, error: dict[str, Any], secret_id: str) -> StepFailed:
    code = re.sub(r"[^A-Za-z0-9.]", "", str(error.get("Code", "")))[:80] or "an unnamed error"
    message = re.sub(r"[^\x20-\x7e]+", " ", str(error.get("Message", ""))).strip()[:160]
    if code in AUTH_ERRORS or code.startswith("UnauthorizedOperation"):
        meaning, fix = AUTH_ERRORS.get(code, NO_PERMISSION)
        return StepFailed(Category.AUTH,
                          f"The TCR API refused the SecretId {secret_id} with {code}: {meaning}", fix)
    if code == "AuthFailure.SignatureExpire":
        return StepFailed(Category.PROVIDER, f"The TCR API refused {action} with {code}: the request's "
                          "timestamp is too far from Tencent Cloud's time", CLOCK_HINT)
    if code.startswith("RequestLimitExceeded"):
        return StepFailed(Category.RATE_LIMITED, f"The TCR API answered {action} with {code}",
                          "Tencent Cloud is limiting this account's API calls: test again in a minute.")
    if code.startswith("ResourceNotFound"):
        return StepFailed(Category.AUTH, f"The TCR API answered {action} with {code}: the instance is not "
                          f"visible to the SecretId {secret_id}", "Use an API key of the account that owns "
                          "the instance, or one whose CAM policy covers it.")
    said = f": {message}" if message else ""
    return StepFailed(Category.PROVIDER, f"The TCR API answered {action} with {code}{said}",
                      "Check the instance's state in the TCR console and Tencent Cloud's service health.")


def unreachable(probe: Probe, exc: OutboundError | StepFailed) -> StepFailed:
    """No answer from the API: the seam's detail, with a hint about the TCR API rather than
    Endpoint URL, also on the DNS / policy / TCP / TLS step that failed first."""
    return cloud_api.unreachable(probe, exc, api="The TCR API", host=TCR_API_HOST, cloud="Tencent Cloud",
                                 purpose="exchange the API key for a registry token")


def _when(epoch_ms: object) -> str:
    if isinstance(epoch_ms, int | float) and epoch_ms > 0:
        return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M UTC")
    return "an unstated time"
