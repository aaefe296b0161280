"""The VolcEngine side of a CR check: GetAuthorizationToken (service `cr`, version
2022-05-12) on the VolcEngine OpenAPI turns an AccessKey into a temporary registry login.

The request is signed by VolcEngine's own `volcenginesdk-core` (`SignerV4.sign` signs a
header dict and sends nothing) and sent through the seam (probe.http), so the address
policy, ENDPOINT_CONNECT_TO, the timeouts and deadline, the proxy settings and the endpoint's
CA Certificate apply as to any registry call. VolcEngine answers errors with HTTP 4xx/5xx and
`ResponseMetadata.Error` {Code, Message}; each code is read, never the message alone.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from endpoints.probe.engine import Probe
from endpoints.probe.errors import OutboundError, StepFailed
from endpoints.probe.http import Response
from endpoints.probe.result import Category
from endpoints.providers import cloud_api

# Harbor's SDK, and volcenginesdk-core's default resolver, send cr calls in every ordinary
# region to the global host; the signature names the instance's region.
API_HOST = "open.volcengineapi.com"
QUERY = {"Action": "GetAuthorizationToken", "Version": "2022-05-12"}
API_URL = f"https://{API_HOST}/?Action={QUERY['Action']}&Version={QUERY['Version']}"
CONTENT_TYPE = "application/json; charset=utf-8"
KEYS_PAGE = "the VolcEngine console → Access control → API access keys"

KEY_UNKNOWN = ("the Access Key ID does not exist or is disabled", f"Copy the Access Key ID again from "
               f"{KEYS_PAGE}: this one was deleted, disabled or mistyped.")
WRONG_SECRET = ("the Secret Access Key does not match the Access Key ID", "Enter the Secret Access Key of "
                "this Access Key ID (if it is lost, create a new API access key).")
NOT_A_KEY = ("the request's Authorization was refused", "Enter the Access Key ID and Secret Access Key of an "
             "API access key, not the temporary docker login user and password.")
NO_PERMISSION = ("the key's IAM policy does not allow it", "Grant the IAM user of this key a policy that "
                 "allows cr:GetAuthorizationToken (and the CR read permissions replication needs).")
AUTH_ERRORS = {
    "InvalidAccessKey": KEY_UNKNOWN,
    "SignatureDoesNotMatch": WRONG_SECRET,
    "InvalidAuthorization": NOT_A_KEY,
    "InvalidCredential": NOT_A_KEY,
    "MissingSignature": NOT_A_KEY,
    "AccessDenied": NO_PERMISSION,
    "LackPolicy": NO_PERMISSION,
}


@dataclass(frozen=True)
class TemporaryLogin:
    username: str
    password: str = field(repr=False)
    expires: str


def signed_headers(access_key_id: str, secret: str, region: str, body: bytes) -> dict[str, str]:
    """Host, Content-Type, X-Date, X-Content-Sha256 and Authorization for GetAuthorizationToken.
    The library matches header names case-sensitively: these spellings are the ones it signs."""
    from volcenginesdkcore.signv4 import SignerV4  # ~150 ms to import: only when a check needs it

    headers = {"Host": API_HOST, "Content-Type": CONTENT_TYPE}
    SignerV4.sign("/", "POST", headers, body.decode(), {}, QUERY, access_key_id, secret, region, "cr")
    return headers


def temporary_login(probe: Probe, name: str, region: str, access_key_id: str, secret: str) -> TemporaryLogin:
    body = json.dumps({"Registry": name}, separators=(",", ":")).encode()
    headers = signed_headers(access_key_id, secret, region, body)
    try:
        response = probe.http.request("POST", API_URL, headers=headers, data=body)
    except (OutboundError, StepFailed) as exc:
        raise unreachable(probe, exc) from None
    document = response.json()
    metadata = document.get("ResponseMetadata") if isinstance(document, dict) else None
    error = metadata.get("Error") if isinstance(metadata, dict) else None
    if isinstance(error, dict):
        raise refusal(response, error, name, region, access_key_id)
    result = document.get("Result") if isinstance(document, dict) else None
    result = result if isinstance(result, dict) else {}
    username, token = result.get("Username"), result.get("Token")
    if response.status == 200 and isinstance(username, str) and username and isinstance(token, str) and token:
        probe.add_sensitive(token)  # the user name is not a secret
        return TemporaryLogin(username, token, _when(result.get("ExpireTime")))
    raise StepFailed(
        Category.HTTP if response.status >= 300 else Category.PROVIDER,
        f"The VolcEngine OpenAPI at {API_HOST} answered GetAuthorizationToken with HTTP {response.status} "
        "and no token",
        f"Something other than the VolcEngine OpenAPI answers at {API_HOST}: ask the operator of this server "
        "to check its proxy and ENDPOINT_CONNECT_TO (server settings).", status=response.status,
    )


def refusal(response: Response, error: dict, name: str, region: str, access_key_id: str) -> StepFailed:
    code = re.sub(r"[^A-Za-z0-9.]", "", str(error.get("Code", "")))[:80] or f"HTTP {response.status}"
    message = re.sub(r"[^\x20-\x7e]+", " ", str(error.get("Message", ""))).strip()[:160]
    status = response.status
    if code in AUTH_ERRORS:
        meaning, fix = AUTH_ERRORS[code]
        return StepFailed(Category.AUTH, f"The VolcEngine OpenAPI refused the Access Key ID {access_key_id} "
                          f"with {code}: {meaning}", fix, status=status)
    if code.startswith("NotFound"):
        return StepFailed(Category.AUTH, f"GetAuthorizationToken answered {code}: there is no instance "
                          f"{name} in {region} for the Access Key ID {access_key_id}",
                          f"Use an access key of the account that owns {name} in {region}, and check the "
                          "instance name and region in Endpoint URL against the Container Registry console.",
                          status=status)
    if code == "InvalidTimestamp":
        return StepFailed(Category.PROVIDER, f"The VolcEngine OpenAPI refused GetAuthorizationToken with "
                          f"{code}: the request's X-Date is too far from VolcEngine's time",
                          "This server's clock is more than 15 minutes off: ask the operator of this server "
                          "to synchronise it (NTP).", status=status)
    if status == 429 or "LimitExceeded" in code:
        return StepFailed(Category.RATE_LIMITED, f"The VolcEngine OpenAPI answered {code}",
                          "VolcEngine is limiting this account's API calls: test again in a minute.",
                          status=status)
    said = f": {message}" if message else ""
    hint = (f"The instance {name} is not Running (stopped for arrears, starting or being deleted): start it "
            "in the Container Registry console, then test again." if code == "OperationDenied.RegistryStatus"
            else "Check the instance in the Container Registry console and VolcEngine's service health.")
    return StepFailed(Category.PROVIDER, f"GetAuthorizationToken failed with {code}{said}", hint,
                      status=status)


def unreachable(probe: Probe, exc: OutboundError | StepFailed) -> StepFailed:
    """No answer from the OpenAPI: the seam's detail, with a hint about the OpenAPI rather
    than Endpoint URL, also on the DNS / policy / TCP / TLS step that failed first."""
    return cloud_api.unreachable(probe, exc, api="The VolcEngine OpenAPI", host=API_HOST, cloud="VolcEngine",
                                 purpose="exchange the access key for a registry login")


def _when(value: object) -> str:
    try:
        return datetime.fromisoformat(str(value)[:40]).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return "an unstated time"
