"""JFrog Artifactory (`jfrog-artifactory`): the Artifactory base URL; repositories come from rules."""

from endpoints.providers._common import add_error, base_of, path_of, reject_v2_path, require_access_id
from endpoints.providers.base import FieldErrors, Provider, UrlMode


class JfrogArtifactory(Provider):
    key = "jfrog-artifactory"
    label = "JFrog Artifactory"

    url_mode = UrlMode.FREE
    url_placeholder = "https://mycompany.jfrog.io"
    url_help = (
        "The Artifactory base URL, e.g. https://mycompany.jfrog.io or https://artifactory.example.com, "
        "not a repository path such as /artifactory/api/docker/<repo>: the repository is chosen in "
        "the replication rule. Docker access must use the repository path method; with the subdomain "
        "method, choose the Docker Registry provider with the repository's own host."
    )

    access_id_placeholder = "Username"
    access_id_help = (
        "An Artifactory user with read permission on the Docker repositories (and deploy permission "
        "to replicate to them). Leave Access ID and Access Secret empty for anonymous access, if the "
        "server allows it."
    )
    access_secret_placeholder = "Password, API key or access token"
    access_secret_help = (
        "The user's password, API key or identity / access token (Edit Profile → Generate an Identity Token)."
    )

    def clean(self, url: str, access_id: str, access_secret: str, secret_given: bool) -> FieldErrors:
        errors: FieldErrors = {}
        segments = path_of(url).lower().split("/")
        if {"artifactory", "api", "ui"} & set(segments):
            add_error(
                errors,
                "url",
                f"Enter the Artifactory base URL ({base_of(url)}), without “{path_of(url)}”: the "
                "repository is chosen in the replication rule.",
            )
        else:
            reject_v2_path(errors, url)
        require_access_id(errors, access_id, secret_given, "the Artifactory username")
        return errors
