"""AWS ECR (`aws-ecr`): access keys exchanged for a registry token (GetAuthorizationToken)."""

from __future__ import annotations

import re

from endpoints.probe.engine import Probe, StepFailed
from endpoints.probe.flows import check_registry_v2
from endpoints.probe.result import Category
from endpoints.probe.target import Target
from endpoints.providers._common import add_error, closest, host_of, path_of
from endpoints.providers.base import FieldErrors, Provider, UrlMode, UrlSuggestion
from endpoints.providers.ecr_token import EcrApi, request_token

# The regions Harbor's ECR adapter offers (harbor-adapters.md §4).
AWS_REGIONS: tuple[str, ...] = (
    "us-east-2", "us-east-1", "us-west-1", "us-west-2", "af-south-1", "ap-east-1", "ap-east-2",
    "ap-south-1", "ap-south-2", "ap-northeast-3", "ap-northeast-2", "ap-southeast-1",
    "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6",
    "ap-southeast-7", "ap-northeast-1", "ca-central-1", "ca-west-1", "cn-north-1", "cn-northwest-1",
    "eu-central-1", "eu-central-2", "eu-west-1", "eu-west-2", "eu-south-1", "eu-south-2", "eu-west-3",
    "eu-north-1", "il-central-1", "me-south-1", "me-central-1", "mx-central-1", "sa-east-1",
    "us-gov-east-1", "us-gov-west-1",
)  # fmt: skip

ECR_HOST_RE = re.compile(
    r"^(?:api|(?P<account>\d+)\.dkr)\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?P<cn>\.cn)?$"
)
REGION_IN_HOST_RE = re.compile(r"(?:^|\.)([a-z]{2}(?:-[a-z]+)+-\d+)(?:\.|$)")
ACCESS_KEY_ID_RE = re.compile(r"^(?:AKIA|ASIA)[A-Z0-9]{16}$")


def host_suffix(region: str) -> str:
    return ".amazonaws.com.cn" if region.startswith("cn-") else ".amazonaws.com"


def api_url(region: str) -> str:
    return f"https://api.ecr.{region}{host_suffix(region)}"


def url_error(url: str) -> str | None:
    """What is wrong with an ECR URL, naming the closest correct form; None when it is fine."""
    host = host_of(url)
    match = ECR_HOST_RE.match(host)
    region = match["region"] if match else next(iter(REGION_IN_HOST_RE.findall(host)), "")
    if region and region not in AWS_REGIONS:
        guess = closest(region, AWS_REGIONS)
        hint = f"did you mean {guess} ({api_url(guess)})?" if guess else "pick one from the suggestions."
        return f"“{region}” is not an AWS region that ECR serves: {hint}"
    if not match:
        return (
            f"Enter an ECR URL such as {api_url(region or 'us-east-1')} or https://<12-digit account "
            f"ID>.dkr.ecr.{region or '<region>'}{host_suffix(region)}; pick your region from the "
            "suggestions."
        )
    if not url.startswith("https://"):
        return f"AWS ECR is only reachable over https: enter https://{host}."
    if match["account"] and len(match["account"]) != 12:
        return f"An AWS account ID has 12 digits, not {len(match['account'])}: correct it in the URL."
    if bool(match["cn"]) != region.startswith("cn-"):
        fixed = host.removesuffix(".cn").removesuffix(".amazonaws.com") + host_suffix(region)
        return f"ECR hosts in {region} end in {host_suffix(region)}: enter https://{fixed}."
    if path_of(url):
        return f"Remove “{path_of(url)}” from the URL: the repository is chosen in the replication rule."
    return None


class AwsEcr(Provider):
    key = "aws-ecr"
    empty_credentials_use_server_identity = True
    label = "AWS ECR"

    url_mode = UrlMode.SUGGESTIONS
    url_placeholder = "https://api.ecr.<region>.amazonaws.com"
    url_help = (
        "Pick your region: https://api.ecr.<region>.amazonaws.com (China regions end in "
        ".amazonaws.com.cn). To use another AWS account's registry, enter "
        "https://<12-digit account ID>.dkr.ecr.<region>.amazonaws.com. Enter the host only: "
        "repositories are chosen in replication rules."
    )

    access_id_placeholder = "AKIA… (20 characters)"
    access_id_help = (
        "AWS ECR adapters should use access keys, not a username and password: enter the IAM access "
        "key ID (20 characters, starting with AKIA) from IAM → Users → Security credentials → Access "
        "keys. Leave Access ID and Access Secret empty to use this server's default AWS credentials "
        "chain (environment variables, shared config, or the EC2 instance role / EKS pod role)."
    )
    access_secret_placeholder = "Secret access key"
    access_secret_help = (
        "The secret access key shown once when the access key was created. The access key should "
        "have sufficient permissions, such as storage permission: ecr:GetAuthorizationToken, plus "
        "ecr:BatchGetImage and ecr:GetDownloadUrlForLayer to pull, and ecr:InitiateLayerUpload, "
        "ecr:UploadLayerPart, ecr:CompleteLayerUpload, ecr:PutImage and ecr:CreateRepository to "
        "push (the AmazonEC2ContainerRegistryPowerUser policy covers them)."
    )

    def url_suggestions(self) -> list[UrlSuggestion]:
        return [UrlSuggestion(region, api_url(region)) for region in AWS_REGIONS]

    def clean(self, url: str, access_id: str, access_secret: str, secret_given: bool) -> FieldErrors:
        errors: FieldErrors = {}
        if url and (problem := url_error(url)):
            add_error(errors, "url", problem)
        if secret_given and not access_id:
            add_error(
                errors,
                "access_id",
                "Enter the access key ID that goes with this secret access key, or clear the Access "
                "Secret to use the server's default AWS credentials chain.",
            )
        elif access_id and not ACCESS_KEY_ID_RE.match(access_id):
            add_error(
                errors,
                "access_id",
                "This is not an AWS access key ID: enter the 20-character key ID that starts with AKIA "
                "(uppercase letters and digits), not an IAM user name or the secret access key.",
            )
        elif access_id and not secret_given:
            add_error(errors, "access_secret", "Enter the secret access key for this access key ID.")
        return errors

    def check(self, probe: Probe, target: Target) -> None:
        """GetAuthorizationToken with the keys, then the proxyEndpoint's /v2/ with Basic AWS:<token>."""

        host = host_of(target.url)
        match = ECR_HOST_RE.match(host)
        if match is None:  # clean() refuses such URLs before any check runs
            raise StepFailed(Category.INVALID, f"{host} is not an ECR host", "Correct Endpoint URL.")
        region = match["region"]
        if host.startswith("api."):
            default_api = f"https://{host}"
        elif ".ecr-fips." in host:
            default_api = f"https://ecr-fips.{region}{host_suffix(region)}"
        else:
            default_api = api_url(region)
        api = EcrApi.from_environment(default_api, region)
        with probe.step("AWS GetAuthorizationToken") as step:
            token = request_token(probe, api, match["account"], target.access_id, target.access_secret)
            step.detail = f"{api.named} issued a token for {token.proxy_endpoint} to {token.credentials}"
        registry = host_of(token.proxy_endpoint)
        with probe.advice(auth=(
            f"The registry {registry} refused the token AWS issued to {token.credentials}: check that "
            "this key's "
            "account owns the registry (or was granted access to it) and that this server's clock is right."
        )):
            check_registry_v2(probe, target, token.proxy_endpoint, username=token.username,
                              password=token.password)
