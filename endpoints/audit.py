"""Every change, from pages or admin, goes to Django's LogEntry: who, what, which fields.

A secret change is recorded as the field name "Access Secret" only, never its value.
Connection tests and checks are not changes: they are kept in the check history
(HealthCheck, with who asked) and the record of tests (ConnectionAttempt).
"""

from __future__ import annotations

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models

SECRET_FIELD_LABEL = "Access Secret"


def _log(user, obj: models.Model, flag: int, message: list | str) -> LogEntry:
    return LogEntry.objects.log_actions(
        user_id=user.pk,
        queryset=[obj],
        action_flag=flag,
        change_message=message,
        single_object=True,
    )


def log_addition(user, obj: models.Model) -> LogEntry:
    return _log(user, obj, ADDITION, [{"added": {}}])


def log_change(user, obj: models.Model, changed_fields: list[str]) -> LogEntry | None:
    if not changed_fields:
        return None
    return _log(user, obj, CHANGE, [{"changed": {"fields": changed_fields}}])


def log_deletion(user, obj: models.Model) -> LogEntry:
    return _log(user, obj, DELETION, [{"deleted": {"name": str(obj._meta.verbose_name), "object": str(obj)}}])


def entries_for(obj: models.Model) -> models.QuerySet[LogEntry]:
    return LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
    ).order_by("-action_time")
