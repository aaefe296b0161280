"""Django admin for endpoints, replication rules and proxy-cache projects.

Secrets are write-only here as on the pages (forms_admin.RegistryAdminForm). Deletion is
guarded by the database: a rule or project that appears after the confirmation page
turns the delete into a message naming it, never a 500.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.db import IntegrityError, connections, router, transaction
from django.db.models.deletion import ProtectedError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters

from endpoints import names, services, throttle
from endpoints.forms import CONNECTION_FIELDS
from endpoints.forms_admin import (
    ProxyCacheProjectAdminForm,
    ProxyCacheRegistryField,
    RegistryAdminForm,
)
from endpoints.models import ConnectionAttempt, ProxyCacheProject, Registry, ReplicationRule
from endpoints.probe.result import Verdict

sensitive_secret_post = method_decorator(sensitive_post_parameters("access_secret"))

STATUS_SYMBOLS = {
    Registry.Status.HEALTHY: "✔",
    Registry.Status.UNHEALTHY: "✘",
    Registry.Status.UNKNOWN: "?",
}


class DeletionRefused(Exception):
    """The database refused to delete registries that are still referenced."""


def blockers_text(registry: Registry) -> str:
    rules, projects = registry.used_by()
    blockers = [f"replication rule “{rule.name}”" for rule in rules]
    blockers += [f"proxy-cache project “{project.name}”" for project in projects]
    return ", ".join(blockers)


def refusal_message(registries: list[Registry]) -> str:
    blocked = [
        f"“{registry.name}” is used by {text}" for registry in registries if (text := blockers_text(registry))
    ]
    if not blocked:  # the blocker is not visible (yet) to this transaction
        listed = ", ".join(f"“{registry.name}”" for registry in registries)
        return (
            f"Nothing was deleted: something started using {listed} while it was being "
            "deleted. Reload the page and try again."
        )
    return (
        f"Nothing was deleted: {'; '.join(blocked)}. Remove these from the rules or projects "
        "(or delete them) first."
    )


@admin.register(Registry)
class RegistryAdmin(admin.ModelAdmin):
    form = RegistryAdminForm
    list_display = [
        "name",
        "provider",
        "url",
        "status_badge",
        "verify_remote_cert",
        "used_by_total",
        "created_at",
    ]
    list_filter = ["provider", "status", "verify_remote_cert"]
    search_fields = ["name", "url", "description"]  # never the secret
    readonly_fields = [
        "status",
        "status_category",
        "status_detail",
        "last_checked_at",
        "used_by_list",
        "created_at",
        "updated_at",
        "secret_updated_at",
    ]
    actions = ["check_connection", "delete_selected"]

    ENDPOINT_FIELDS = RegistryAdminForm.Meta.fields

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": [f for f in self.ENDPOINT_FIELDS if f != "clear_secret"]})]
        return [
            (None, {"fields": self.ENDPOINT_FIELDS}),
            ("Health", {"fields": ["status", "status_category", "status_detail", "last_checked_at"]}),
            ("Usage", {"fields": ["used_by_list", "created_at", "updated_at", "secret_updated_at"]}),
        ]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(self.readonly_fields)
        if obj is not None and obj.is_referenced():
            readonly.append("provider")
        return readonly

    def get_queryset(self, request):
        return super().get_queryset(request).with_usage()

    def get_search_results(self, request, queryset, search_term):
        """Django's search, and the name's stored key as the Registries page searches it
        (SQLite folds the case of ASCII letters only)."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if key := names.name_key(search_term):
            results = results | queryset.filter(name_key__contains=key)
        return results, may_have_duplicates

    @sensitive_secret_post
    def add_view(self, request, form_url="", extra_context=None):
        return super().add_view(request, form_url, extra_context)

    @sensitive_secret_post
    def change_view(self, request, object_id, form_url="", extra_context=None):
        return super().change_view(request, object_id, form_url, extra_context)

    # --- columns ---

    @admin.display(description="Status", ordering="status")
    def status_badge(self, obj: Registry) -> str:
        label = f"{STATUS_SYMBOLS.get(obj.status, '?')} {obj.get_status_display()}"
        if obj.last_checked_at:
            label += f" · checked {timesince(obj.last_checked_at)} ago"
        return format_html(
            '<span class="harborreg-status harborreg-status-{}" title="{}">{}</span>',
            obj.status,
            obj.status_detail,
            label,
        )

    @admin.display(description="Used by", ordering="used_by_count")
    def used_by_total(self, obj: Registry) -> int:
        return obj.used_by_count

    @admin.display(description="Used by")
    def used_by_list(self, obj: Registry) -> str:
        rules, projects = obj.used_by()
        if not rules and not projects:
            return "Nothing uses this endpoint."
        links = [
            ("Replication rule", reverse("admin:endpoints_replicationrule_change", args=[r.pk]), r)
            for r in rules
        ] + [
            ("Proxy-cache project", reverse("admin:endpoints_proxycacheproject_change", args=[p.pk]), p)
            for p in projects
        ]
        line_break = mark_safe("<br>")  # noqa: S308 (a constant)
        return format_html_join(line_break, '{} <a href="{}">{}</a>', links)

    def save_model(self, request, obj: Registry, form, change) -> None:
        obj.save_edit()
        for note in getattr(form, "url_notes", []):
            self.message_user(request, note, messages.INFO)
        if not change or {*CONNECTION_FIELDS, "access_secret"} & set(form.changed_data):
            self._test_saved(request, obj)

    def _test_saved(self, request, registry: Registry) -> None:
        """The connection test the pages run when an endpoint is created or its connection
        changes, run here after the save and reported; the admin is the operator's tool,
        so a failure does not refuse the save (the pages offer "Save anyway" instead)."""
        try:
            ((_, verdict),) = services.check_now([registry], request.user, ConnectionAttempt.Kind.TEST)
        except throttle.Throttled as refusal:
            verdict, untested = None, refusal.message
        else:
            untested = services.POOL_BUSY_MESSAGE
        name = f"“{registry.name}”"
        if verdict is None:
            registry.forget_status()  # the last check was of other connection settings
            self.message_user(request, f"{name} was saved but not tested. {untested}", messages.WARNING)
        elif verdict.ok:
            self.message_user(request, f"{name}: connection tested, Healthy. {verdict.reason}",
                              messages.SUCCESS)
        else:
            self.message_user(
                request,
                f"{name}: connection tested, Unhealthy ({verdict.category_label}). {verdict.reason} "
                "It was saved anyway, as the admin does (the Registries page asks first).",
                messages.WARNING,
            )

    # --- actions ---

    @admin.action(description="Check connection", permissions=["change"])
    def check_connection(self, request, queryset) -> None:
        def report(registry: Registry, verdict: Verdict) -> None:
            if verdict.ok:
                self.message_user(request, f"{registry.name}: Healthy. {verdict.reason}", messages.SUCCESS)
            else:
                self.message_user(
                    request,
                    f"{registry.name}: Unhealthy ({verdict.category_label}). {verdict.reason}",
                    messages.ERROR,
                )

        registries = list(queryset.order_by("name"))
        try:
            checked = services.check_now(registries, request.user, on_result=report)
        except throttle.Throttled as refusal:
            self.message_user(request, refusal.message, messages.ERROR)
            return
        skipped = [registry.name for registry, verdict in checked if verdict is None]
        if skipped:
            self.message_user(request, f"{', '.join(skipped)}: {services.POOL_BUSY_MESSAGE}",
                              messages.WARNING)

    @admin.action(permissions=["delete"], description=gettext_lazy("Delete selected %(verbose_name_plural)s"))
    def delete_selected(self, request, queryset):
        """Django's delete_selected, all or nothing: a refusal rolls back its LogEntry rows."""
        try:
            with transaction.atomic(using=router.db_for_write(Registry)):
                return django_delete_selected(self, request, queryset)
        except DeletionRefused as refusal:
            self.message_user(request, str(refusal), messages.ERROR)
            return None

    # --- deletion guarded by the database ---

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except DeletionRefused as refusal:
            self.message_user(request, str(refusal), messages.ERROR)
            return HttpResponseRedirect(request.path)

    def delete_model(self, request, obj: Registry) -> None:
        self._delete_or_refuse([obj], obj.delete)

    def delete_queryset(self, request, queryset) -> None:
        delete_all = super().delete_queryset
        self._delete_or_refuse(list(queryset), lambda: delete_all(request, queryset))

    def _delete_or_refuse(self, registries: list[Registry], delete) -> None:
        """Delete, then have the database check the references now rather than at commit,
        so a rule inserted after the PROTECT check is caught here (savepoint rolled back)."""
        using = router.db_for_write(Registry)
        pks = [registry.pk for registry in registries]
        try:
            with transaction.atomic(using=using):
                delete()
                connections[using].check_constraints(
                    table_names=[ReplicationRule._meta.db_table, ProxyCacheProject._meta.db_table]
                )
        except (ProtectedError, IntegrityError):
            for registry, pk in zip(registries, pks, strict=True):
                registry.pk = pk  # Collector.delete() cleared it; the rows were rolled back
            raise DeletionRefused(refusal_message(registries)) from None


@admin.register(ReplicationRule)
class ReplicationRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "source_registry", "destination_registry", "enabled"]
    list_filter = ["enabled"]
    search_fields = ["name"]
    list_select_related = ["source_registry", "destination_registry"]


@admin.register(ProxyCacheProject)
class ProxyCacheProjectAdmin(admin.ModelAdmin):
    form = ProxyCacheProjectAdminForm
    list_display = ["name", "registry"]
    search_fields = ["name"]
    list_select_related = ["registry"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "registry":
            kwargs["form_class"] = ProxyCacheRegistryField
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(ConnectionAttempt)
class ConnectionAttemptAdmin(admin.ModelAdmin):
    """Who tested or checked what, and how it ended: read-only, written by the pages."""

    list_display = ["started_at", "user", "kind", "url", "registry", "endpoints_checked", "outcome",
                    "finished_at"]
    list_filter = ["kind", "outcome", "started_at"]
    search_fields = ["url", "user__username", "registry__name"]
    list_select_related = ["user", "registry"]
    date_hierarchy = "started_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
