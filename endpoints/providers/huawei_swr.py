"""Huawei SWR (`huawei-SWR`)."""

from endpoints.providers.base import Provider


class HuaweiSwr(Provider):
    key = "huawei-SWR"
    label = "Huawei SWR"
