"""Notification channels, their delivery log and the events, in the Django admin.

A channel's signing secret is write-only, as access secrets are (monitor.forms). "Send test
notification" is a button on a channel's page and an action on the list; both send through
the channel's own transport and log the delivery.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html, format_html_join
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from monitor import notify
from monitor.forms import ChannelForm
from monitor.models import Delivery, Event, NotificationChannel

sensitive_secret_post = method_decorator(sensitive_post_parameters("secret"))
DELIVERY_LOG_SIZE = 20


@admin.register(NotificationChannel)
class NotificationChannelAdmin(admin.ModelAdmin):
    form = ChannelForm
    list_display = ["name", "kind", "enabled", "target", "secret_summary", "last_delivery"]
    list_filter = ["kind", "enabled"]
    search_fields = ["name"]  # never the secret
    readonly_fields = ["secret_summary", "delivery_log"]
    actions = ["send_test_notification"]
    change_form_template = "admin/monitor/notificationchannel/change_form.html"

    def get_fieldsets(self, request, obj=None):
        fields = [(None, {"fields": ["name", "kind", "enabled"]}),
                  ("Webhook", {"fields": ["url", "slack_format", "secret"]}),
                  ("E-mail", {"fields": ["recipients"]})]
        if obj is not None:
            fields.append(("Delivery log", {"fields": ["delivery_log"]}))
        return fields

    @sensitive_secret_post
    def add_view(self, request, form_url="", extra_context=None):
        return super().add_view(request, form_url, extra_context)

    @sensitive_secret_post
    def change_view(self, request, object_id, form_url="", extra_context=None):
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description="Signing secret")
    def secret_summary(self, channel: NotificationChannel) -> str:
        if channel.kind != NotificationChannel.Kind.WEBHOOK:
            return "—"
        return "stored" if channel.has_secret else "none"

    @admin.display(description="Last delivery")
    def last_delivery(self, channel: NotificationChannel) -> str:
        delivery = channel.deliveries.order_by("-pk").first()
        if delivery is None:
            return "—"
        return f"{delivery.get_status_display()}: {delivery.outcome}"

    @admin.display(description="Recent deliveries")
    def delivery_log(self, channel: NotificationChannel) -> str:
        deliveries = channel.deliveries.select_related("event").order_by("-pk")[:DELIVERY_LOG_SIZE]
        if not deliveries:
            return "Nothing sent yet: use “Send test notification” above."
        rows = format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((delivery.last_attempt_at.strftime("%Y-%m-%d %H:%M:%S") if delivery.last_attempt_at else "—",
              delivery.event.title, delivery.get_status_display(), delivery.attempts, delivery.outcome)
             for delivery in deliveries))
        return format_html("<table><thead><tr><th>Last attempt</th><th>Event</th><th>Status</th><th>Attempts"
                           "</th><th>Outcome</th></tr></thead><tbody>{}</tbody></table>", rows)

    # --- send test notification ---

    def get_urls(self):
        urls = super().get_urls()
        return [path("<path:object_id>/test/", self.admin_site.admin_view(self.test_view),
                     name="monitor_notificationchannel_test"), *urls]

    @method_decorator(require_POST)
    def test_view(self, request: HttpRequest, object_id: str):
        channel = get_object_or_404(NotificationChannel, pk=object_id)
        if not self.has_change_permission(request, channel):
            raise PermissionDenied
        self._send_test(request, channel)
        return HttpResponseRedirect(reverse("admin:monitor_notificationchannel_change", args=[channel.pk]))

    @admin.action(description="Send test notification", permissions=["change"])
    def send_test_notification(self, request, queryset) -> None:
        for channel in queryset.order_by("name"):
            self._send_test(request, channel)

    def _send_test(self, request: HttpRequest, channel: NotificationChannel) -> None:
        outcome = notify.send_test(channel)
        if outcome.ok:
            self.message_user(request, f"Test notification sent to “{channel.name}”: {outcome.detail}.",
                              messages.SUCCESS)
        else:
            self.message_user(request, f"Test notification to “{channel.name}” failed: {outcome.detail}",
                              messages.ERROR)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    """State changes and warnings the monitor recorded (the Recent events page shows them too)."""

    list_display = ["created_at", "registry_name", "kind", "old_state", "new_state", "category_label",
                    "summary"]
    list_filter = ["kind", "category", "created_at"]
    search_fields = ["registry_name", "summary"]
    date_hierarchy = "created_at"


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    """Every event sent to every channel: status, attempts, and what each attempt answered."""

    list_display = ["event", "channel", "status", "attempts", "last_attempt_at", "outcome"]
    list_filter = ["status", "channel"]
    list_select_related = ["event", "channel"]
