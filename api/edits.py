"""A Harbor request body, translated into harborreg's rules: the one place the API decides
what a body means. The rules themselves are called, not copied: the model (names, URL
normalization, CA, lengths, uniqueness), the provider's input checks, the secret's length
and re-entry rules (endpoints.validation); saving and testing are endpoints.services.

Secret values: absent or null keep the stored secret, "" clears it, and "*****" (the mask
GET shows, which goharbor's CLI sends back) keeps it too, where Harbor would store the
five asterisks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.text import capfirst

from api.serializers import SECRET_MASK
from endpoints import audit, names
from endpoints.models import Registry
from endpoints.probe.target import Target
from endpoints.providers import PROVIDERS, enabled_providers, get_provider
from endpoints.providers.base import Provider, UrlMode
from endpoints.validation import (
    SecretReentry,
    check_access_secret_length,
    read_endpoint_url,
    secret_reentry_reason,
)

# Model field → the name in a create body (nested credential) and in a flat PUT/ping body.
CREATE_FIELDS = {"provider": "type", "verify_remote_cert": "insecure", "access_id": "credential.access_key",
                 "access_secret": "credential.access_secret"}
FLAT_FIELDS = {"provider": "type", "verify_remote_cert": "insecure", "access_id": "access_key"}
CONNECTION_FIELDS = ("provider", "url", "access_id", "verify_remote_cert", "ca_certificate")
TYPE_OR_URL_EMPTY = "type or url cannot be empty"


class InvalidEndpoint(Exception):
    """Input the rules refuse: [(API field or None, message saying what to fix)]."""

    def __init__(self, problems: list[tuple[str | None, str]]) -> None:
        super().__init__("; ".join(message for _, message in problems))
        self.problems = problems


class NameTaken(Exception):
    def __init__(self, name: str, holder: str) -> None:
        super().__init__(name)
        self.name, self.holder = name, holder

    @property
    def message(self) -> str:
        return f"registry {self.name} already exists: {names.taken_message(self.holder)}"


class SecretMustBeReentered(Exception):
    """An edit would send the stored secret to a new origin or over a looser TLS trust.

    The pages ask for the secret again; the API refuses the PUT (400) saying so. Harbor
    (since 7709557123) clears the stored secret silently instead: the client is told
    "200", and the endpoint then fails its next use with no trace of why. Refusing keeps
    what is stored intact and says what to send: the secret again, or "" to clear it.
    """

    def __init__(self, reason: SecretReentry) -> None:
        super().__init__(reason.message)
        cause = reason.cause[0].upper() + reason.cause[1:]
        self.message = (f'{cause}: enter access_secret again or send "" to clear it (a stored secret '
                        "never follows a new address or a looser TLS trust).")


@dataclass
class EndpointEdit:
    """A create or an edit, checked and ready to test and save."""

    registry: Registry
    changed: list[str] = field(default_factory=list)  # field labels, for the change log
    new_secret: str | None = None
    clear_secret: bool = False
    needs_test: bool = True

    def target(self) -> Target:
        """What the save-time test uses. May raise secrets.SecretDecryptionError."""
        registry = self.registry
        if self.new_secret:
            secret = self.new_secret
        elif self.clear_secret or registry.pk is None:
            secret = ""
        else:
            secret = registry.decrypt_secret()
        return Target(registry.provider, registry.url, registry.access_id, secret,
                      registry.verify_remote_cert, registry.ca_certificate)


def secret_input(value: str | None) -> tuple[str, str]:
    """("keep", ""), ("clear", "") or ("new", secret)."""
    if value is None or value == SECRET_MASK:
        return "keep", ""
    if value == "":
        return "clear", ""
    return "new", value


def choose_provider(key: str | None, problems: list) -> Provider | None:
    offered = [p.key for p in enabled_providers()]
    if not key:
        problems.append(("type", f"type: choose the provider, one of {', '.join(sorted(offered))}"))
        return None
    if key not in offered:
        what = "is not enabled on this server (ENABLED_PROVIDERS)" if key in PROVIDERS else "is unknown"
        problems.append(("type", f"type: the registry type “{key}” {what}: use one of "
                                 f"{', '.join(sorted(offered))}"))
        return None
    return get_provider(key)


def check(registry: Registry, provider: Provider | None, typed_secret: str, secret_given: bool,
          problems: list, api_names: dict[str, str]) -> None:
    """Run the model's and the provider's rules; raise InvalidEndpoint or NameTaken."""
    found: list[tuple[str, str]] = []
    try:
        registry.full_clean(exclude=["provider"], validate_constraints=False)
    except ValidationError as exc:
        found += [(model_field, message) for model_field, messages in exc.message_dict.items()
                  for message in messages]
    if provider is not None and not any(model_field == "url" for model_field, _ in found):
        # As the forms do: the provider's checks read a URL that is already valid.
        for model_field, messages in provider.clean(registry.url, registry.access_id, typed_secret,
                                                    secret_given).items():
            found += [(model_field, message) for message in messages]
    for model_field, message in found:
        api_field = api_names.get(model_field, model_field) if model_field != "__all__" else None
        problems.append((api_field, f"{api_field}: {message}" if api_field else message))
    if problems:
        raise InvalidEndpoint(problems)
    holder = (Registry.objects.filter(name_key=names.name_key(registry.name)).exclude(pk=registry.pk)
              .values_list("name", flat=True).first())
    if holder is not None:
        raise NameTaken(registry.name, holder)
    try:
        registry.validate_constraints(exclude={"name"})
    except ValidationError as exc:
        raise InvalidEndpoint([(None, message) for message in exc.messages]) from None


def check_secret_length(secret: str, api_field: str, problems: list) -> None:
    try:
        check_access_secret_length(secret)
    except ValidationError as exc:
        problems += [(api_field, f"{api_field}: {message}") for message in exc.messages]


def edit_for_create(body: dict) -> EndpointEdit:
    """POST /registries: Harbor's Registry, nested credential, nulls meaning empty."""
    credential = body.get("credential") or {}
    problems: list[tuple[str | None, str]] = []
    provider = choose_provider(body.get("type"), problems)
    url = body.get("url") or ""
    if provider is not None and provider.url_mode is UrlMode.FIXED and not url.strip():
        url = provider.default_url  # the page form fills a fixed URL in too
    mode, secret = secret_input(credential.get("access_secret"))
    if credential.get("access_secret") == SECRET_MASK:
        problems.append(("credential.access_secret",
                         f"credential.access_secret: “{SECRET_MASK}” is the mask this API shows for a stored "
                         "secret, and a new endpoint has none: send the secret itself (or leave it out)"))
    check_secret_length(secret, "credential.access_secret", problems)
    registry = Registry(
        name=body.get("name") or "",
        description=body.get("description") or "",
        provider=provider.key if provider else "",
        url=url,
        access_id=(credential.get("access_key") or "").strip(),
        verify_remote_cert=not body.get("insecure"),
        ca_certificate=body.get("ca_certificate") or "",
    )
    check(registry, provider, secret, bool(secret), problems, {**CREATE_FIELDS})
    return EndpointEdit(registry, new_secret=secret or None)


