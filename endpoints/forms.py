"""The New / Edit Endpoint form: provider-driven, write-only secret."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from django import forms
from django.utils.html import escape

from endpoints import secrets
from endpoints.models import Registry
from endpoints.probe.target import Target
from endpoints.providers import enabled_providers, get_provider
from endpoints.providers.base import Provider, SecretKind, UrlMode
from endpoints.validation import (
    ACCESS_SECRET_MAX_CHARS,
    CA_CERTIFICATE_MAX_CHARS,
    CA_CHANGED,
    URL_CHANGED,
    VERIFY_TURNED_OFF,
    SecretReentry,
    check_access_secret_length,
    check_ca_certificate_length,
    describe_certificates,
    read_endpoint_url,
    secret_reentry_reason,
)
from endpoints.validation import URL_CHANGED_MESSAGE as URL_CHANGED_MESSAGE  # re-exported

# Fields whose change makes saving run the connection test first.
CONNECTION_FIELDS = ("provider", "url", "access_id", "verify_remote_cert", "ca_certificate")
SECRET_AND_CLEAR_MESSAGE = "Either type a new Access Secret or tick “Clear stored secret”, not both."
# How long a secret typed into this form is kept (encrypted) across re-renders.
PENDING_SECRET_TTL = 3600
# What the model's secret_status() adds when a blank box keeps the stored secret.
KEEP_SECRET_SENTENCE = " Leave blank to keep it."


@dataclass(frozen=True)
class ErrorSummaryItem:
    """One line of the error summary: a message and the field it links to (None: the form)."""

    field_id: str | None
    label: str
    message: str


def escape_help_texts(form: forms.BaseForm) -> None:
    """This form's help texts are plain text (the providers' "https://api.ecr.<region>…"), but
    Django and crispy-bootstrap5 render help_text as HTML (`|safe`), where "<region>" would be
    read as a tag and vanish. Escaped once, here, after every help text is set."""
    for field in form.fields.values():
        if field.help_text:
            field.help_text = escape(field.help_text)


def limit_length(field: forms.Field, limit: int, check: Callable[[str], None]) -> None:
    """Cap a text field: the browser refuses more (maxlength) and the server says what to fix
    (`check` raises the message) before any other check reads the value."""
    field.widget.attrs["maxlength"] = str(limit)
    field.validators.append(check)


def add_provider_errors(form: forms.Form, provider: Provider, url: str, access_id: str,
                        typed: str, secret_given: bool) -> None:
    """The provider's own input rules (no network), on the page form and the admin form."""
    for field, messages in provider.clean(url, access_id, typed, secret_given).items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


class SecretTextarea(forms.Textarea):
    """A textarea for JSON secrets that, like PasswordInput(render_value=False), never
    renders a value back, not even the one just typed into a form with errors."""

    def get_context(self, name, value, attrs):
        return super().get_context(name, None, attrs)


