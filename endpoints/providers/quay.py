"""Quay (`quay`): `json_file` + a JSON secret with the login and an optional OAuth2 token."""

from endpoints.providers._common import (
    add_error,
    closest,
    missing_keys,
    parse_json_object,
    reject_v2_path,
    require_fixed_access_id,
)
from endpoints.providers.base import FieldErrors, Provider, SecretKind, UrlMode

JSON_FILE_ID = "json_file"
REQUIRED_FIELDS = ("account_name", "docker_cli_password")
OPTIONAL_FIELDS = ("oauth2_token",)
SECRET_SHAPE = '{"account_name": "…", "docker_cli_password": "…", "oauth2_token": "…"}'


class Quay(Provider):
    key = "quay"
    label = "Quay"

    url_mode = UrlMode.FREE
    url_placeholder = "https://quay.io"
    url_help = "https://quay.io, or the address of your Red Hat Quay / Project Quay server."

    fixed_access_id = JSON_FILE_ID
    access_id_placeholder = JSON_FILE_ID
    access_id_help = (
        "You don't need to enter an Access ID: json_file is used as the default Access ID (filled in "
        "for you). If you are connecting to a registry without authorization, keep Access ID and "
        "Access Secret empty."
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
