"""ECR GetAuthorizationToken through the seam, with AWS's errors in the admin's words.

botocore only finds the credentials (the keys entered, or this server's default chain) and
signs the request (SigV4). probe.http sends it, so the address policy on the address really
dialled, ENDPOINT_CONNECT_TO, the timeouts and the whole test's deadline, the body cap, the
proxy settings and the endpoint's CA Certificate apply as for any registry call.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from endpoints.probe.engine import Probe
from endpoints.probe.errors import OutboundError, StepFailed
from endpoints.probe.http import Response
from endpoints.probe.result import Category

if TYPE_CHECKING:
    from botocore.credentials import Credentials

TARGET = "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken"
CONTENT_TYPE = "application/x-amz-json-1.1"
# How the AWS SDKs and CLI are pointed elsewhere (LocalStack, moto, a VPC endpoint).
ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL_ECR", "AWS_ENDPOINT_URL")
# Query-protocol endpoints (and moto) answer auth failures in XML.
XML_FIELD_RE = re.compile(r"<(Code|Message)>([^<]*)</\1>")

NO_PERMISSION = (
    "the key has no ecr:GetAuthorizationToken permission",
    "Attach a policy allowing ecr:GetAuthorizationToken to the IAM user or role of this key "
    "(AmazonEC2ContainerRegistryReadOnly or ...PowerUser cover it).",
)
KEY_UNKNOWN = (
    "the access key ID does not exist",
    "Copy the access key ID again from IAM → Users → Security credentials → Access keys: this "
    "one was deleted, mistyped, or belongs to another partition (China, GovCloud).",
)
WRONG_SECRET = (
    "the secret access key does not match the key ID",
    "Enter the secret access key shown when this access key was created (if it is lost, create "
    "a new access key), and check that this server's clock is right.",
)
EXPIRED = ("the temporary credentials have expired", "Refresh this server's AWS credentials.")
AUTH_ERRORS: dict[str, tuple[str, str]] = {
    "InvalidClientTokenId": KEY_UNKNOWN,
    "UnrecognizedClientException": KEY_UNKNOWN,
    "SignatureDoesNotMatch": WRONG_SECRET,
    "InvalidSignatureException": WRONG_SECRET,
    "AccessDenied": NO_PERMISSION,
    "AccessDeniedException": NO_PERMISSION,
    "ExpiredToken": EXPIRED,
    "ExpiredTokenException": EXPIRED,
}
THROTTLING = ("ThrottlingException", "Throttling", "TooManyRequestsException")
CREDENTIAL_SOURCES = {
    "explicit": "the access key {key}",
    "env": "the access key {key} from AWS_ACCESS_KEY_ID",
    "shared-credentials-file": "the access key {key} from the shared credentials file",
    "config-file": "the access key {key} from the AWS config file",
    "iam-role": "the EC2 instance role's key",
    "container-role": "the container role's key",
    "assume-role-with-web-identity": "the web-identity (EKS pod) role's key",
}
NO_CREDENTIALS = (
    "Access ID is empty and this server's default AWS credentials chain found no credentials",
    "Enter an access key ID and secret access key, or give this server credentials: "
    "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY in its environment, ~/.aws/credentials, or an "
    "EC2 instance role / EKS pod role (IRSA).",
)


@dataclass(frozen=True)
class EcrApi:
    """Where GetAuthorizationToken goes: AWS's regional host, or what the environment says."""

    url: str  # scheme and host, no trailing slash
    region: str  # the SigV4 signing region
    set_by: str = ""  # the environment variable that chose `url`, if one did

    @classmethod
    def from_environment(cls, default_url: str, region: str) -> EcrApi:
        """AWS_ENDPOINT_URL_ECR or AWS_ENDPOINT_URL when set, as for the AWS SDKs; else `default_url`."""
        for name in ENDPOINT_VARIABLES:
            if url := os.environ.get(name, "").strip():
                return cls(url.rstrip("/"), region, name)
        return cls(default_url, region)

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc

    @property
    def named(self) -> str:
        return f"{self.host} (from {self.set_by})" if self.set_by else self.host

    def route_hint(self) -> str:
        if self.set_by:
            return (f"{self.set_by} (a server setting) sends the ECR API calls to {self.url}: ask the "
                    "operator of this server to check that address")
        return (f"This server must reach {self.host} over HTTPS to exchange the keys for a "
                "registry token: ask the operator of this server to check routes, firewalls, and "
                "HTTPS_PROXY, NO_PROXY and ENDPOINT_CONNECT_TO (server settings)")


