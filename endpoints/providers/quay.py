"""Quay (`quay`): `json_file` + a JSON secret with the login and an optional OAuth2 token."""

from __future__ import annotations

import json

from endpoints.probe.engine import Probe, StepFailed
from endpoints.probe.flows import check_registry_v2, status_failure
from endpoints.probe.result import Category
from endpoints.probe.target import Target
from endpoints.providers._common import (
    add_error,
    closest,
    host_of,
    missing_keys,
    parse_json_object,
    reject_v2_path,
    require_fixed_access_id,
)
from endpoints.providers.base import FieldErrors, Provider, SecretKind, UrlMode

JSON_FILE_ID = "json_file"
REQUIRED_FIELDS = ("account_name", "docker_cli_password")
OPTIONAL_FIELDS = ("oauth2_token",)
QUAY_IO_NOTE = (
    "quay.io cannot create organizations automatically (Recaptcha): create them in quay.io before "
    "replicating to it."
)
SECRET_SHAPE = '{"account_name": "…", "docker_cli_password": "…", "oauth2_token": "…"}'


class Quay(Provider):
    key = "quay"
    label = "Quay"

    url_mode = UrlMode.FREE
    url_placeholder = "e.g. https://quay.io"
    url_help = "Enter https://quay.io, or the address of your Red Hat Quay / Project Quay server."

    fixed_access_id = JSON_FILE_ID
    access_id_placeholder = JSON_FILE_ID
    access_id_help = (
        "You don't need to enter an Access ID: json_file is used as the default Access ID (filled in "
        "for you). If you are connecting to a registry without authorization, leave the Access "
        "Secret empty."
    )
    secret_kind = SecretKind.JSON
    access_secret_placeholder = (
        '{\n  "account_name": "jack",\n  "docker_cli_password": "…",\n  "oauth2_token": "…"\n}'
    )
    access_secret_help = (
        "Your credentials in JSON format: " + SECRET_SHAPE + ". account_name is your login name; "
        "a robot account is not recommended, because a robot account cannot access other "
        "organizations' repositories. docker_cli_password is your CLI password: generate it in the "
        "Quay UI (Account Settings → Docker CLI Password → Generate Encrypted Password). "
        "oauth2_token is optional and only needed to create organizations automatically (an OAuth "
        "application token with the Administer Organization permission)."
    )
    notes = (
        "Quay.io (the cloud version) does not allow creating namespaces (organizations) "
        "automatically, because Recaptcha is enabled on the Quay.io side: create them in Quay.io first.",
        "Red Hat Quay (the enterprise on-premises version) is fully supported (tested on v3.2.0). "
        "Project Quay (the open-source version) is supported in theory but has not been tested yet.",
        "Docker registry manifest schema 1 is not supported in Quay registries.",
    )

    def clean(self, url: str, access_id: str, access_secret: str, secret_given: bool) -> FieldErrors:
        errors: FieldErrors = {}
        reject_v2_path(errors, url)
        require_fixed_access_id(errors, access_id, JSON_FILE_ID)
        if access_secret.strip():
            for problem in secret_errors(access_secret):
                add_error(errors, "access_secret", problem)
        return errors

    def check(self, probe: Probe, target: Target) -> None:

        if not target.access_secret:
            try:
                check_registry_v2(probe, target, target.url, username="", password="")
            except StepFailed as failure:
                if failure.hint_is_final:  # refused anonymously: the Access ID is fixed
                    probe.revise(failure, hint=f"Enter the JSON secret {SECRET_SHAPE} in Access "
                                               "Secret (the Access ID stays json_file).")
                raise
            return
        secret = json.loads(target.access_secret)  # clean() has checked its shape
        account, token = secret["account_name"], secret.get("oauth2_token") or ""
        probe.add_sensitive(secret["docker_cli_password"])
        probe.add_sensitive(token)
        check_registry_v2(probe, target, target.url, username=account,
                          password=secret["docker_cli_password"])
        summary = probe.summary
        if token:
            api_user = check_api_token(probe, target, token)
            summary += f" The Quay API accepts the oauth2_token (user {api_user})."
        if host_of(target.url) == "quay.io":
            probe.warn(QUAY_IO_NOTE)
            summary += " On quay.io, organizations must be created by hand."
        probe.succeed(summary)


def check_api_token(probe: Probe, target: Target, token: str) -> str:
    """The Quay REST API user the oauth2_token belongs to (needed to create organizations)."""

    url = target.url.rstrip("/") + "/api/v1/user/"
    with probe.step("Quay API token") as step:
        response = probe.http.request("GET", url, headers={"Authorization": f"Bearer {token}"})
        if response.status in (401, 403):
            raise StepFailed(
                Category.AUTH, f"The Quay API at {url} answered {response.status}",
                "The oauth2_token is not accepted by the Quay API (needed only to create organizations "
                "automatically): generate a new OAuth application token in Quay, or leave oauth2_token "
                "out of the JSON secret.",
            )
        if response.status != 200:
            raise status_failure(response, url, True)
        body = response.json()
        if not isinstance(body, dict) or not body.get("username"):
            raise StepFailed(
                Category.NOT_REGISTRY, f"The server at {url} answered 200 but not like the Quay API",
                f"Check that {target.url} is a Quay server (Red Hat Quay, Project Quay or quay.io).",
            )
        step.detail = f"API user {body['username']}"
        return body["username"]


def secret_errors(text: str) -> list[str]:
    secret, problem = parse_json_object(text, "a JSON object such as " + SECRET_SHAPE)
    if secret is None:
        return [problem or ""]
    problems = []
    allowed = REQUIRED_FIELDS + OPTIONAL_FIELDS
    for unknown in [key for key in secret if key not in allowed]:
        guess = closest(unknown, allowed)
        fix = f"did you mean “{guess}”?" if guess else f"the allowed keys are {', '.join(allowed)}."
        problems.append(f"Unknown key “{unknown[:40]}” in the Quay JSON secret: {fix}")
    if missing := missing_keys(secret, REQUIRED_FIELDS):
        problems.append(
            f"The Quay JSON secret needs a non-empty {' and '.join(missing)} (a text value in quotes)."
        )
    if "oauth2_token" in secret and not isinstance(secret["oauth2_token"], str):
        problems.append("oauth2_token must be a text value in quotes, or leave it out.")
    return problems
