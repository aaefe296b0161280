"""GitLab (`gitlab`): the container registry URL, a username and a personal access token."""

from endpoints.providers._common import add_error, host_of, reject_v2_path, require_access_id
from endpoints.providers.base import FieldErrors, Provider, UrlMode

# GitLab.com's web and API host; its container registry is registry.gitlab.com.
GITLAB_COM_WEB_HOSTS = ("gitlab.com", "www.gitlab.com")
GITLAB_COM_REGISTRY_URL = "https://registry.gitlab.com"


class GitLab(Provider):
    key = "gitlab"
    label = "GitLab"

    url_mode = UrlMode.FREE
    url_placeholder = GITLAB_COM_REGISTRY_URL
    url_help = (
        "The container registry URL, e.g. https://registry.gitlab.com — not the GitLab web URL "
        "(https://gitlab.com). For self-managed GitLab, use the registry address shown on a "
        "project's Deploy → Container Registry page (often https://registry.gitlab.example.com or "
        "https://gitlab.example.com:5050)."
    )

    access_id_placeholder = "GitLab username"
    access_id_help = "Your GitLab username (the @name without the @), not your e-mail address."
    access_secret_placeholder = "glpat-…"
    access_secret_help = (
        "A personal access token (User settings → Access tokens) with the read_registry scope to "
        "pull, write_registry to push, and read_api so projects can be listed. Not your GitLab "
        "password."
    )

    def clean(self, url: str, access_id: str, access_secret: str, secret_given: bool) -> FieldErrors:
        errors: FieldErrors = {}
        if host_of(url) in GITLAB_COM_WEB_HOSTS:
            add_error(
                errors,
                "url",
                f"{host_of(url)} is the GitLab web URL: enter the container registry URL, "
                f"{GITLAB_COM_REGISTRY_URL}.",
            )
        else:
            reject_v2_path(errors, url)
        require_access_id(errors, access_id, secret_given, "your GitLab username")
        return errors
