from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, F, OuterRef, Subquery, Value, Window
from django.db.models.functions import Coalesce, Length, RowNumber
from django.db.models.lookups import LessThanOrEqual
from django.urls import reverse
from django.utils import timezone

from endpoints import lookahead, names, secrets
from endpoints.probe.result import category_label
from endpoints.providers import get_provider, provider_choices, proxy_cache_provider_keys
from endpoints.validation import normalize_endpoint_url, validate_ca_certificate

if TYPE_CHECKING:
    from endpoints.probe.result import Verdict
    from endpoints.probe.target import Target

NAME_MAX_LENGTH = 64


class RegistryQuerySet(models.QuerySet):
    def search(self, text: str) -> RegistryQuerySet:
        text = text.strip()
        if not text:
            return self
        # SQLite's LIKE folds ASCII letters only: the name is also matched through its
        # stored key (NFKC + case folding), so "ärzte" finds "Ärzte" on every database.
        key = names.name_key(text)
        return self.filter(
            models.Q(name__icontains=text)
            | (models.Q(name_key__contains=key) if key else models.Q(pk__in=[]))
            | models.Q(url__icontains=text)
            | models.Q(description__icontains=text)
        )

    def with_usage(self) -> RegistryQuerySet:
        """Annotate `used_by`: rules (either side) plus proxy-cache projects, as subqueries."""

        def count(queryset: models.QuerySet) -> Coalesce:
            counted = queryset.order_by().annotate(one=Value(1)).values("one")
            return Coalesce(
                Subquery(counted.annotate(n=Count("*")).values("n")[:1]), Value(0)
            )

        rules = ReplicationRule.objects.filter(
            models.Q(source_registry=OuterRef("pk")) | models.Q(destination_registry=OuterRef("pk"))
        )
        projects = ProxyCacheProject.objects.filter(registry=OuterRef("pk"))
        return self.annotate(used_by_count=count(rules) + count(projects))


