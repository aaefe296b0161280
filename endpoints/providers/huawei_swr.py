"""Huawei SWR (`huawei-SWR`): the SWR docker login user `<region>@<AK>` and its login key."""

from __future__ import annotations

import re

from endpoints.probe.engine import Probe
from endpoints.probe.flows import check_registry_v2
from endpoints.probe.target import Target
from endpoints.providers._common import add_error, host_of, reject_v2_path, require_access_id
from endpoints.providers.base import FieldErrors, Provider, UrlMode

LOGIN_HINT = (
    "SWR refused the login. Access ID must be the login user <region>@<AK> for this URL's region, "
    "and Access Secret the login key generated from the AK/SK: the -p value of a long-term login "
    "command (SWR console → Generate Login Command), not the SK itself and not the account "
    "password. A temporary login command stops working after 24 hours."
)
LOGIN_USER_RE = re.compile(r"^(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+)@[A-Za-z0-9]+$")
SWR_HOST_RE = re.compile(r"^swr\.(?P<region>[a-z0-9-]+)\.myhuaweicloud\.(?:com|eu)$")


class HuaweiSwr(Provider):
    key = "huawei-SWR"
    label = "Huawei SWR"

    url_mode = UrlMode.FREE
    url_placeholder = "https://swr.<region>.myhuaweicloud.com"
    url_help = (
        "Enter https://swr.<region>.myhuaweicloud.com for the region your organizations are in, e.g. "
        "https://swr.cn-north-4.myhuaweicloud.com (SWR console → Dashboard shows the address)."
    )

    access_id_placeholder = "<region>@<AK>"
    access_id_help = (
        "The SWR login user, <region>@<AK> (e.g. cn-north-4@ABCDEFGHIJKLMNOPQRST): the -u value of "
        "the login command from the SWR console → Generate Login Command. Use a long-term login "
        "command; a temporary one expires after 24 hours. Not your Huawei Cloud account name."
    )
    access_secret_placeholder = "Login key"
    access_secret_help = (
        "The login key: the -p value of that login command, not your Huawei Cloud password and not "
        "the Secret Access Key (SK) itself."
    )

    def clean(self, url: str, access_id: str, access_secret: str, secret_given: bool) -> FieldErrors:
        errors: FieldErrors = {}
        reject_v2_path(errors, url)
        login = LOGIN_USER_RE.match(access_id)
        if access_id and not login:
            add_error(
                errors,
                "access_id",
                "Enter the SWR login user in the form <region>@<AK>, e.g. cn-north-4@ABCDEFGHIJKLMNOPQRST: "
                "copy the -u value of the login command from the SWR console.",
            )
        swr_host = SWR_HOST_RE.match(host_of(url))
        if login and swr_host and login["region"] != swr_host["region"]:
            add_error(
                errors,
                "access_id",
                f"The login user is for {login['region']} but the URL is in {swr_host['region']}: "
                "use the login command of the URL's region.",
            )
        require_access_id(errors, access_id, secret_given, "the SWR login user <region>@<AK>")
        return errors

    def check(self, probe: Probe, target: Target) -> None:
        """A real `/v2/` check with the login user and key (Harbor's SWR check sends nothing)."""

        check_registry_v2(probe, target, target.url, hints={"auth": LOGIN_HINT})
