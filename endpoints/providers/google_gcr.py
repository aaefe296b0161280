"""Google GCR / Artifact Registry (`google-gcr`)."""

from endpoints.providers.base import Provider


class GoogleGcr(Provider):
    key = "google-gcr"
    label = "Google GCR / Artifact Registry"
