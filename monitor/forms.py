"""The notification channel form (admin): a write-only webhook secret, checked addresses."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from monitor.channels.webhook import url_problem
from monitor.models import NotificationChannel

SECRET_MIN_LENGTH = 16


class ChannelForm(forms.ModelForm):
    secret = forms.CharField(
        label="Signing secret", required=False, strip=False, min_length=SECRET_MIN_LENGTH,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Webhooks only: the key each request is signed with (HMAC-SHA256), the same on the "
                  "receiving side; at least 16 characters, e.g. from "
                  "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'. Stored encrypted and "
                  "never shown again.",
    )

    class Meta:
        model = NotificationChannel
        fields = ["name", "kind", "enabled", "url", "slack_format", "secret", "recipients"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.has_secret:
            when = self.instance.secret_updated_at
            stored = f" (set {when:%Y-%m-%d %H:%M})" if when else ""
            self.fields["secret"].help_text = f"A secret is stored{stored}. Leave blank to keep it."

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("kind") == NotificationChannel.Kind.WEBHOOK:
            url = (cleaned.get("url") or "").strip()
            if not url:
                self.add_error("url", "Enter the URL that receives the alerts.")
            elif problem := url_problem(url):
                self.add_error("url", problem)
            if not cleaned.get("secret") and not self.instance.has_secret and "secret" not in self.errors:
                self.add_error("secret", "Enter a secret to sign the requests with.")
        elif cleaned.get("kind") == NotificationChannel.Kind.EMAIL:
            addresses = NotificationChannel(recipients=cleaned.get("recipients", "")).recipient_list()
            if not addresses:
                self.add_error("recipients", "Enter at least one e-mail address.")
            for address in addresses:
                try:
                    validate_email(address)
                except ValidationError:
                    self.add_error("recipients", f"“{address}” is not an e-mail address.")
        return cleaned

    def save(self, commit: bool = True) -> NotificationChannel:
        channel = super().save(commit=False)
        channel.url = channel.url.strip()
        if self.cleaned_data.get("secret"):
            channel.set_secret(self.cleaned_data["secret"])
        if commit:
            channel.save()
        return channel
