"""Quay (`quay`)."""

from endpoints.providers.base import Provider


class Quay(Provider):
    key = "quay"
    label = "Quay"
