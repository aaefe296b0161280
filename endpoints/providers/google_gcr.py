"""Google GCR / Artifact Registry (`google-gcr`): `_json_key` + a service-account JSON key."""

from __future__ import annotations

import json

from endpoints.probe.engine import Probe, StepFailed
from endpoints.probe.flows import check_registry_v2
from endpoints.probe.result import Category
from endpoints.probe.target import Target
from endpoints.providers._common import (
    add_error,
    base_of,
    host_of,
    missing_keys,
    parse_json_object,
    path_of,
    require_fixed_access_id,
)
from endpoints.providers.base import FieldErrors, Provider, SecretKind, UrlMode, UrlSuggestion

GCR_HOSTS: tuple[str, ...] = ("gcr.io", "us.gcr.io", "eu.gcr.io", "asia.gcr.io")
# Artifact Registry locations: the multi-regions, then the regions (https://<location>-docker.pkg.dev).
ARTIFACT_REGISTRY_LOCATIONS: tuple[str, ...] = (
    "us", "europe", "asia",
    "us-central1", "us-east1", "us-east4", "us-east5", "us-south1", "us-west1", "us-west2", "us-west3",
    "us-west4", "northamerica-northeast1", "northamerica-northeast2", "northamerica-south1",
    "southamerica-east1", "southamerica-west1", "europe-central2", "europe-north1", "europe-north2",
    "europe-southwest1", "europe-west1", "europe-west2", "europe-west3", "europe-west4", "europe-west6",
    "europe-west8", "europe-west9", "europe-west10", "europe-west12", "me-central1", "me-central2",
    "me-west1", "africa-south1", "asia-east1", "asia-east2", "asia-northeast1", "asia-northeast2",
    "asia-northeast3", "asia-south1", "asia-south2", "asia-southeast1", "asia-southeast2",
    "australia-southeast1", "australia-southeast2",
)  # fmt: skip
JSON_KEY_ID = "_json_key"
REQUIRED_KEY_FIELDS = ("client_email", "private_key", "project_id")
WHOLE_KEY = "the whole service-account JSON key file, braces included"
# "the token service … answered 401: …" / "… answered HTTP 400: …" (flows.status_failure)


class GoogleGcr(Provider):
    key = "google-gcr"
    label = "Google GCR / Artifact Registry"

    url_mode = UrlMode.SUGGESTIONS
    url_placeholder = "https://gcr.io or https://<region>-docker.pkg.dev"
    url_help = (
        "Container Registry: https://gcr.io, https://us.gcr.io, https://eu.gcr.io or "
        "https://asia.gcr.io. Artifact Registry: https://<region>-docker.pkg.dev, e.g. "
        "https://us-central1-docker.pkg.dev. Enter the host only: the project ID goes in the "
        "replication rule's namespace, not in the URL."
    )

    fixed_access_id = JSON_KEY_ID
    access_id_placeholder = JSON_KEY_ID
    access_id_help = (
        "Always _json_key (filled in for you). Leave the Access Secret empty for anonymous access "
        "to public images."
    )
    secret_kind = SecretKind.JSON
    access_secret_placeholder = '{"type": "service_account", "project_id": "my-project", …}'
    access_secret_help = (
        "Google GCR adapters should use the entire JSON key generated in the service account: "
        "IAM & Admin → Service accounts → (account) → Keys → Add key → Create new key → JSON, then "
        "paste the whole file. The account needs the Artifact Registry Writer role to push (Reader "
        "to pull)."
    )
    notes = (
        "The namespace in replication rules should start with the project ID: my-project/… on "
        "gcr.io, my-project/<repository>/… on Artifact Registry.",
    )

    def url_suggestions(self) -> list[UrlSuggestion]:
        gcr = [UrlSuggestion(host, f"https://{host}") for host in GCR_HOSTS]
        return gcr + [
            UrlSuggestion(f"Artifact Registry {location}", f"https://{location}-docker.pkg.dev")
            for location in ARTIFACT_REGISTRY_LOCATIONS
        ]

    def clean(self, url: str, access_id: str, access_secret: str, secret_given: bool) -> FieldErrors:
        errors: FieldErrors = {}
        host = host_of(url)
        if host and not (host == "gcr.io" or host.endswith((".gcr.io", ".pkg.dev"))):
            add_error(
                errors,
                "url",
                f"The host {host} is not a Google registry host: enter https://gcr.io (or "
                "us./eu./asia.gcr.io) "
                "or https://<region>-docker.pkg.dev. For another registry, choose Docker Registry.",
            )
        elif path_of(url):
            add_error(
                errors,
                "url",
                f"Remove “{path_of(url)}” from the URL and enter {base_of(url)}: the project ID goes "
                "in the replication rule's namespace.",
            )
        require_fixed_access_id(errors, access_id, JSON_KEY_ID)
        if access_secret.strip():
            problem = self.key_file_error(access_secret)
            if problem:
                add_error(errors, "access_secret", problem)
        return errors

    @staticmethod
    def key_file_error(text: str) -> str | None:
        key, problem = parse_json_object(text, WHOLE_KEY)
        if key is None:
            return problem
        if key.get("type") != "service_account":
            found = f"“{key['type'][:40]}”" if isinstance(key.get("type"), str) else "missing"
            return (
                f"The JSON key's type is {found}, not “service_account”: create a key for a service "
                "account (IAM & Admin → Service accounts → Keys) and paste the whole file."
            )
        if missing := missing_keys(key, REQUIRED_KEY_FIELDS):
            return f"The JSON key has no {', '.join(missing)}: paste {WHOLE_KEY}."
        return None

    def check(self, probe: Probe, target: Target) -> None:

        if not target.access_secret:
            # Public images need no key (Harbor refuses this: goharbor/harbor#11724); the
            # anonymous token says whether the registry lets them be pulled.
            try:
                check_registry_v2(probe, target, target.url, username="", password="")
            except StepFailed as failure:
                if failure.hint_is_final:  # refused anonymously: the Access ID is fixed
                    probe.revise(failure, hint=f"Paste {WHOLE_KEY} into Access Secret (the Access "
                                               "ID stays _json_key).")
                raise
            return
        key = json.loads(target.access_secret)  # clean() has checked its shape
        probe.add_sensitive(key["private_key"])
        probe.add_sensitive(key.get("private_key_id") or "")
        try:
            check_registry_v2(probe, target, target.url, username=JSON_KEY_ID,
                              password=target.access_secret)
        except StepFailed as failure:
            hint = refused_key_hint(failure.status, key)
            if hint and failure.category in (Category.AUTH, Category.HTTP):
                probe.revise(failure, category=Category.AUTH, hint=hint)
            raise
        probe.succeed(f"Authenticated as {key['client_email']} (project {key['project_id']}) with the "
                      "service-account key.")


def refused_key_hint(status: int | None, key: dict) -> str | None:
    """Google's 400/401/403 for the key, turned into what to fix: the key itself or a role."""
    if status == 400:
        return f"Google could not read the key (Unable to parse json key): paste {WHOLE_KEY}."
    if status == 401:
        return (f"Google does not accept this key for {key['client_email']}: the key or the account "
                f"was deleted or disabled. Create a new JSON key and paste {WHOLE_KEY}.")
    if status == 403:
        return (f"The service account {key['client_email']} lacks Storage Object Viewer / Artifact "
                f"Registry Reader (pull) or Writer (push) on project {key['project_id']}: grant the "
                "role in IAM & Admin → IAM, then test again.")
    return None
