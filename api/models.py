"""Robot accounts: Harbor's accounts for automation, for this API only.

A robot is `robot$<name>` with a set of registry permissions, an optional expiry, and a
secret that is generated, shown once and stored only as a hash. It acts through a Django
`User` row of the same name that can never log in (inactive, no usable password): the
change log (LogEntry), the record of connection tests and the check history keep a real
actor, and that actor's name is the robot's. Deleting a robot keeps that row, so its
entries in the change log stay.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher, make_password
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

PREFIX = "robot$"  # Harbor's default robot name prefix
NAME_MAX = 64
# Harbor's rule for robot names: lowercase letters and digits, single . _ - between them.
NAME_PATTERN = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*")
SECRET_BYTES = 32  # 256 random bits; token_urlsafe gives 43 characters
LAST_USE_EVERY = timedelta(minutes=1)


class RobotSecretHasher(PBKDF2PasswordHasher):
    """Django's PBKDF2 with Harbor's 4096 rounds for robot secrets (utils.Encrypt).

    A person's password needs a million rounds because it may be guessable; a robot secret
    is 256 random bits, which no number of rounds makes safer, while every API request by
    a robot pays for one check (a million rounds: about half a second here)."""

    iterations = 4096


HASHER = RobotSecretHasher()
_DUMMY_HASH = None


def dummy_check(secret: str) -> None:
    """Spend what a real check costs, so an unknown name answers as slowly as a known one."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = make_password(secrets.token_urlsafe(SECRET_BYTES), hasher=HASHER)
    HASHER.verify(secret, _DUMMY_HASH)


def full_name(name: str) -> str:
    name = name.strip()
    return name if name.startswith(PREFIX) else PREFIX + name


class RobotPermission(models.TextChoices):
    VIEW = "view_registry", "View registries"
    ADD = "add_registry", "Add registries"
    CHANGE = "change_registry", "Change registries"
    DELETE = "delete_registry", "Delete registries"


class RobotAccountManager(models.Manager):
    def create_robot(self, name: str, permissions: list[str], *, created_by=None, description: str = "",
                     duration_days: int | None = None, expires_at=None) -> tuple[RobotAccount, str]:
        """A new robot and its secret (the only time the secret exists in clear).
        `duration_days` as Harbor's `duration`: a number of days, -1 (or None) for never."""
        robot = self.model(name=full_name(name), description=description, permissions=list(permissions),
                           created_by=created_by, expires_at=expires_at)
        if duration_days is not None:
            robot.expires_at = expiry_after(duration_days)
        robot.full_clean(exclude=["user", "secret_hash", "secret_updated_at"])
        with transaction.atomic():
            secret = robot.attach_user_and_secret()
            robot.save()
        return robot, secret


def expiry_after(days: int | None):
    if days is None or days < 0:
        return None
    return timezone.now() + timedelta(days=days)


def validate_permissions(value) -> None:
    allowed = set(RobotPermission.values)
    if not isinstance(value, list) or not value:
        raise ValidationError("Choose at least one permission.")
    unknown = [item for item in value if item not in allowed]
    if unknown:
        raise ValidationError(f"Unknown permissions: {', '.join(map(str, unknown))}; a robot may have "
                              f"{', '.join(RobotPermission.values)}.")


