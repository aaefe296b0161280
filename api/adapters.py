"""GET /replication/adapters, /replication/adapterinfos and /registries/{id}/info, made
from the provider modules the pages use (endpoints/providers): one source of truth."""

from __future__ import annotations

from urllib.parse import urlsplit

from endpoints.models import Registry
from endpoints.providers import enabled_providers
from endpoints.providers.base import Provider, SecretKind, UrlMode

# What Harbor's adapters say in Info() beyond the common filters (harbor-api.md §4.2).
RESOURCES = {"artifact-hub": ["chart"], "azure-acr": ["image", "artifact"]}
COPY_BY_CHUNK = {"harbor", "azure-acr"}
DESCRIPTIONS = {"huawei-SWR": "Adapter for SWR -- The image registry of Huawei Cloud"}


def adapter_types() -> list[str]:
    """The provider keys New Endpoint offers (ENABLED_PROVIDERS, as Harbor's whitelist), sorted."""
    return sorted(p.key for p in enabled_providers())


def provider_info(provider: Provider) -> dict | None:
    """Harbor's AdapterPattern: a fixed URL, a list of suggested ones, and the credential's
    fixed Access ID and JSON-file secret; None for a provider with none of these."""
    info: dict = {}
    if provider.url_mode is UrlMode.FIXED:
        host = urlsplit(provider.default_url).hostname
        info["endpoint_pattern"] = {"endpoint_type": "EndpointPatternTypeFix",
                                    "endpoints": [{"key": host, "value": provider.default_url}]}
    elif provider.url_mode is UrlMode.SUGGESTIONS:
        info["endpoint_pattern"] = {"endpoint_type": "EndpointPatternTypeList",
                                    "endpoints": [{"key": s.label, "value": s.url}
                                                  for s in provider.url_suggestions()]}
    credential = {}
    if provider.fixed_access_id is not None:
        credential.update(access_key_type="AccessKeyTypeFix", access_key_data=provider.fixed_access_id)
    if provider.secret_kind is SecretKind.JSON:
        credential["access_secret_type"] = "AccessSecretTypeFile"
    if credential:
        info["credential_pattern"] = credential
        standard = {"endpoint_type": "EndpointPatternTypeStandard", "endpoints": None}
        info.setdefault("endpoint_pattern", standard)
    return info if info or provider.listed_without_pattern else None


def adapter_infos() -> dict[str, dict]:
    return {p.key: info for p in enabled_providers() if (info := provider_info(p)) is not None}


def registry_info(registry: Registry) -> dict:
    """Harbor's RegistryInfo: the replication filters and triggers the provider supports.
    Harbor asks a remote Harbor for its labels here; harborreg does not (an empty list)."""
    key = registry.provider
    filters = [{"type": "name", "style": "input", "values": None},
               {"type": "tag", "style": "input", "values": None}]
    if key == "harbor":
        filters.append({"type": "label", "style": "list", "values": []})
    filters.append({"type": "resource", "style": "radio", "values": RESOURCES.get(key, ["image"])})
    info: dict = {"type": key}
    if key in DESCRIPTIONS:
        info["description"] = DESCRIPTIONS[key]
    info["supported_resource_filters"] = filters
    info["supported_triggers"] = ["manual", "scheduled"]
    if key in COPY_BY_CHUNK:
        info["supported_copy_by_chunk"] = True
    return info
