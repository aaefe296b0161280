"""Artifact Hub (`artifact-hub`)."""

from endpoints.providers.base import Provider


class ArtifactHub(Provider):
    key = "artifact-hub"
    label = "Artifact Hub"