class RobotAccount(models.Model):
    name = models.CharField(max_length=len(PREFIX) + NAME_MAX, unique=True,
                            help_text="robot$ and 1–64 lowercase letters, digits, and . _ - between them.")
    description = models.TextField(blank=True)
    permissions = models.JSONField(default=list, validators=[validate_permissions],
                                   help_text="What the robot may do with registry endpoints.")
    expires_at = models.DateTimeField("Expires", null=True, blank=True,
                                      help_text="Empty: never expires.")
    disabled = models.BooleanField(default=False)
    secret_hash = models.CharField(max_length=256, editable=False)
    secret_updated_at = models.DateTimeField("Secret set", editable=False)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                related_name="robot_account", editable=False,
                                help_text="The row the change log names (it cannot log in).")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField("Last used", null=True, blank=True, editable=False)
    last_used_from = models.GenericIPAddressField(null=True, blank=True, editable=False)

    objects = RobotAccountManager()

    class Meta:
        ordering = ["name"]
        verbose_name = "robot account"

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        self.name = full_name(self.name or "")
        short = self.name.removeprefix(PREFIX)
        if not (1 <= len(short) <= NAME_MAX and NAME_PATTERN.fullmatch(short)):
            raise ValidationError({"name": f"“{short}”: use 1–{NAME_MAX} lowercase letters and digits, with "
                                           "single . _ or - between them (Harbor's rule for robot names)."})
        if isinstance(self.permissions, list):
            # In a fixed order, without repeats.
            self.permissions = [p for p in RobotPermission.values if p in self.permissions]

    def validate_unique(self, exclude=None) -> None:
        super().validate_unique(exclude)
        taken = User.objects.filter(username=self.name)
        if self.user_id:
            taken = taken.exclude(pk=self.user_id)
        if taken.filter(robot_account__isnull=True, is_active=True).exists():
            raise ValidationError({"name": f"{self.name} already exists as a user account."})

    # --- the secret ---

    def attach_user_and_secret(self) -> str:
        """The backing user row (an earlier robot's of the same name is reused, so its change
        log entries stay with the name) and a new secret, returned once."""
        user, _ = User.objects.get_or_create(username=self.name, defaults={"is_active": False})
        user.is_active = user.is_staff = user.is_superuser = False
        user.set_unusable_password()
        user.save()
        self.user = user
        return self.set_new_secret()

    def set_new_secret(self) -> str:
        secret = secrets.token_urlsafe(SECRET_BYTES)
        self.secret_hash = make_password(secret, hasher=HASHER)
        self.secret_updated_at = timezone.now()
        return secret

    def regenerate_secret(self) -> str:
        secret = self.set_new_secret()
        self.save(update_fields=["secret_hash", "secret_updated_at"])
        return secret

    def check_secret(self, secret: str) -> bool:
        """Constant time (the hasher's compare); never raises for a malformed hash."""
        try:
            return bool(secret) and HASHER.verify(secret, self.secret_hash)
        except (ValueError, TypeError):
            return False

    # --- state ---

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def state(self) -> str:
        if self.disabled:
            return "disabled"
        return "expired" if self.is_expired else "active"

    def refusal(self) -> str | None:
        """Why a robot with the right secret may not act now, or None."""
        if self.disabled:
            return f"{self.name} is disabled: an administrator can enable it again"
        if self.is_expired:
            return (f"{self.name} expired on {self.expires_at:%Y-%m-%d %H:%M} UTC: an administrator can "
                    "set a later expiry")
        return None

    def note_use(self, address: str | None) -> None:
        """Remember the last use, writing at most once a minute (a busy robot costs no write
        per request)."""
        now = timezone.now()
        if self.last_used_at is not None and now - self.last_used_at < LAST_USE_EVERY:
            return
        self.last_used_at, self.last_used_from = now, address or None
        RobotAccount.objects.filter(pk=self.pk).update(last_used_at=now, last_used_from=self.last_used_from)

    def has_registry_permission(self, perm: str) -> bool:
        app, _, codename = perm.partition(".")
        return app == "endpoints" and codename in self.permissions


class RobotPrincipal(User):
    """Who `request.user` is for a robot: its backing user row, answering as the robot —
    active and staff for the API's checks (in memory only), with the robot's permissions."""

    class Meta:
        proxy = True
        default_permissions = ()

    robot: RobotAccount

    @classmethod
    def of(cls, robot: RobotAccount) -> RobotPrincipal:
        user = robot.user
        principal = cls(**{f.attname: getattr(user, f.attname) for f in User._meta.concrete_fields})
        principal._state.adding, principal._state.db = False, user._state.db
        principal.robot = robot
        principal.is_active = principal.is_staff = True
        principal.is_superuser = False
        return principal

    @property
    def is_robot(self) -> bool:
        return True

    def save(self, *args, **kwargs) -> None:
        raise TypeError("a robot principal is never saved: its in-memory flags would make the row a "
                        "staff login")

    def has_perm(self, perm: str, obj=None) -> bool:
        return self.robot.has_registry_permission(perm)

    def has_perms(self, perm_list, obj=None) -> bool:
        return all(self.has_perm(perm, obj) for perm in perm_list)

    def has_module_perms(self, app_label: str) -> bool:
        return app_label == "endpoints"

    def get_all_permissions(self, obj=None) -> set[str]:
        return {f"endpoints.{codename}" for codename in self.robot.permissions}
