"""The one registry of providers. Model choices, forms, admin and the proxy-cache filter
all read it. Adding a provider: one new module, one line in PROVIDER_CLASSES."""

from __future__ import annotations

from django.conf import settings

from endpoints.probe import engine
from endpoints.probe.result import Verdict
from endpoints.probe.target import Target
from endpoints.providers.ali_acr import AliAcr
from endpoints.providers.artifact_hub import ArtifactHub
from endpoints.providers.aws_ecr import AwsEcr
from endpoints.providers.azure_acr import AzureAcr
from endpoints.providers.base import Provider
from endpoints.providers.docker_hub import DockerHub
from endpoints.providers.docker_registry import DockerRegistry
from endpoints.providers.dtr import Dtr
from endpoints.providers.github_ghcr import GithubGhcr
from endpoints.providers.gitlab import GitLab
from endpoints.providers.google_gcr import GoogleGcr
from endpoints.providers.harbor import Harbor
from endpoints.providers.huawei_swr import HuaweiSwr
from endpoints.providers.jfrog_artifactory import JfrogArtifactory
from endpoints.providers.quay import Quay
from endpoints.providers.tencent_tcr import TencentTcr
from endpoints.providers.volcengine_cr import VolcengineCr

PROVIDER_CLASSES: tuple[type[Provider], ...] = (
    Harbor,
    DockerHub,
    DockerRegistry,
    AwsEcr,
    AzureAcr,
    AliAcr,
    GoogleGcr,
    HuaweiSwr,
    ArtifactHub,
    GitLab,
    Quay,
    JfrogArtifactory,
    GithubGhcr,
    Dtr,
    TencentTcr,
    VolcengineCr,
)

PROVIDERS: dict[str, Provider] = {cls.key: cls() for cls in PROVIDER_CLASSES}


class UnknownProvider(KeyError):
    pass


def get_provider(key: str) -> Provider:
    try:
        return PROVIDERS[key]
    except KeyError:
        raise UnknownProvider(key) from None


def run_check(target: Target, deadline_s: float | None = None) -> Verdict:
    """Check `target` with its provider's steps (an unknown provider is an input error).
    Never raises for remote faults."""
    return engine.run_check(target, PROVIDERS.get(target.provider), deadline_s)


def check_input(target: Target) -> list[str]:
    """`target`'s provider input rules (no network); the messages, empty when fine."""
    return engine.check_input(target, PROVIDERS.get(target.provider))


def provider_choices() -> list[tuple[str, str]]:
    """Every provider, for model choices (existing rows keep a valid label)."""
    return [(p.key, p.label) for p in PROVIDERS.values()]


def enabled_providers() -> list[Provider]:
    """What New Endpoint offers (`ENABLED_PROVIDERS`, default all), in registry order."""
    enabled = set(settings.ENABLED_PROVIDERS)
    return [p for p in PROVIDERS.values() if not enabled or p.key in enabled]


# The proxy-cache providers of the seed documentation: allowed whatever the setting says.
SEED_PROXY_CACHE_PROVIDERS = ("harbor", "docker-hub", "aws-ecr", "azure-acr", "google-gcr", "quay")


def proxy_cache_provider_keys() -> list[str]:
    """The one list of providers a proxy-cache project may use: the seed documentation's
    six and `PROXY_CACHE_PROVIDERS` (default Harbor 2.15's list), in registry order; keys
    of providers this version does not have are ignored."""
    allowed = {*SEED_PROXY_CACHE_PROVIDERS, *settings.PROXY_CACHE_PROVIDERS}
    return [key for key in PROVIDERS if key in allowed]
