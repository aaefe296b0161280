"""Docker Hub (`docker-hub`): the URL is fixed; images go through registry-1.docker.io."""

from endpoints.providers._common import add_error, require_access_id, require_fixed_url
from endpoints.providers.base import FieldErrors, Provider, UrlMode

DOCKER_HUB_URL = "https://hub.docker.com"
# Organization access tokens are refused by the Docker Hub login this provider uses.
ORG_TOKEN_PREFIX = "dckr_oat_"


class DockerHub(Provider):
    key = "docker-hub"
    label = "Docker Hub"

    url_mode = UrlMode.FIXED
    default_url = DOCKER_HUB_URL
    url_placeholder = DOCKER_HUB_URL
    url_help = (
        "Fixed: https://hub.docker.com. Images are pulled from and pushed to registry-1.docker.io; "
        "for any other registry, choose the Docker Registry provider."
    )

    access_id_placeholder = "Docker ID"
    access_id_help = (
        "Your Docker ID (the Docker Hub user name). Leave Access ID and Access Secret empty for "
        "anonymous pulls of public images (with lower pull rate limits). Organization access tokens "
        "do not work with this provider: choose the Docker Registry provider with the URL "
        "https://index.docker.io and the organization name as Access ID."
    )
    access_secret_placeholder = "Password or personal access token"
    access_secret_help = (
        "Your Docker Hub password or, better, a personal access token (Account settings → Personal "
        "access tokens; Read & Write to push, Read-only to pull). An account with two-factor "
        "authentication needs a personal access token."
    )

    def clean(self, url: str, access_id: str, access_secret: str, secret_given: bool) -> FieldErrors:
        errors: FieldErrors = {}
        require_fixed_url(errors, url, DOCKER_HUB_URL, self.label)
        if access_secret.strip().startswith(ORG_TOKEN_PREFIX):
            add_error(
                errors,
                "access_secret",
                "This is an organization access token, which the Docker Hub provider cannot use: "
                "choose the Docker Registry provider with https://index.docker.io and the organization "
                "name as Access ID.",
            )
        require_access_id(errors, access_id, secret_given, "your Docker ID")
        return errors
