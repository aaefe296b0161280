"""Docker Registry (`docker-registry`): any registry speaking the Distribution v2 API."""

from endpoints.providers._common import add_error, host_of, reject_v2_path, require_access_id
from endpoints.providers.base import FieldErrors, Provider, UrlMode

# Docker Hub's website is not a registry; its registry API answers at these hosts.
DOCKER_HUB_WEB_HOSTS = ("hub.docker.com", "docker.com", "www.docker.com")
DOCKER_HUB_REGISTRY_URL = "https://index.docker.io"


class DockerRegistry(Provider):
    key = "docker-registry"
    label = "Docker Registry"

    url_mode = UrlMode.FREE
    url_placeholder = "e.g. https://registry.example.com:5000"
    url_help = (
        "The base URL of a registry that speaks the Docker Registry HTTP API v2, the address you use "
        "with docker login, e.g. https://registry.example.com:5000, without /v2/. A path prefix is "
        "kept (https://host/prefix is checked at https://host/prefix/v2/). For Docker Hub "
        "organization access tokens, enter https://index.docker.io."
    )

    access_id_placeholder = "Username (optional)"
    access_id_help = (
        "A user name with the appropriate privileges on that registry: pull to replicate from it, "
        "push to replicate to it. Leave Access ID and Access Secret empty for a registry without "
        "authorization. For a Docker Hub organization access token, enter the organization name."
    )
    access_secret_placeholder = "Password or token (optional)"
    access_secret_help = "The password or access token of that user."

    def clean(self, url: str, access_id: str, access_secret: str, secret_given: bool) -> FieldErrors:
        errors: FieldErrors = {}
        if host_of(url) in DOCKER_HUB_WEB_HOSTS:
            add_error(
                errors,
                "url",
                f"The host {host_of(url)} is Docker Hub's website, not a registry: enter "
                f"{DOCKER_HUB_REGISTRY_URL}, "
                "or choose the Docker Hub provider.",
            )
        reject_v2_path(errors, url)
        require_access_id(errors, access_id, secret_given, "the registry user name")
        return errors
