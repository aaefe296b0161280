"""Docker Hub (`docker-hub`)."""

from endpoints.providers.base import Provider


class DockerHub(Provider):
    key = "docker-hub"
    label = "Docker Hub"
