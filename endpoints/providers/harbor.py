"""Harbor (`harbor`)."""

from endpoints.providers.base import Provider


class Harbor(Provider):
    key = "harbor"
    label = "Harbor"
