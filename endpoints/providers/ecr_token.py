"""ECR GetAuthorizationToken through boto3, with botocore's errors in the admin's words.

boto3 does its own HTTP, outside the seam. So before it runs, the ECR API host it will call
is resolved and checked against the address policy; its timeouts are the ENDPOINT_* ones
bounded by what is left of the check, with a single attempt. boto3 never reads ~/.netrc.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import boto3
import botocore.config
from botocore import exceptions as aws
from django.conf import settings

from endpoints.probe import policy
from endpoints.probe.engine import StepFailed
from endpoints.probe.http import proxy_for
from endpoints.probe.result import Category

if TYPE_CHECKING:
    from endpoints.probe.engine import Probe

# Some endpoints (and moto) answer XML that botocore's JSON parser leaves in the message.
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
CLIENT_ERRORS: dict[str, tuple[str, str]] = {
    "InvalidClientTokenId": KEY_UNKNOWN,
    "UnrecognizedClientException": KEY_UNKNOWN,
    "SignatureDoesNotMatch": WRONG_SECRET,
    "InvalidSignatureException": WRONG_SECRET,
    "AccessDenied": NO_PERMISSION,
    "AccessDeniedException": NO_PERMISSION,
    "ExpiredToken": ("the temporary credentials have expired", "Refresh this server's credentials."),
    "ExpiredTokenException": ("the temporary credentials have expired", "Refresh this server's credentials."),
}
CREDENTIAL_SOURCES = {
    "explicit": "the access key {key}",
    "env": "the access key {key} from AWS_ACCESS_KEY_ID",
    "iam-role": "the EC2 instance role's key",
    "container-role": "the container role's key",
    "assume-role-with-web-identity": "the web-identity (EKS pod) role's key",
}


@dataclass(frozen=True)
class EcrToken:
    username: str
    password: str = field(repr=False)
    proxy_endpoint: str
    credentials: str  # whose key obtained it, in words
    api_host: str  # the ECR API host and the addresses the policy allowed


def police_api_host(probe: Probe, endpoint_url: str) -> str:
    """Refuse the ECR API host before boto3 connects to it; returns what was checked."""
    parts = urlsplit(endpoint_url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if policy.route(host, port, policy.connect_rules())[2] is not None:
        probe.warn(
            f"ENDPOINT_CONNECT_TO does not apply to the AWS API ({host}): boto3 connects by "
            "itself. Set AWS_ENDPOINT_URL_ECR to send it elsewhere."
        )
    rules = policy.AddressPolicy.from_settings()
    if proxy_for(endpoint_url):
        if (literal := policy.literal_address(host)) is not None:
            rules.check(literal, host)
        return f"{host} (through the proxy)"
    timeout = min(float(settings.ENDPOINT_CONNECT_TIMEOUT), probe.remaining())
    addresses = policy.resolve(host, port, timeout)
    for address in addresses:
        rules.check(address, host)
    return f"{host} ({', '.join(str(a) for a in addresses)})"


def request_token(probe: Probe, region: str, account: str | None, fips: bool,
                  access_id: str, secret: str, verify: bool) -> EcrToken:
    keys = {"aws_access_key_id": access_id, "aws_secret_access_key": secret} if access_id else {}
    remaining = max(probe.remaining(), 0.1)
    config = botocore.config.Config(
        connect_timeout=min(float(settings.ENDPOINT_CONNECT_TIMEOUT), remaining),
        read_timeout=min(float(settings.ENDPOINT_READ_TIMEOUT), remaining),
        retries={"total_max_attempts": 1},  # no retries: the check has a deadline
        use_fips_endpoint=fips,
    )
    api_host = ""
    try:
        session = boto3.session.Session(region_name=region, **keys)  # no keys: the default chain
        client = session.client("ecr", config=config, verify=verify)
        api_host = police_api_host(probe, client.meta.endpoint_url)
        credentials = session.get_credentials()
        if credentials is None:
            raise aws.NoCredentialsError()
        whose = CREDENTIAL_SOURCES.get(credentials.method, "the key from {method}").format(
            key=credentials.access_key, method=credentials.method
        )
        answer = client.get_authorization_token(**({"registryIds": [account]} if account else {}))
    except (aws.BotoCoreError, aws.ClientError) as exc:
        raise explain(exc, api_host, access_id) from None
    data = (answer.get("authorizationData") or [{}])[0]
    encoded, proxy_endpoint = data.get("authorizationToken") or "", data.get("proxyEndpoint") or ""
    probe.add_sensitive(encoded)
    try:
        username, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        username = password = ""
    probe.add_sensitive(password)
    if not (username and password and proxy_endpoint.startswith("https://")):
        raise StepFailed(
            Category.PROVIDER, "GetAuthorizationToken answered without a usable token or proxyEndpoint",
            f"The ECR API at {api_host} is not behaving like AWS: check AWS_ENDPOINT_URL_ECR.",
        )
    return EcrToken(username, password, proxy_endpoint, whose, api_host)


def client_error(exc: aws.ClientError) -> tuple[str, str]:
    error = exc.response.get("Error", {})
    code, message = str(error.get("Code", "")), str(error.get("Message", ""))
    found = dict(XML_FIELD_RE.findall(message))
    return found.get("Code", code), found.get("Message", message)


def explain(exc: Exception, api_host: str, access_id: str) -> StepFailed:
    """A StepFailed built from the error's type and code, never from its text alone."""
    if isinstance(exc, aws.NoCredentialsError):
        return StepFailed(
            Category.AUTH, "Access ID is empty and this server's default AWS credentials chain "
            "found no credentials",
            "Enter an access key ID and secret access key, or give this server credentials: "
            "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY in its environment, ~/.aws/credentials, "
            "or an EC2 instance role / EKS pod role (IRSA).",
        )
    if isinstance(exc, aws.ClientError):
        code, message = client_error(exc)
        key = f"the access key {access_id}" if access_id else "the default credentials chain's key"
        if code in CLIENT_ERRORS:
            meaning, fix = CLIENT_ERRORS[code]
            said = f": {message[:200]}" if code.startswith("AccessDenied") and message else ""
            return StepFailed(Category.AUTH, f"AWS refused {key} with {code}: {meaning}{said}", fix)
        if "Throttl" in code or code == "TooManyRequestsException":
            return StepFailed(Category.RATE_LIMITED, f"{api_host} answered {code}",
                              "AWS is throttling this account's ECR API calls: test again later.")
        return StepFailed(
            Category.PROVIDER, f"GetAuthorizationToken failed with {code or 'an error'}: {message[:200]}",
            "Check the region in Endpoint URL and the AWS service health.",
        )
    where = f"the ECR API at {api_host}" if api_host else "the ECR API"
    if isinstance(exc, aws.ConnectTimeoutError | aws.ReadTimeoutError):
        return StepFailed(
            Category.TIMEOUT, f"{where} did not answer in time",
            "Check this server's route to AWS (firewall, HTTPS_PROXY), or raise "
            "ENDPOINT_CONNECT_TIMEOUT / ENDPOINT_READ_TIMEOUT.",
        )
    if isinstance(exc, aws.SSLError):
        return StepFailed(Category.TLS, f"the TLS handshake with {where} failed",
                          "A TLS-intercepting proxy needs its CA in AWS_CA_BUNDLE.")
    if isinstance(exc, aws.EndpointConnectionError | aws.ProxyConnectionError | aws.HTTPClientError):
        return StepFailed(
            Category.CONNECT, f"cannot connect to {where}",
            "Check that this server can reach AWS (routes, firewall, HTTPS_PROXY), and "
            "AWS_ENDPOINT_URL_ECR if it is set.",
        )
    return StepFailed(
        Category.PROVIDER, f"the AWS SDK stopped with {type(exc).__name__}",
        "Check this server's AWS configuration (AWS_PROFILE, ~/.aws/config).",
    )