def field_label(model_field: str) -> str:
    return str(capfirst(Registry._meta.get_field(model_field).verbose_name))


def edit_for_update(registry: Registry, body: dict) -> EndpointEdit:
    """PUT /registries/{id}: flat; absent or null keep a value, "" empties it."""
    before = {name: getattr(registry, name) for name in Registry.EDITABLE_FIELDS}
    for name in ("name", "description", "url", "ca_certificate"):
        if body.get(name) is not None:
            setattr(registry, name, body[name])
    if body.get("access_key") is not None:
        registry.access_id = body["access_key"].strip()
    if body.get("insecure") is not None:
        registry.verify_remote_cert = not body["insecure"]
    mode, secret = secret_input(body.get("access_secret"))
    clear = mode == "clear" and registry.has_secret
    problems: list[tuple[str | None, str]] = []
    check_secret_length(secret, "access_secret", problems)
    keeps_stored = mode == "keep" and registry.has_secret
    check(registry, get_provider(registry.provider), secret, bool(secret) or keeps_stored, problems,
          {**FLAT_FIELDS})
    if keeps_stored:
        reason = secret_reentry_reason(before["url"], before["verify_remote_cert"], before["ca_certificate"],
                                       registry.url, registry.verify_remote_cert, registry.ca_certificate)
        if reason is not None:
            raise SecretMustBeReentered(reason)
    changed = [name for name in Registry.EDITABLE_FIELDS if getattr(registry, name) != before[name]]
    labels = [field_label(name) for name in changed]
    if secret or clear:
        labels.append(audit.SECRET_FIELD_LABEL)
    return EndpointEdit(registry, labels, new_secret=secret or None, clear_secret=clear,
                        needs_test=bool(secret) or clear or any(f in CONNECTION_FIELDS for f in changed))


@dataclass
class PingPlan:
    target: Target
    withheld: SecretReentry | None = None


def ping_plan(body: dict, registry: Registry | None) -> PingPlan:
    """POST /registries/ping: the saved endpoint (if `id`), what the body gives overriding it.
    The stored secret goes only to the stored origin and TLS trust (secret_reentry_reason);
    elsewhere the test goes without it. May raise secrets.SecretDecryptionError."""
    stored = registry or Registry(provider="", url="")
    key = body.get("type") or stored.provider
    url = body["url"] if body.get("url") is not None else stored.url
    if not key or not (url or "").strip():
        raise InvalidEndpoint([(None, TYPE_OR_URL_EMPTY)])
    problems: list[tuple[str | None, str]] = []
    if choose_provider(key, problems) is None and key != stored.provider:
        raise InvalidEndpoint(problems)
    try:
        url = read_endpoint_url(url).url
    except ValidationError as exc:
        raise InvalidEndpoint([("url", f"url: {message}") for message in exc.messages]) from None
    verify = not body["insecure"] if body.get("insecure") is not None else stored.verify_remote_cert
    ca = body["ca_certificate"] if body.get("ca_certificate") is not None else stored.ca_certificate
    access_id = (body["access_key"] if body.get("access_key") is not None else stored.access_id).strip()
    mode, secret = secret_input(body.get("access_secret"))
    withheld = None
    if mode == "keep" and registry is not None and registry.has_secret:
        withheld = secret_reentry_reason(registry.url, registry.verify_remote_cert, registry.ca_certificate,
                                         url, verify, ca)
        if withheld is None:
            secret = registry.decrypt_secret()
    return PingPlan(Target(key, url, access_id, secret, verify, ca), withheld)
