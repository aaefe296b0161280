"""Live health: who runs the monitor (a lease), what it remembers per endpoint to alert on
changes only, the events it records, and the channels that carry them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from endpoints import secrets
from endpoints.models import Registry


class MonitorLease(models.Model):
    """One row per lease name: the monitor that holds it checks the endpoints; the others
    wait. Taken and renewed by conditional UPDATEs on the database's clock (monitor.lease)."""

    name = models.CharField(max_length=32, unique=True)
    holder = models.CharField(max_length=200, blank=True)  # host:pid:random, empty when released
    acquired_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "monitor lease"

    def __str__(self) -> str:
        return f"{self.name}: {self.holder or 'free'}"


class AlertState(models.Model):
    """What the monitor has said about one endpoint, so it speaks up on changes only."""

    registry = models.OneToOneField(Registry, on_delete=models.CASCADE, related_name="alert_state")
    consecutive_failures = models.PositiveIntegerField(default=0)
    # The state the last alert announced: "" (none yet), "healthy" or "unhealthy".
    alerted_state = models.CharField(max_length=16, blank=True)
    # Warnings already sent: {what it is about ("certificate:2027-01-31"): the smallest
    # threshold in days alerted (30, 7, 1, 0)}, so each threshold is announced once.
    warnings_sent = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"{self.registry}: {self.alerted_state or 'not alerted'}"


class Event(models.Model):
    """A state change or a warning of one endpoint, as shown and as sent."""

    class Kind(models.TextChoices):
        UNHEALTHY = "unhealthy", "Became unhealthy"
        RECOVERED = "recovered", "Recovered"
        WARNING = "warning", "Warning"
        TEST = "test", "Test notification"

    kind = models.CharField(max_length=16, choices=Kind)
    registry = models.ForeignKey(Registry, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="monitor_events")
    registry_name = models.CharField(max_length=64, blank=True)  # kept after a deletion
    old_state = models.CharField(max_length=16, blank=True)
    new_state = models.CharField(max_length=16, blank=True)
    # The check's category (ok, connect, auth, ...) or, for a warning, what runs out
    # (certificate, credential, pull_budget).
    category = models.CharField(max_length=32, blank=True)
    category_label = models.CharField(max_length=64, blank=True)
    summary = models.CharField(max_length=1000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["-created_at"]), models.Index(fields=["registry", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.registry_name}: {self.get_kind_display()} at {self.created_at:%Y-%m-%d %H:%M:%S}"

    @property
    def title(self) -> str:
        """One line: "reg-a is Unhealthy (Cannot connect)"."""
        name = self.registry_name or "harborreg"
        if self.kind == self.Kind.UNHEALTHY:
            return f"{name} is Unhealthy ({self.category_label})"
        if self.kind == self.Kind.RECOVERED:
            return f"{name} is Healthy again"
        if self.kind == self.Kind.WARNING:
            return f"{name}: {self.category_label}"
        return "Test notification from harborreg"

    def link(self) -> str:
        """Where the endpoint's page is, for people reading an alert elsewhere."""
        path = reverse("endpoints:registry_detail", args=[self.registry_id]) if self.registry_id else (
            reverse("monitor:event_list"))
        return f"{settings.SITE_URL}{path}"


class NotificationChannel(models.Model):
    """Where events go: a webhook (JSON, signed) or e-mail (Django's mail framework)."""

    class Kind(models.TextChoices):
        WEBHOOK = "webhook", "Webhook"
        EMAIL = "email", "E-mail"

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=16, choices=Kind, default=Kind.WEBHOOK)
    enabled = models.BooleanField(default=True)
    url = models.CharField("Webhook URL", max_length=512, blank=True,
                           help_text="An http(s) URL that receives a JSON POST per event.")
    slack_format = models.BooleanField(
        "Slack-compatible body", default=False,
        help_text='Send {"text": "..."} (Slack, Mattermost, Rocket.Chat incoming webhooks) instead of '
                  "harborreg's JSON event.")
    # `v1:<key-id>:<token>` (endpoints.secrets): the key that signs each webhook body.
    secret_encrypted = models.TextField(blank=True, default="", editable=False)
    secret_updated_at = models.DateTimeField(null=True, blank=True, editable=False)
    recipients = models.TextField(blank=True, help_text="E-mail addresses, one per line or comma-separated.")
    created_at = models.DateTimeField(auto_now_add=True)
    # Columns holding endpoints.secrets envelopes: rotate_secret_keys re-encrypts them.
    ENCRYPTED_FIELDS = ("secret_encrypted",)

    class Meta:
        ordering = ["name"]
        verbose_name = "notification channel"

    def __str__(self) -> str:
        return self.name

    @property
    def has_secret(self) -> bool:
        return bool(self.secret_encrypted)

    def set_secret(self, plaintext: str) -> None:
        self.secret_encrypted = secrets.encrypt(plaintext)
        self.secret_updated_at = timezone.now()

    def decrypt_secret(self) -> str:
        """Raises secrets.SecretDecryptionError when the stored value cannot be decrypted."""
        return secrets.decrypt(self.secret_encrypted) if self.secret_encrypted else ""

    def recipient_list(self) -> list[str]:
        return [part.strip() for part in self.recipients.replace("\n", ",").split(",") if part.strip()]

    @property
    def target(self) -> str:
        """Where it sends, for lists (never the secret)."""
        return self.url if self.kind == self.Kind.WEBHOOK else ", ".join(self.recipient_list())


class Delivery(models.Model):
    """One event sent (or being sent) to one channel: the delivery log, and the outbox the
    monitor's sender works through, retrying with backoff."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.ForeignKey(NotificationChannel, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=16, choices=Status, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # The last attempt's outcome ("HTTP 200 in 35 ms", "connect: ... refused"), and every
    # attempt's: [{"at": ISO time, "outcome": text}].
    outcome = models.CharField(max_length=500, blank=True)
    log = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "deliveries"
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event} → {self.channel}: {self.get_status_display()}"
