"""Artifact Hub (`artifact-hub`): Helm charts from https://artifacthub.io, replication source only."""

from endpoints.providers._common import require_access_id, require_fixed_url
from endpoints.providers.base import FieldErrors, Provider, UrlMode

ARTIFACT_HUB_URL = "https://artifacthub.io"


class ArtifactHub(Provider):
    key = "artifact-hub"
    label = "Artifact Hub"

    url_mode = UrlMode.FIXED
    default_url = ARTIFACT_HUB_URL
    url_placeholder = ARTIFACT_HUB_URL
    url_help = (
        "Fixed: https://artifacthub.io. Charts are listed through its API; for charts kept in an "
        "OCI registry, choose the provider of that registry instead."
    )

    access_id_placeholder = "API key ID (optional)"
    access_id_help = (
        "Optional: an Artifact Hub API key ID (Control Panel → Settings → API keys). Leave Access ID "
        "and Access Secret empty for anonymous access to public packages."
    )
    access_secret_placeholder = "API key secret (optional)"
    access_secret_help = "Optional: the API key secret shown when the API key was created."
    notes = (
        "Artifact Hub can only be a replication source: it provides Helm charts and does not accept "
        "pushes, so use it as the source registry of a replication rule, never as the destination.",
    )

    def clean(self, url: str, access_id: str, access_secret: str, secret_given: bool) -> FieldErrors:
        errors: FieldErrors = {}
        require_fixed_url(errors, url, ARTIFACT_HUB_URL, self.label)
        require_access_id(errors, access_id, secret_given, "the API key ID")
        return errors