class RegistryForm(forms.ModelForm):
    provider = forms.ChoiceField(label="Provider")
    access_secret = forms.CharField(
        label="Access Secret",
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    clear_secret = forms.BooleanField(label="Clear stored secret", required=False)
    # The secret typed before a re-render (Test Connection, failed save), encrypted.
    pending_secret = forms.CharField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Registry
        fields = [
            "provider", "name", "description", "url", "access_id", "access_secret",
            "clear_secret", "verify_remote_cert", "ca_certificate", "credential_expires_on",
            "pending_secret",
        ]
        labels = {
            "name": "Name",
            "description": "Description",
            "url": "Endpoint URL",
            "access_id": "Access ID",
            "verify_remote_cert": "Verify Remote Cert",
            "ca_certificate": "CA Certificate",
            "credential_expires_on": "Credential expires on",
        }
        help_texts = {
            "verify_remote_cert": (
                "Untick only if the remote uses a self-signed or untrusted certificate and you "
                "cannot paste its CA below."
            ),
            "ca_certificate": (
                "Optional PEM CA certificate(s), trusted in addition to the system CAs for this "
                "endpoint only. Used while Verify Remote Cert is ticked."
            ),
        }
        error_messages = {
            "name": {
                "required": "Endpoint name is required.",
                "max_length": (
                    "Shorten the name to at most %(limit_value)d characters: it has %(show_value)d."
                ),
            },
            "url": {"required": "Endpoint URL is required."},
            "credential_expires_on": {
                "invalid": "Enter the date the secret expires as YYYY-MM-DD, for example 2027-03-31.",
            },
        }
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "ca_certificate": forms.Textarea(
                attrs={"rows": 4, "placeholder": "-----BEGIN CERTIFICATE-----\n…\n-----END CERTIFICATE-----"}
            ),
            "access_id": forms.TextInput(attrs={"autocomplete": "off"}),
            "credential_expires_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "url": forms.TextInput(attrs={"autocomplete": "off", "list": "url-suggestions"}),
        }

    def __init__(self, *args, provider_key: str | None = None, test_only: bool = False,
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # A Test Connection needs no name: its checks (and their queries) are skipped.
        self.test_only = test_only
        self.is_new = self.instance.pk is None
        # What is saved now (cleaning copies the typed values onto the instance).
        self.stored = {f: getattr(self.instance, f) for f in ("url", "verify_remote_cert", "ca_certificate")}
        self.referenced = not self.is_new and self.instance.is_referenced()
        choices = [(p.key, p.label) for p in enabled_providers()]
        if not self.is_new and self.instance.provider not in dict(choices):
            choices.append((self.instance.provider, self.instance.provider_label))
        self.fields["provider"].choices = choices

        key = provider_key or (self.data.get("provider") if self.is_bound else None)
        if not self.is_new and self.referenced:
            key = self.instance.provider
        key = key or self.instance.provider or choices[0][0]
        if key not in dict(choices):
            key = choices[0][0]
        self.chosen_provider: Provider = get_provider(key)
        if not self.is_bound:  # the one whose fields and help are shown (?provider=KEY)
            self.initial["provider"] = key
        if self.is_bound and self.data.get("provider") != key:
            data = self.data.copy()
            data["provider"] = key
            self.data = data
        if self.referenced:
            self.fields["provider"].disabled = True
            self.fields["provider"].help_text = (
                "The provider cannot change while replication rules or proxy-cache projects use "
                "this endpoint."
            )
        self._apply_provider()
        # A pasted name longer than the limit is kept whole; the server says how long it is.
        self.fields["name"].widget.attrs.pop("maxlength", None)
        escape_help_texts(self)
        limit_length(self.fields["access_secret"], ACCESS_SECRET_MAX_CHARS, check_access_secret_length)
        limit_length(self.fields["ca_certificate"], CA_CERTIFICATE_MAX_CHARS, check_ca_certificate_length)
        self.url_notice = ""
        # Why the stored secret is not used (a new origin, a looser TLS trust), or None.
        self.withheld_because: SecretReentry | None = None

    # --- provider-driven field setup (mirrored by static/endpoints/registry_form.js) ---

    def _apply_provider(self) -> None:
        p = self.chosen_provider
        url = self.fields["url"]
        url.widget.attrs["placeholder"] = p.url_placeholder
        url.help_text = p.url_help
        if p.url_mode is UrlMode.FIXED:
            url.widget.attrs["readonly"] = "readonly"
            self.initial["url"] = p.default_url
        access_id = self.fields["access_id"]
        access_id.widget.attrs["placeholder"] = p.access_id_placeholder
        access_id.help_text = p.access_id_help
        if p.fixed_access_id is not None:
            access_id.widget.attrs["readonly"] = "readonly"
            self.initial["access_id"] = p.fixed_access_id
        secret = self.fields["access_secret"]
        if p.secret_kind is SecretKind.JSON:
            secret.widget = SecretTextarea(
                attrs={"rows": 6, "autocomplete": "off", "spellcheck": "false", "class": "font-monospace"}
            )
        secret.widget.attrs["placeholder"] = p.access_secret_placeholder
        secret.help_text = p.access_secret_help
        if self.is_new or not self.instance.has_secret:
            del self.fields["clear_secret"]

    # --- cleaning ---

    def clean_provider(self) -> str:
        return self.chosen_provider.key

    def clean_url(self) -> str:
        if self.chosen_provider.url_mode is UrlMode.FIXED:
            return self.chosen_provider.default_url
        url = read_endpoint_url(self.cleaned_data.get("url", ""))
        self.url_notice = " ".join(url.notes)  # https:// assumed, /v2 removed, IDN in punycode
        return url.url

    def clean_access_id(self) -> str:
        value = self.cleaned_data.get("access_id", "").strip()
        if self.chosen_provider.fixed_access_id is not None and value:
            return self.chosen_provider.fixed_access_id
        return value

    def clean_pending_secret(self) -> str:
        token = self.cleaned_data.get("pending_secret", "")
        if not token:
            return ""
        try:
            return secrets.decrypt_ephemeral(token, ttl=PENDING_SECRET_TTL)
        except secrets.SecretDecryptionError:
            return ""

    def clean(self) -> dict:
        data = super().clean()
        clear = data.get("clear_secret", False)
        # A secret typed before a re-render is carried along, unless the admin now clears.
        typed = data.get("access_secret", "") or ("" if clear else data.get("pending_secret", ""))
        data["access_secret"] = typed
        url = data.get("url")
        if typed and clear:
            self.add_error("clear_secret", SECRET_AND_CLEAR_MESSAGE)
        if not self.is_new and url and self.instance.has_secret and not typed and not clear:
            self.withheld_because = self.reentry_reason(data)
        if url is not None and "url" not in self.errors:
            secret_given = bool(typed) or (not self.is_new and self.instance.has_secret and not clear)
            add_provider_errors(self, self.chosen_provider, url, data.get("access_id", ""), typed,
                                secret_given)
        return data

    def reentry_reason(self, data: dict) -> SecretReentry | None:
        """The one rule (validation.secret_reentry_reason) on the stored and the new values.
        Runs before _post_clean, so the instance still holds the stored ones."""
        stored = self.instance
        return secret_reentry_reason(
            stored.url, stored.verify_remote_cert, stored.ca_certificate,
            data["url"], data.get("verify_remote_cert", False),
            data.get("ca_certificate", stored.ca_certificate),  # a refused CA: the field says so
        )

    @property
    def secret_withheld(self) -> bool:
        return self.withheld_because is not None

    # --- what the page says about the stored secret (one message, never two) ---

    @cached_property
    def _stored_status(self) -> str:
        return self.instance.secret_status()

    def stored_secret_status(self, withheld: SecretReentry | None, instruct: bool = True) -> str:
        """The stored-secret line: "Leave blank to keep it" only while a blank box would
        really keep it; otherwise why the stored secret is not used (and, unless the field's
        error already says it, what to do)."""
        status = self._stored_status
        if withheld is None or not status.endswith(KEEP_SECRET_SENTENCE):
            return status
        stored = status.removesuffix(KEEP_SECRET_SENTENCE).removesuffix(".")
        status = f"{stored}, but it is not used because {withheld.cause}"
        if not instruct:
            return status + "."
        return status + ": enter the Access Secret again or tick “Clear stored secret”."

    @property
    def secret_status(self) -> str:
        if self.is_new:
            return ""
        said_by_the_field = self.is_bound and "access_secret" in self.errors
        return self.stored_secret_status(self.withheld_because, instruct=not said_by_the_field)

    def secret_status_variants(self) -> dict[str, str]:
        """The same line for each reason, for the page's script to say it as the admin types."""
        if self.is_new or not self.instance.has_secret:
            return {}
        return {
            "kept": self.stored_secret_status(None),
            "url": self.stored_secret_status(URL_CHANGED),
            "verify": self.stored_secret_status(VERIFY_TURNED_OFF),
            "ca": self.stored_secret_status(CA_CHANGED),
        }

    # --- where the page sends the admin's attention ---

    def error_summary(self) -> list[ErrorSummaryItem]:
        """Every error, the form's own first, then the fields' in page order."""
        items = [ErrorSummaryItem(None, "", str(m)) for m in self.non_field_errors()]
        for bound in self:
            if bound.errors and not bound.is_hidden:
                items += [ErrorSummaryItem(bound.id_for_label, str(bound.label), str(message))
                          for message in bound.errors]
        return items

    def first_invalid_field(self) -> str | None:
        return next((bound.name for bound in self if bound.errors and not bound.is_hidden), None)

    def first_field_id(self) -> str:
        """Where "Edit the form" goes: the first field the admin can change."""
        bound = next(b for b in self if not b.is_hidden and not b.field.disabled)
        return bound.id_for_label

    def focus_field(self, name: str) -> None:
        """Focus `name` when the page loads (the browser does it, no script needed)."""
        self.fields[name].widget.attrs["autofocus"] = True

    def validate_for_save(self) -> bool:
        """Saving adds the re-entry rule: stored credentials never follow a new host or a
        looser TLS trust."""
        valid = self.is_valid()
        if valid and self.withheld_because is not None:
            self.add_error("access_secret", self.withheld_because.message)
            return False
        return valid

    def _get_validation_exclusions(self) -> set[str]:
        exclusions = super()._get_validation_exclusions()
        return exclusions | {"name", "description"} if self.test_only else exclusions

    def connection_errors(self) -> dict:
        """Errors that stop a Test Connection (a name is not needed to test)."""
        self.is_valid()
        return {k: v for k, v in self.errors.items() if k not in ("name", "description")}

    def ca_summary(self) -> list[str]:
        """The CA certificate(s) in the form (or stored), described for the admin."""
        pem = self.data.get("ca_certificate", "") if self.is_bound else self.instance.ca_certificate
        return describe_certificates(pem or "") if (pem or "").strip() else []

    # --- what the check and the save use ---

    def typed_secret(self) -> str:
        return self.cleaned_data.get("access_secret", "")

    def effective_secret(self) -> str:
        """The secret a test should send. May raise secrets.SecretDecryptionError."""
        if self.typed_secret():
            return self.typed_secret()
        if self.is_new or self.cleaned_data.get("clear_secret") or self.secret_withheld:
            return ""
        return self.instance.decrypt_secret()

    def connection_target(self) -> Target:
        data = self.cleaned_data
        access_id = data.get("access_id", "")
        secret = self.effective_secret()
        if self.secret_withheld and not secret:
            access_id = "" if self.chosen_provider.fixed_access_id is None else access_id
        return Target(
            provider=self.chosen_provider.key,
            url=data.get("url", ""),
            access_id=access_id,
            access_secret=secret,
            verify_remote_cert=data.get("verify_remote_cert", True),
            ca_certificate=data.get("ca_certificate", ""),
        )

    def connection_fingerprint(self) -> str:
        """A digest of what a connection test of this form uses (the secret only hashed), so
        a "Save anyway" can prove it belongs to the test that failed."""
        data = self.cleaned_data
        parts = [self.instance.pk, self.chosen_provider.key, data.get("url"), data.get("access_id"),
                 data.get("verify_remote_cert"), data.get("ca_certificate"),
                 hashlib.sha256(self.typed_secret().encode()).hexdigest(), data.get("clear_secret")]
        return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()

    def secret_changed(self) -> bool:
        return bool(self.typed_secret()) or bool(self.cleaned_data.get("clear_secret"))

    def has_changes(self) -> bool:
        """Whether saving an edit would change anything (a new endpoint always would)."""
        ignored = ("pending_secret", "clear_secret", "access_secret")
        return self.is_new or self.secret_changed() or any(f not in ignored for f in self.changed_data)

    def describes(self, registry: Registry) -> bool:
        """Whether this (valid but for the name) form holds exactly what `registry` holds:
        the same save sent twice."""
        data = self.cleaned_data
        same_fields = (
            registry.provider == self.chosen_provider.key
            and registry.url == data.get("url")
            and registry.access_id == data.get("access_id")
            and registry.description == data.get("description")
            and registry.verify_remote_cert == data.get("verify_remote_cert")
            and registry.ca_certificate == data.get("ca_certificate")
            and registry.credential_expires_on == data.get("credential_expires_on")
        )
        if not same_fields:
            return False
        try:
            stored = registry.decrypt_secret()
        except secrets.SecretDecryptionError:
            return False
        return hmac.compare_digest(stored.encode(), self.typed_secret().encode())

    def needs_connection_test(self) -> bool:
        if self.is_new:
            return True
        return self.secret_changed() or any(f in self.changed_data for f in CONNECTION_FIELDS)

    def changed_field_labels(self) -> list[str]:
        labels = [
            str(self.fields[f].label) for f in self.changed_data
            if f in self.fields and f not in ("access_secret", "clear_secret", "pending_secret")
        ]
        if self.secret_changed():
            labels.append("Access Secret")
        return labels

    def pending_secret_token(self) -> str:
        """Re-render helper: the typed secret, encrypted, so a re-render loses nothing."""
        if self.is_bound and hasattr(self, "cleaned_data") and self.typed_secret():
            return secrets.encrypt_ephemeral(self.typed_secret())
        return ""

    def save(self, commit: bool = True) -> Registry:
        registry = super().save(commit=False)
        if self.typed_secret():
            registry.set_secret(self.typed_secret())
        elif self.cleaned_data.get("clear_secret"):
            registry.clear_secret()
        if commit:
            registry.save_edit()
        return registry
