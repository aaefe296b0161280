"""Azure ACR (`azure-acr`)."""

from endpoints.providers.base import Provider


class AzureAcr(Provider):
    key = "azure-acr"
    label = "Azure ACR"
