"""GitLab (`gitlab`)."""

from endpoints.providers.base import Provider


class GitLab(Provider):
    key = "gitlab"
    label = "GitLab"
