"""Robot accounts in the Django admin. The secret exists in clear only in the response to
an add or to "Regenerate secret": that one page shows it (not cached, not stored in a
message or the session) and nothing shows it again."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from api.models import RobotAccount, RobotPermission, expiry_after

SECRET_FIELD = "Secret"  # how a new secret is named in the change log


class PermissionsField(forms.MultipleChoiceField):
    def __init__(self, **kwargs) -> None:
        super().__init__(choices=RobotPermission.choices, widget=forms.CheckboxSelectMultiple,
                         help_text="What the robot may do with registry endpoints through the API.", **kwargs)


class RobotAddForm(forms.ModelForm):
    permissions = PermissionsField(initial=[RobotPermission.VIEW])
    duration = forms.IntegerField(
        label="Expires in (days)", initial=30, min_value=-1,
        help_text="-1: never (Harbor's duration). The expiry can be changed later.",
    )

    class Meta:
        model = RobotAccount
        fields = ["name", "description", "permissions"]
        help_texts = {"name": "Stored as robot$NAME: 1–64 lowercase letters and digits, with single . _ or - "
                              "between them."}

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("duration") is not None:
            self.instance.expires_at = expiry_after(cleaned["duration"])
        return cleaned


class RobotChangeForm(forms.ModelForm):
    permissions = PermissionsField()

    class Meta:
        model = RobotAccount
        fields = ["description", "permissions", "expires_at", "disabled"]


@admin.register(RobotAccount)
class RobotAccountAdmin(admin.ModelAdmin):
    list_display = ["name", "permissions_summary", "state_label", "expires", "last_used_at",
                    "last_used_from", "created_by", "created_at"]
    list_filter = ["disabled"]
    search_fields = ["name", "description"]
    actions = ["regenerate_secret", "disable_robots", "enable_robots"]
    readonly_fields = ["name", "state_label", "secret_info", "last_used_at", "last_used_from", "created_by",
                       "created_at"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = RobotChangeForm if obj is not None else RobotAddForm
        return super().get_form(request, obj, change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "description", "permissions", "duration"]
        return ["name", "state_label", "description", "permissions", "expires_at", "disabled",
                "secret_info", "last_used_at", "last_used_from", "created_by", "created_at"]

    @admin.display(description="Permissions")
    def permissions_summary(self, robot: RobotAccount) -> str:
        """view, add, change, delete (of registry endpoints)."""
        return ", ".join(codename.removesuffix("_registry") for codename in robot.permissions)

    @admin.display(description="Expires", ordering="expires_at")
    def expires(self, robot: RobotAccount):
        return robot.expires_at or "never"

    @admin.display(description="Secret")
    def secret_info(self, robot: RobotAccount) -> str:
        return (f"Set {timezone.localtime(robot.secret_updated_at):%Y-%m-%d %H:%M}. It was shown once; to "
                "replace it, select the robot on the list and run the action “Regenerate secret”.")

    @admin.display(description="State")
    def state_label(self, robot: RobotAccount) -> str:
        return robot.state.capitalize()

    def save_model(self, request, obj: RobotAccount, form, change: bool) -> None:
        if not change:
            obj.created_by = request.user
            request.robot_secrets = [(obj, obj.attach_user_and_secret())]
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        return self.secret_page(request, "Robot account created", getattr(request, "robot_secrets", []))

    def secret_page(self, request, title: str, shown: list[tuple[RobotAccount, str]]) -> TemplateResponse:
        response = TemplateResponse(request, "admin/api/robotaccount/secret.html", {
            **self.admin_site.each_context(request), "title": title, "opts": self.opts, "shown": shown,
            "api_url": request.build_absolute_uri("/api/v2.0"),
        })
        add_never_cache_headers(response)
        return response

    @admin.action(description="Regenerate secret (shown once)", permissions=["change"])
    def regenerate_secret(self, request, queryset):
        shown = []
        for robot in queryset:
            shown.append((robot, robot.regenerate_secret()))
            self.log_change(request, robot, [{"changed": {"fields": [SECRET_FIELD]}}])
        title = "New robot secret" if len(shown) == 1 else "New robot secrets"
        return self.secret_page(request, title, shown)

    @admin.action(description="Disable", permissions=["change"])
    def disable_robots(self, request, queryset):
        self._set_disabled(request, queryset, True)

    @admin.action(description="Enable", permissions=["change"])
    def enable_robots(self, request, queryset):
        self._set_disabled(request, queryset, False)

    def _set_disabled(self, request, queryset, disabled: bool) -> None:
        robots = list(queryset.exclude(disabled=disabled))
        for robot in robots:
            robot.disabled = disabled
            robot.save(update_fields=["disabled"])
            self.log_change(request, robot, [{"changed": {"fields": ["Disabled"]}}])
        verb = "Disabled" if disabled else "Enabled"
        self.message_user(request, f"{verb} {len(robots)} robot account{'s' if len(robots) != 1 else ''}.",
                          messages.SUCCESS)

