"""The Django admin's forms: a write-only Access Secret, and proxy-cache registry choices.

The admin form never renders a stored secret (not even masked); it only says whether one
is stored. A blank Access Secret keeps it, "Clear stored secret" removes it, and a stored
secret is never kept for a URL whose scheme, host or port changed, nor for a looser TLS
trust (Verify Remote Cert turned off, another CA Certificate).
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from endpoints.audit import SECRET_FIELD_LABEL
from endpoints.forms import SECRET_AND_CLEAR_MESSAGE, SecretTextarea, add_provider_errors, limit_length
from endpoints.models import ProxyCacheProject, Registry
from endpoints.providers import UnknownProvider, enabled_providers, get_provider
from endpoints.providers.base import SecretKind
from endpoints.validation import (
    ACCESS_SECRET_MAX_CHARS,
    CA_CERTIFICATE_MAX_CHARS,
    check_access_secret_length,
    check_ca_certificate_length,
    normalize_endpoint_url,
    read_endpoint_url,
    secret_reentry_reason,
)


class RegistryAdminForm(forms.ModelForm):
    access_secret = forms.CharField(
        label=SECRET_FIELD_LABEL,
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    clear_secret = forms.BooleanField(label="Clear stored secret", required=False)

    class Meta:
        model = Registry
        fields = [
            "provider",
            "name",
            "description",
            "url",
            "access_id",
            "access_secret",
            "clear_secret",
            "verify_remote_cert",
            "ca_certificate",
            "credential_expires_on",
        ]
        widgets = {"credential_expires_on": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.url_notes: list[str] = []
        registry = self.instance
        self.had_secret = registry.has_secret
        # What the stored secret was saved for (the instance changes once the form cleans).
        self.stored_trust = (registry.url, registry.verify_remote_cert, registry.ca_certificate)
        if registry.pk:
            self.fields["access_secret"].help_text = registry.secret_status()
        else:
            del self.fields["clear_secret"]
            self.fields["access_secret"].help_text = "Leave blank for anonymous access."
        provider_key = registry.provider or self.initial.get("provider", "")
        if self._provider_secret_kind(provider_key) is SecretKind.JSON:
            self.fields["access_secret"].widget = SecretTextarea(attrs={"rows": 6})
        limit_length(self.fields["access_secret"], ACCESS_SECRET_MAX_CHARS, check_access_secret_length)
        limit_length(self.fields["ca_certificate"], CA_CERTIFICATE_MAX_CHARS, check_ca_certificate_length)
        if "provider" in self.fields:
            offered = [(p.key, p.label) for p in enabled_providers()]
            if registry.provider and registry.provider not in dict(offered):
                offered.append((registry.provider, registry.provider_label))
            self.fields["provider"].choices = [("", "---------"), *offered]

    def clean_url(self) -> str:
        """The normalized URL; what normalizing changed (https:// assumed, /v2 removed, an
        IDN name in punycode) is kept in `url_notes` for the admin to say."""
        url = read_endpoint_url(self.cleaned_data.get("url", ""))
        self.url_notes = url.notes
        return url.url

    @staticmethod
    def _provider_secret_kind(key: str) -> SecretKind | None:
        try:
            return get_provider(key).secret_kind
        except UnknownProvider:
            return None

    def clean(self) -> dict:
        cleaned = super().clean()
        typed = cleaned.get("access_secret", "")
        clear = cleaned.get("clear_secret", False)
        if typed and clear:
            self.add_error("access_secret", SECRET_AND_CLEAR_MESSAGE)
        url = cleaned.get("url")
        if self.instance.pk and self.had_secret and url and not typed and not clear:
            stored_ca = self.stored_trust[2]
            reason = secret_reentry_reason(
                *self.stored_trust, url, cleaned.get("verify_remote_cert", False),
                cleaned.get("ca_certificate", stored_ca),  # a refused CA: the field says so
            )
            if reason is not None:
                self.add_error("access_secret", reason.message)
        self._check_provider_rules(cleaned, typed, clear)
        return cleaned

    def _check_provider_rules(self, cleaned: dict, typed: str, clear: bool) -> None:
        """The provider's own input rules (no network), as on the Registries pages."""
        provider_key = cleaned.get("provider", self.instance.provider)
        if not provider_key or not cleaned.get("url") or self.has_error("url"):
            return
        try:
            provider = get_provider(provider_key)
            url = normalize_endpoint_url(cleaned["url"])
        except (UnknownProvider, ValidationError):
            return  # the field and model validation report these
        secret_given = bool(typed) or (self.had_secret and not clear)
        add_provider_errors(self, provider, url, cleaned.get("access_id", ""), typed, secret_given)

    @property
    def changed_data(self) -> list[str]:
        """Ticking "Clear stored secret" is recorded as an Access Secret change."""
        changed = [name for name in super().changed_data if name != "clear_secret"]
        cleared = getattr(self, "cleaned_data", {}).get("clear_secret") and self.had_secret
        if cleared and "access_secret" not in changed:
            changed.append("access_secret")
        return changed

    def save(self, commit: bool = True) -> Registry:
        if self.cleaned_data.get("clear_secret"):
            self.instance.clear_secret()
        elif self.cleaned_data.get("access_secret"):
            self.instance.set_secret(self.cleaned_data["access_secret"])
        registry = super().save(commit=False)
        if commit:
            registry.save_edit()
        return registry


class ProxyCacheRegistryField(forms.ModelChoiceField):
    """Offers only proxy-cache registries but looks a posted id up among all of them, so
    the model's validation says why an endpoint is refused (not "Select a valid choice")."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return Registry.objects.get(pk=value)
        except (ValueError, TypeError, Registry.DoesNotExist):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice") from None


class ProxyCacheProjectAdminForm(forms.ModelForm):
    class Meta:
        model = ProxyCacheProject
        fields = ["name", "registry"]

    def clean_registry(self) -> Registry | None:
        """The model's message, once: a field error keeps the model from repeating it."""
        registry = self.cleaned_data.get("registry")
        if registry is not None:
            try:
                ProxyCacheProject(registry=registry).clean()
            except ValidationError as exc:
                raise ValidationError(exc.message_dict.get("registry", exc.messages)) from None
        return registry