@dataclass(frozen=True)
class EcrToken:
    username: str
    password: str = field(repr=False)
    proxy_endpoint: str
    credentials: str  # whose key obtained it, in words


def find_credentials(probe: Probe, access_id: str, secret: str) -> tuple[Credentials, str]:
    """The keys entered, or this server's default chain; their secrets become sensitive."""
    # botocore is imported by the ECR check only: every manage.py command and web worker
    # loads the provider registry, and botocore alone costs ~40 ms to import.
    import botocore.session
    from botocore.credentials import Credentials
    from botocore.exceptions import BotoCoreError

    if access_id:
        credentials, method = Credentials(access_id, secret), "explicit"
    else:
        try:
            found = botocore.session.Session().get_credentials()
            frozen = found.get_frozen_credentials() if found is not None else None
        except BotoCoreError as exc:  # a broken profile, an unreachable role provider
            raise StepFailed(
                Category.PROVIDER,
                f"This server's default AWS credentials chain stopped with {type(exc).__name__}",
                "Ask the operator of this server to check its AWS configuration (AWS_PROFILE, "
                "~/.aws/config, the role), or enter an access key.",
            ) from None
        if found is None or frozen is None or not frozen.access_key:
            raise StepFailed(Category.AUTH, *NO_CREDENTIALS)
        credentials = Credentials(frozen.access_key, frozen.secret_key, frozen.token)
        method = found.method
    probe.add_sensitive(credentials.secret_key)
    probe.add_sensitive(credentials.token or "")
    whose = CREDENTIAL_SOURCES.get(method, "the access key {key} from {method}")
    return credentials, whose.format(key=credentials.access_key, method=method)


def request_token(probe: Probe, api: EcrApi, account: str | None, access_id: str,
                  secret: str) -> EcrToken:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    credentials, whose = find_credentials(probe, access_id, secret)
    body = json.dumps({"registryIds": [account]} if account else {}).encode()
    signed = AWSRequest("POST", f"{api.url}/", data=body,
                        headers={"Content-Type": CONTENT_TYPE, "X-Amz-Target": TARGET})
    SigV4Auth(credentials, "ecr", api.region).add_auth(signed)
    try:
        response = probe.http.request("POST", f"{api.url}/", headers=dict(signed.headers.items()),
                                      data=body, operator_url=bool(api.set_by))
    except (OutboundError, StepFailed) as exc:
        raise unreachable(probe, exc, api) from None
    document = response.json()
    if 200 <= response.status < 300 and isinstance(document, dict):
        return read_token(probe, document, api, whose)
    raise refusal(response, document, api, whose)


def read_token(probe: Probe, document: dict[str, Any], api: EcrApi, whose: str) -> EcrToken:
    data = document.get("authorizationData")
    first = data[0] if isinstance(data, list) and data and isinstance(data[0], dict) else {}
    encoded, proxy_endpoint = first.get("authorizationToken"), first.get("proxyEndpoint")
    username = password = ""
    if isinstance(encoded, str):
        probe.add_sensitive(encoded)
        try:
            username, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            pass
        probe.add_sensitive(password)
    if not (username and password and isinstance(proxy_endpoint, str)
            and proxy_endpoint.startswith("https://")):
        raise StepFailed(
            Category.PROVIDER,
            f"The ECR API at {api.named} answered GetAuthorizationToken without a usable token or "
            "proxyEndpoint",
            f"The ECR API at {api.host} is not behaving like AWS: ask the operator of this server to "
            "check AWS_ENDPOINT_URL_ECR (a server setting).",
        )
    return EcrToken(username, password, proxy_endpoint, whose)


