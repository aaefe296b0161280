"""Docker Registry (`docker-registry`)."""

from endpoints.providers.base import Provider


class DockerRegistry(Provider):
    key = "docker-registry"
    label = "Docker Registry"
