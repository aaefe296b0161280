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


TIMELINE_SLOT = 14
TIMELINE_HEIGHT = 48


@register.simple_tag
def check_timeline(checks) -> str:
    """One bar per stored check, oldest left: colour by verdict, height by latency."""
    checks = list(reversed(list(checks)))
    if not checks:
        return ""
    slowest = max(check.elapsed_ms for check in checks) or 1
    healthy = sum(1 for check in checks if check.ok)
    bars = []
    for index, check in enumerate(checks):
        height = max(4, round(TIMELINE_HEIGHT * check.elapsed_ms / slowest))
        bars.append(format_html(
            '<rect class="{}" x="{}" y="{}" width="{}" height="{}" rx="2" fill="{}">'
            "<title>{} — {} ({}, {} ms)</title></rect>",
            "mark-ok" if check.ok else "mark-failed",
            index * TIMELINE_SLOT + 1, TIMELINE_HEIGHT - height, TIMELINE_SLOT - 4, height,
            "#198754" if check.ok else "#dc3545",
            timezone.localtime(check.checked_at).strftime("%Y-%m-%d %H:%M:%S"),
            "Healthy" if check.ok else "Unhealthy", check.category, check.elapsed_ms,
        ))
    width = len(checks) * TIMELINE_SLOT
    label = (
        f"Last {len(checks)} checks, oldest first: {healthy} healthy, {len(checks) - healthy} "
        f"unhealthy; bar height is latency (slowest {slowest} ms)."
    )
    return format_html(
        '<svg class="timeline" role="img" aria-label="{}" width="{}" height="{}" viewBox="0 0 {} {}">'
        '<title>{}</title>{}<line x1="0" y1="{}" x2="{}" y2="{}" stroke="#adb5bd"/></svg>',
        label, width, TIMELINE_HEIGHT + 2, width, TIMELINE_HEIGHT + 2, label,
        format_html("".join(["{}"] * len(bars)), *bars),
        TIMELINE_HEIGHT + 1, width, TIMELINE_HEIGHT + 1,
    )
