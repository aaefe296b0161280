"""Azure ACR (`azure-acr`): the registry's login server, e.g. https://<name>.azurecr.io."""

from __future__ import annotations

from endpoints.probe.engine import Probe
from endpoints.probe.flows import check_registry_v2
from endpoints.probe.target import Target
from endpoints.providers._common import add_error, base_of, host_of, reject_v2_path, require_access_id
from endpoints.providers.base import FieldErrors, Provider, UrlMode

# Pages of the Azure portal, not registries: pasting the browser URL is a common mistake.
AZURE_PORTAL_HOSTS = ("portal.azure.com", "portal.azure.cn", "portal.azure.us")


class AzureAcr(Provider):
    key = "azure-acr"
    label = "Azure ACR"

    url_mode = UrlMode.FREE
    url_placeholder = "https://<name>.azurecr.io"
    url_help = (
        "The registry's login server, https://<registry name>.azurecr.io (Azure portal → Container "
        "registries → (registry) → Overview → Login server)."
    )

    access_id_placeholder = "Username or application (client) ID"
    access_id_help = (
        "One of: the admin user name (Settings → Access keys, with Admin user enabled), a service "
        "principal's application (client) ID, or a repository-scoped token name. Leave Access ID and "
        "Access Secret empty only if anonymous pull is enabled on the registry."
    )
    access_secret_placeholder = "Password or client secret"
    access_secret_help = (
        "The matching secret: the admin password, the service principal's client secret (its value, "
        "not its ID), or the token's password. The identity needs the AcrPull role to pull and "
        "AcrPush to push."
    )

    def clean(self, url: str, access_id: str, access_secret: str, secret_given: bool) -> FieldErrors:
        errors: FieldErrors = {}
        if host_of(url) in AZURE_PORTAL_HOSTS:
            add_error(
                errors,
                "url",
                "This is the Azure portal, not the registry: enter the login server shown on the "
                "registry's Overview page, e.g. https://myregistry.azurecr.io.",
            )
        else:
            reject_v2_path(errors, url)
        require_access_id(errors, access_id, secret_given, "the admin user, application ID or token name")
        return errors

    def check(self, probe: Probe, target: Target) -> None:
        """The registry v2 flow: ACR's realm is https://<name>.azurecr.io/oauth2/token and its
        token service answers {"access_token"}, which the flow reads."""

        check_registry_v2(probe, target, target.url, hints={
            "auth": (
                f"ACR refused “{target.access_id}”. Admin user: enable Admin user (registry → Settings → "
                "Access keys) and use that user name and password. Service principal: use its application "
                "(client) ID and a current client secret value, with the AcrPull role (AcrPush to push). "
                "Token: use the token name and one of its passwords."
            ),
            "not_registry": (
                f"No container registry answers at {base_of(target.url)}: enter the registry's login "
                "server, https://<registry name>.azurecr.io (Azure portal → the registry → Overview → "
                "Login server)."
            ),
        })
