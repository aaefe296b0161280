"""Small presentation helpers for the Registries pages."""

import math
import re
from datetime import timedelta

from django import template
from django.utils import timezone
from django.utils.html import escape, format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import SafeString

from endpoints.views.common import list_url

register = template.Library()

BADGES = {"healthy": "text-bg-success", "unhealthy": "text-bg-danger", "unknown": "text-bg-secondary"}


def status_title(registry) -> str:
    """The reason a status badge shows on hover (the status JSON sends it too)."""
    reason = registry.status_detail or (
        "Not checked yet." if registry.status == "unknown" else ""
    )
    if registry.status_category and registry.status_category != "ok" and reason:
        reason = f"{registry.status_category_label}: {reason}"
    return reason


@register.simple_tag
def status_badge(registry) -> str:
    return format_html(
        '<span class="badge {}" title="{}">{}</span>',
        BADGES.get(registry.status, "text-bg-secondary"),
        status_title(registry),
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
def registries_url(context) -> str:
    """The Registries list as the user left it (page, sort, filter, page size)."""
    return list_url(context["request"])


# A URL is cut into host labels and path segments; an IPv6 literal stays whole.
URL_PIECES = re.compile(r"(\[[^\]]*\]|://|[/.:-])")
LONG_TOKEN = 24


@register.filter
def break_url(url) -> SafeString:
    """The URL with line-break opportunities where style guides put them (Chicago): after
    `://` and `:`, before `.` and `/` (browsers break after `-` already). Only a run longer
    than LONG_TOKEN characters without any of them may break anywhere (`.break-anywhere`)."""
    pieces = []
    for piece in URL_PIECES.split(str(url)):
        if piece in ("://", ":"):
            pieces.append(format_html("{}<wbr>", piece))
        elif piece in (".", "/"):
            pieces.append(format_html("<wbr>{}", piece))
        elif len(piece) > LONG_TOKEN:
            pieces.append(format_html('<span class="break-anywhere">{}</span>', piece))
        elif piece:
            pieces.append(escape(piece))
    return format_html_join("", "{}", ((piece,) for piece in pieces))


@register.filter
def minutes(delta: timedelta | None) -> int:
    """A duration in whole minutes (at least 1), for "Try again in N minutes"."""
    return max(1, round(delta.total_seconds() / 60)) if delta else 0


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
# Every bar is at least a third of the chart (a 0 ms check is a check too); above that,
# latency on a log scale up to the slowest check: 5 ms, 50 ms and 5 s stay apart.
TIMELINE_MIN_BAR = TIMELINE_HEIGHT // 3


def bar_height(elapsed_ms: int, slowest_ms: int) -> int:
    if slowest_ms <= 0:
        return TIMELINE_MIN_BAR
    share = math.log1p(max(0, elapsed_ms)) / math.log1p(slowest_ms)
    return round(TIMELINE_MIN_BAR + (TIMELINE_HEIGHT - TIMELINE_MIN_BAR) * share)


@register.simple_tag
def check_timeline(checks) -> str:
    """One bar per stored check, oldest left: colour by verdict, height by latency."""
    checks = list(reversed(list(checks)))
    if not checks:
        return ""
    slowest = max(check.elapsed_ms for check in checks)
    healthy = sum(1 for check in checks if check.ok)
    bars = []
    for index, check in enumerate(checks):
        height = bar_height(check.elapsed_ms, slowest)
        bars.append(format_html(
            '<rect class="{}" x="{}" y="{}" width="{}" height="{}" rx="2" fill="{}">'
            "<title>{} — {} ({}, {} ms)</title></rect>",
            "mark-ok" if check.ok else "mark-failed",
            index * TIMELINE_SLOT + 1, TIMELINE_HEIGHT - height, TIMELINE_SLOT - 4, height,
            "#198754" if check.ok else "#dc3545",
            timezone.localtime(check.checked_at).strftime("%Y-%m-%d %H:%M:%S"),
            "Healthy" if check.ok else "Unhealthy", check.category_label, check.elapsed_ms,
        ))
    width = len(checks) * TIMELINE_SLOT
    label = (
        f"Last {len(checks)} checks, oldest first: {healthy} healthy, {len(checks) - healthy} "
        f"unhealthy; taller bars took longer (slowest {slowest} ms)."
    )
    return format_html(
        '<svg class="timeline" role="img" aria-label="{}" width="{}" height="{}" viewBox="0 0 {} {}">'
        '<title>{}</title>{}<line x1="0" y1="{}" x2="{}" y2="{}" stroke="#adb5bd"/></svg>',
        label, width, TIMELINE_HEIGHT + 2, width, TIMELINE_HEIGHT + 2, label,
        format_html_join("", "{}", ((bar,) for bar in bars)),
        TIMELINE_HEIGHT + 1, width, TIMELINE_HEIGHT + 1,
    )
