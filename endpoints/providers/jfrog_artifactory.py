"""JFrog Artifactory (`jfrog-artifactory`)."""

from endpoints.providers.base import Provider


class JfrogArtifactory(Provider):
    key = "jfrog-artifactory"
    label = "JFrog Artifactory"
