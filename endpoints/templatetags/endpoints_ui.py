"""Small presentation helpers for the Registries pages."""

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode

register = template.Library()

BADGES = {"healthy": "text-bg-success", "unhealthy": "text-bg-danger", "unknown": "text-bg-secondary"}


@register.simple_tag
def status_badge(registry) -> str:
    reason = registry.status_detail or (
        "Not checked yet." if registry.status == "unknown" else ""
    )
    return format_html(
        '<span class="badge {}" title="{}">{}</span>',
        BADGES.get(registry.status, "text-bg-secondary"),
        reason,
        registry.get_status_display(),
    )


@register.simple_tag
def checked_ago(when) -> str:
    if not when:
        return "never checked"
    minutes = int((timezone.now() - when).total_seconds() // 60)
    if minutes < 1:
        return "checked just now"
    if minutes < 60:
        return f"checked {minutes} min ago"
    hours = minutes // 60
    if hours < 48:
        return f"checked {hours} h ago"
    return f"checked {hours // 24} days ago"


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current list query string with some parameters replaced."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    if "page" not in changes:
        params.pop("page", None)
    return "?" + urlencode(sorted(params.items()))