def unreachable(probe: Probe, exc: OutboundError | StepFailed, api: EcrApi) -> StepFailed:
    """The call got no answer: the seam's detail, with a hint about the ECR API rather than
    Endpoint URL, also on the DNS / policy / TCP / TLS step that failed first, if one did."""
    hint = api.route_hint() + "."
    if exc.category == Category.BLOCKED:
        where = (f"correct {api.set_by} ({api.url})" if api.set_by
                 else f"check where ENDPOINT_CONNECT_TO and DNS send {api.host}")
        hint = ("ENDPOINT_DENY_NETWORKS / ENDPOINT_ALLOW_NETWORKS (server settings) refuse the ECR "
                "API's address: ask the operator of this server to change them if this server may "
                f"call it there, or to {where}.")
    elif exc.category == Category.TLS:
        hint = (f"A TLS-intercepting proxy between this server and {api.host} needs its CA in this "
                "endpoint's CA Certificate" + (f"; otherwise ask the operator of this server to check "
                                               f"{api.set_by} ({api.url}, a server setting)."
                                               if api.set_by else "."))
    elif exc.category == Category.TIMEOUT:
        setting = next((s for s in ("ENDPOINT_TEST_DEADLINE", "ENDPOINT_READ_TIMEOUT")
                        if s in exc.detail), "ENDPOINT_CONNECT_TIMEOUT")
        hint += f" If AWS is only slow from here, ask the operator of this server to raise {setting}."
    if isinstance(exc, StepFailed):
        probe.revise(exc, hint=hint)
    return StepFailed(exc.category, f"The ECR API at {api.named} is not reachable from here: "
                      f"{exc.detail[:1].lower() + exc.detail[1:]}", hint)


def error_of(response: Response, document: Any) -> tuple[str, str]:
    """AWS's error code and message, from the JSON protocol, an XML body or the header."""
    if isinstance(document, dict):
        code = str(document.get("__type") or document.get("code") or "").rpartition("#")[2]
        message = str(document.get("message") or document.get("Message") or "")
    else:
        found = dict(XML_FIELD_RE.findall(response.body.decode("utf-8", "replace")))
        code, message = found.get("Code", ""), found.get("Message", "")
    code = code or response.headers.get("x-amzn-ErrorType", "").partition(":")[0]
    return code.strip(), re.sub(r"[^\x20-\x7e]+", " ", message).strip()[:200]


def refusal(response: Response, document: Any, api: EcrApi, whose: str) -> StepFailed:
    """A StepFailed built from AWS's error code, never from its message alone."""
    code, message = error_of(response, document)
    status = response.status
    if code in AUTH_ERRORS:
        meaning, fix = AUTH_ERRORS[code]
        said = f": {message}" if code.startswith("AccessDenied") and message else ""
        return StepFailed(Category.AUTH, f"AWS refused {whose} with {code}: {meaning}{said}", fix,
                          status=status)
    if code in THROTTLING or status == 429:
        return StepFailed(Category.RATE_LIMITED, f"The ECR API at {api.named} answered {code or status}",
                          "AWS is throttling this account's ECR API calls: test again later.",
                          status=status)
    if code:
        said = f": {message}" if message else ""
        return StepFailed(Category.PROVIDER, f"GetAuthorizationToken failed with {code}{said}",
                          "Check the region in Endpoint URL and the AWS service health.", status=status)
    excerpt = f": {response.excerpt()}" if response.excerpt() else ""
    return StepFailed(
        Category.HTTP if status >= 300 else Category.PROVIDER,
        f"The ECR API at {api.named} answered GetAuthorizationToken with HTTP {status}{excerpt}",
        f"Something other than the ECR API answers at {api.host}. {api.route_hint()}.",
        status=status,
    )