class Registry(models.Model):
    """One replication endpoint: a remote registry images are replicated to or from."""

    class Status(models.TextChoices):
        UNKNOWN = "unknown", "Unknown"
        HEALTHY = "healthy", "Healthy"
        UNHEALTHY = "unhealthy", "Unhealthy"

    name = models.CharField(
        max_length=NAME_MAX_LENGTH, error_messages={"blank": "Endpoint name is required."}
    )
    # What uniqueness compares (NFKC + case folding), computed from `name` on every save.
    name_key = names.NameKeyField()
    description = models.TextField(blank=True)
    provider = models.CharField(max_length=32, choices=provider_choices)
    url = models.CharField(
        "Endpoint URL", max_length=512, error_messages={"blank": "Endpoint URL is required."}
    )
    access_id = models.CharField("Access ID", max_length=255, blank=True)
    # `v1:<key-id>:<token>` from endpoints.secrets; empty when no secret is stored.
    access_secret_encrypted = models.TextField(blank=True, default="", editable=False)
    verify_remote_cert = models.BooleanField("Verify Remote Cert", default=True)
    ca_certificate = models.TextField("CA Certificate", blank=True)

    status = models.CharField(max_length=16, choices=Status, default=Status.UNKNOWN)
    status_category = models.CharField(max_length=32, blank=True)
    status_detail = models.CharField(max_length=500, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    # What the checks learnt (Verdict.facts): certificate and credential expiry, pull budget.
    check_facts = models.JSONField(default=dict, blank=True, editable=False)
    credential_expires_on = models.DateField(
        "Credential expires on", null=True, blank=True,
        help_text="When the Access Secret (a token or password) expires, if your organisation rotates "
                  "it on a schedule: warnings start before it. Cleared when a new secret is saved, "
                  "unless a new date is set with it.",
    )

    created_at = models.DateTimeField("Creation Time", auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    secret_updated_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = RegistryQuerySet.as_manager()
    # Columns holding endpoints.secrets envelopes: rotate_secret_keys re-encrypts them.
    ENCRYPTED_FIELDS = ("access_secret_encrypted",)

    class Meta:
        verbose_name = "registry endpoint"
        verbose_name_plural = "registry endpoints"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["name_key"], name="registry_name_key_unique"),
            models.CheckConstraint(
                condition=~models.Q(name=""), name="registry_name_not_empty"
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("name"), NAME_MAX_LENGTH),
                name="registry_name_max_64",
            ),
        ]
        # The list's sorts: a page of 15 reads 15 index entries, and the "Used by" counts
        # are computed for those rows only.
        indexes = [models.Index(fields=["status", "name"]), models.Index(fields=["created_at"]),
                   models.Index(fields=["name"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("endpoints:registry_detail", args=[self.pk])

    @property
    def provider_label(self) -> str:
        return self.get_provider_display()

    @property
    def has_secret(self) -> bool:
        return bool(self.access_secret_encrypted)

    @property
    def status_category_label(self) -> str:
        """The stored category in words ("Not a registry"), for pages; "" when unchecked."""
        return category_label(self.status_category) if self.status_category else ""

    def lookahead(self) -> list[lookahead.Lookahead]:
        """What is about to run out (certificate, credential, pull budget), for the pages."""
        return lookahead.for_registry(self)

    @classmethod
    def from_db(cls, db, field_names, values):
        registry = super().from_db(db, field_names, values)
        # What the stored secret's expiry date was, to tell a date typed with a new secret.
        registry._loaded_expiry = registry.__dict__.get("credential_expires_on")
        return registry

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if name_errors := self._clean_name():
            errors["name"] = name_errors
        if (self.url or "").strip():  # an empty URL is reported by the field itself
            try:
                self.url = normalize_endpoint_url(self.url)
            except ValidationError as exc:
                errors.setdefault("url", []).extend(exc.messages)
        if self.ca_certificate.strip():
            try:
                validate_ca_certificate(self.ca_certificate)
            except ValidationError as exc:
                errors.setdefault("ca_certificate", []).extend(exc.messages)
        if errors:
            raise ValidationError(errors)

    def _clean_name(self) -> list[str]:
        """Store the normal form; say what to change in a name that cannot be stored."""
        typed = self.name or ""
        self.name = names.normalize_name(typed)
        if not self.name:
            # An empty name is the field's own error; one of only no-break spaces is not.
            return [self._meta.get_field("name").error_messages["blank"]] if typed else []
        problems = names.name_problems(typed)
        if len(self.name) > NAME_MAX_LENGTH >= len(typed):
            problems.append(
                f"Shorten the name to at most {NAME_MAX_LENGTH} characters: it has "
                f"{len(self.name)} once compatibility characters are spelled out."
            )
        return problems

    def validate_constraints(self, exclude=None) -> None:
        # The name key's constraint, said on the Name field and naming the endpoint that
        # holds the key: one query. (Length and emptiness are the field's own checks.)
        exclude = set(exclude or ())
        holder = None
        if "name" not in exclude and self.name:
            same = Registry.objects.filter(name_key=names.name_key(self.name)).exclude(pk=self.pk)
            holder = same.values_list("name", flat=True).first()
        exclude |= {"name", "name_key"}
        try:
            super().validate_constraints(exclude)
            errors: dict = {}
        except ValidationError as exc:
            errors = exc.update_error_dict({})
        if holder is not None:
            errors.setdefault("name", []).append(names.taken_message(holder))
        if errors:
            raise ValidationError(errors)

    # --- secret: write-only; decrypted only by an explicit call at the point of use ---

    # What an edit form may change. Status columns belong to the checks and the secret to
    # set_secret()/clear_secret(): an edit never writes back what it loaded earlier.
    EDITABLE_FIELDS = ("provider", "name", "description", "url", "access_id", "verify_remote_cert",
                       "ca_certificate", "credential_expires_on")

    def set_secret(self, plaintext: str) -> None:
        self.access_secret_encrypted = secrets.encrypt(plaintext) if plaintext else ""
        self.secret_updated_at = timezone.now()
        self._secret_changed = True
        self._forget_credential_expiry()

    def clear_secret(self) -> None:
        self.access_secret_encrypted = ""
        self.secret_updated_at = timezone.now()
        self._secret_changed = True
        self._forget_credential_expiry()

    def _forget_credential_expiry(self) -> None:
        """What was known of the old secret's expiry goes with it; a date set in the same
        edit belongs to the new secret and stays."""
        if self.credential_expires_on == getattr(self, "_loaded_expiry", None):
            self.credential_expires_on = None
        self.check_facts = {k: v for k, v in (self.check_facts or {}).items() if k != "credential"}

    def save_edit(self) -> None:
        """Save what an edit form changed (a new row is saved whole)."""
        if self._state.adding:
            self.save()
            return
        fields = [*self.EDITABLE_FIELDS, "name_key", "updated_at"]  # the key goes with the name
        if getattr(self, "_secret_changed", False):
            fields += ["access_secret_encrypted", "secret_updated_at", "check_facts"]
        self.save(update_fields=fields)

    def decrypt_secret(self) -> str:
        """Raises secrets.SecretDecryptionError when the stored value cannot be decrypted."""
        if not self.access_secret_encrypted:
            return ""
        return secrets.decrypt(self.access_secret_encrypted)

    def secret_is_readable(self) -> bool:
        """Whether the stored secret would decrypt (checked without decrypting it)."""
        return not self.access_secret_encrypted or secrets.is_decryptable(self.access_secret_encrypted)

    def secret_status(self) -> str:
        """What the edit forms say about the stored secret (never anything of its value)."""
        if not self.has_secret:
            return "No secret stored."
        text = "A secret is stored"
        if self.secret_updated_at:
            text += f" (set {timezone.localtime(self.secret_updated_at):%Y-%m-%d %H:%M})"
        if not self.secret_is_readable():
            return f"{text}. {secrets.UNDECRYPTABLE_MESSAGE}"
        return f"{text}. Leave blank to keep it."

    # --- references ---

    def rules(self) -> models.QuerySet[ReplicationRule]:
        return ReplicationRule.objects.filter(
            models.Q(source_registry=self) | models.Q(destination_registry=self)
        ).order_by("name")

    def used_by(self) -> tuple[list[ReplicationRule], list[ProxyCacheProject]]:
        return list(self.rules()), list(self.proxy_cache_projects.order_by("name"))

    def is_referenced(self) -> bool:
        return self.rules().exists() or self.proxy_cache_projects.exists()

    # --- connection checks ---

    def connection_target(self) -> Target:
        """What a check of the saved endpoint uses. Decrypts the secret (may raise)."""
        from endpoints.probe.target import Target

        return Target(
            provider=self.provider,
            url=self.url,
            access_id=self.access_id,
            access_secret=self.decrypt_secret(),
            verify_remote_cert=self.verify_remote_cert,
            ca_certificate=self.ca_certificate,
        )

    def forget_status(self) -> None:
        """Back to Unknown: the connection settings changed and no check has run since."""
        self.status, self.status_category, self.last_checked_at = self.Status.UNKNOWN, "", None
        self.status_detail = "Not checked since its connection settings changed."
        Registry.objects.filter(pk=self.pk).update(
            status=self.status, status_category="", status_detail=self.status_detail,
            last_checked_at=None,
        )

    def record_verdict(self, verdict: Verdict, checked_by=None) -> None:
        """Store a check's outcome: always, also when it failed (never a stale 'healthy').
        `checked_by`: the user who asked (Check now, a save that tested), or None (a
        scheduled check)."""
        Registry.record_verdicts([(self, verdict)], checked_by)

    @staticmethod
    def record_verdicts(results: list[tuple[Registry, Verdict]], checked_by=None) -> None:
        """Store many outcomes in a few statements whatever their number (a bulk update, a
        bulk insert, the history trimmed): storing must not cost more than checking."""
        if not results:
            return
        now = timezone.now()
        for registry, verdict in results:
            registry.status = Registry.Status.HEALTHY if verdict.ok else Registry.Status.UNHEALTHY
            registry.status_category = verdict.category
            registry.status_detail = verdict.reason[:500]
            registry.last_checked_at = now
            # A failed check may not have got as far as the certificate or the token: what
            # it could not read stays as last seen. A healthy check saw everything there is.
            registry.check_facts = dict(verdict.facts) if verdict.ok else {
                **(registry.check_facts or {}), **verdict.facts}
        Registry.objects.bulk_update(
            [registry for registry, _ in results],
            ["status", "status_category", "status_detail", "last_checked_at", "check_facts"],
        )
        HealthCheck.objects.bulk_create(
            HealthCheck(registry=registry, checked_by=checked_by, checked_at=now, ok=verdict.ok,
                        category=verdict.category, summary=verdict.reason[:500],
                        elapsed_ms=verdict.elapsed_ms, facts=dict(verdict.facts))
            for registry, verdict in results
        )
        HealthCheck.trim({registry.pk for registry, _ in results})


class HealthCheck(models.Model):
    """One stored check result; the last HISTORY_SIZE per registry are kept."""

    HISTORY_SIZE = 20

    registry = models.ForeignKey(Registry, on_delete=models.CASCADE, related_name="checks")
    checked_at = models.DateTimeField(default=timezone.now)
    # Who asked for it; empty for a scheduled check. Checks are kept here, apart from the
    # change log (LogEntry), which holds changes only.
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    ok = models.BooleanField()
    category = models.CharField(max_length=32)
    summary = models.CharField(max_length=500)
    elapsed_ms = models.PositiveIntegerField()
    facts = models.JSONField(default=dict, blank=True)  # Verdict.facts

    class Meta:
        ordering = ["-checked_at", "-id"]
        indexes = [
            models.Index(fields=["registry", "-checked_at"]),
            # The newest scheduled check, for "is the monitor running?": one index entry.
            models.Index(fields=["-checked_at"], condition=models.Q(checked_by__isnull=True),
                         name="healthcheck_scheduled_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.registry} {self.category} at {self.checked_at:%Y-%m-%d %H:%M:%S}"

    @property
    def category_label(self) -> str:
        return category_label(self.category)

    @classmethod
    def record(cls, registry: Registry, verdict: Verdict, checked_by=None) -> HealthCheck:
        """One result in the history (the endpoint's status columns are the caller's)."""
        check = cls.objects.create(registry=registry, checked_by=checked_by, ok=verdict.ok,
                                   category=verdict.category, summary=verdict.reason[:500],
                                   elapsed_ms=verdict.elapsed_ms, facts=dict(verdict.facts))
        cls.trim({registry.pk})
        return check

    @classmethod
    def trim(cls, registry_ids: set[int]) -> None:
        """Keep the newest HISTORY_SIZE checks of each of these endpoints."""
        newest_first = Window(RowNumber(), partition_by=[F("registry_id")],
                              order_by=[F("checked_at").desc(), F("id").desc()])
        stale = list(
            cls.objects.filter(registry_id__in=registry_ids).annotate(rank=newest_first)
            .filter(rank__gt=cls.HISTORY_SIZE).values_list("pk", flat=True)
        )
        if stale:
            cls.objects.filter(pk__in=stale).delete()


class ReplicationRule(models.Model):
    """A replication rule; an empty side means the local registry."""

    name = models.CharField(max_length=255, unique=True)
    description = models.TextField(blank=True)
    source_registry = models.ForeignKey(
        Registry,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rules_as_source",
        help_text="Empty means the local registry.",
    )
    destination_registry = models.ForeignKey(
        Registry,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rules_as_destination",
        help_text="Empty means the local registry.",
    )
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(source_registry__isnull=False)
                | models.Q(destination_registry__isnull=False),
                name="rule_has_a_remote_side",
                violation_error_message=(
                    "Choose a source or a destination registry: a rule needs at least one "
                    "remote side."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name


def proxy_cache_registry_choices() -> models.Q:
    return models.Q(provider__in=proxy_cache_provider_keys())


class ProxyCacheProject(models.Model):
    """A project that pulls through a remote registry and caches what it pulls."""

    name = models.CharField(max_length=255, unique=True)
    registry = models.ForeignKey(
        Registry,
        on_delete=models.PROTECT,
        related_name="proxy_cache_projects",
        limit_choices_to=proxy_cache_registry_choices,
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def _provider_error(self) -> str | None:
        registry = Registry.objects.filter(pk=self.registry_id).first()
        if registry is None or registry.provider in proxy_cache_provider_keys():
            return None
        allowed = ", ".join(get_provider(k).label for k in proxy_cache_provider_keys())
        return (
            f"{registry.provider_label} endpoints cannot back a proxy-cache project here: "
            f"PROXY_CACHE_PROVIDERS (a server setting) allows {allowed}. Choose an endpoint of "
            "one of these, or ask the operator of this server to add the provider to the setting."
        )

    def clean_fields(self, exclude=None) -> None:
        # limit_choices_to makes the FK check say only "not a valid choice": clean() says why.
        try:
            super().clean_fields(exclude)
        except ValidationError as exc:
            errors = exc.update_error_dict({})
            if "registry" in errors and self._provider_error():
                del errors["registry"]
            if errors:
                raise ValidationError(errors) from None

    def clean(self) -> None:
        if self.registry_id and (message := self._provider_error()):
            raise ValidationError({"registry": message})


class ConnectionAttempt(models.Model):
    """One Test Connection or Check now someone asked for: who, what, and how it ended.

    The record of tests of unsaved endpoints (which leave nothing else behind), and what
    the per-user limits count, across every worker process (endpoints/throttle.py).
    """

    class Kind(models.TextChoices):
        TEST = "test", "Test Connection"
        CHECK = "check", "Check now"

    THROTTLED = "throttled"  # the outcome of an attempt the limits refused

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                             related_name="+")
    kind = models.CharField(max_length=8, choices=Kind)
    registry = models.ForeignKey(Registry, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", help_text="Empty for an unsaved endpoint.")
    provider = models.CharField(max_length=32, blank=True)
    url = models.CharField("Endpoint URL", max_length=512, blank=True)
    endpoints_checked = models.PositiveIntegerField(default=1)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=32, blank=True,
                               help_text="The verdict's category, or “throttled”.")

    class Meta:
        verbose_name = "connection test"
        verbose_name_plural = "connection tests"
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["user", "-started_at"])]

    def __str__(self) -> str:
        what = self.url or self.registry or f"{self.endpoints_checked} endpoints"
        return f"{self.get_kind_display()} of {what} at {self.started_at:%Y-%m-%d %H:%M:%S}"

    def finish(self, outcome: str) -> None:
        self.outcome = outcome[:32]
        self.finished_at = timezone.now()
        ConnectionAttempt.objects.filter(pk=self.pk).update(outcome=self.outcome,
                                                            finished_at=self.finished_at)
