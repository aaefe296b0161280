"""Alibaba Cloud ACR (`ali-acr`)."""

from endpoints.providers.base import Provider


class AliAcr(Provider):
    key = "ali-acr"
    label = "Alibaba Cloud ACR"
