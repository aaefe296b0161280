"""The Registries list, an endpoint's page, Check now, Delete and the bulk actions."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from endpoints import audit, schedulers, services, throttle
from endpoints.models import HealthCheck, Registry
from endpoints.providers import proxy_cache_provider_keys
from endpoints.templatetags import endpoints_ui  # a module: it imports this package in turn
from endpoints.validation import describe_certificates
from endpoints.views.common import (
    LIST_VIEW_COOKIE,
    PAGE_SIZE_COOKIE,
    PAGE_SIZE_MAX_AGE,
    list_query,
    list_url,
    remember,
    remembered,
    require_permission,
    safe_next,
    staff_permission_required,
    throttled,
    wants_json,
)

PAGE_SIZES = (15, 25, 50, 100)
BULK_RESULTS = "bulk_results"  # the session key of the last bulk action's results
SORTS = {
    "-created": ("-created_at", "-id"),
    "created": ("created_at", "id"),
    "name": ("name",),
    "-name": ("-name",),
    "status": ("status", "name"),
    "-status": ("-status", "name"),
}


def page_size(request: HttpRequest) -> tuple[int, bool]:
    """The page size asked for (and whether it was), else the one this user chose last."""
    for value, asked in ((request.GET.get("per_page"), True),
                         (remembered(request, PAGE_SIZE_COOKIE), False)):
        if value and value.isdigit() and int(value) in PAGE_SIZES:
            return int(value), asked
    return PAGE_SIZES[0], False


@require_GET
@staff_permission_required("endpoints.view_registry")
def registry_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    sort = request.GET.get("sort", "-created")
    if sort not in SORTS:
        sort = "-created"
    per_page, chosen = page_size(request)
    registries = Registry.objects.search(query).with_usage().order_by(*SORTS[sort]).defer(
        "ca_certificate", "access_secret_encrypted"
    )
    page = Paginator(registries, per_page).get_page(request.GET.get("page"))
    can_check = request.user.has_perm("endpoints.change_registry")
    can_delete = request.user.has_perm("endpoints.delete_registry")
    response = render(request, "endpoints/registry_list.html", {
        "page": page,
        "query": query,
        "sort": sort,
        "per_page": per_page,
        "page_sizes": PAGE_SIZES,
        "total": page.paginator.count,
        "monitor_silent": monitor_silence() if page.paginator.count else "",
        "refresh_seconds": settings.HEALTH_LIST_REFRESH_SECONDS,
        "can_check": can_check,
        "can_delete": can_delete,
        "can_select": can_check or can_delete,  # the checkboxes serve the bulk actions only
    })
    remember(request, response, LIST_VIEW_COOKIE, list_query(request.GET))
    if chosen:
        remember(request, response, PAGE_SIZE_COOKIE, str(per_page), max_age=PAGE_SIZE_MAX_AGE)
    return response


MONITOR_SILENT = "The health monitor is not running"
MONITOR_START = "Start manage.py monitor_registries (make run does)."


def monitor_silence() -> str:
    """Since when the list's banner says the monitor is silent: no scheduled check (the
    monitor's, or a cron check_registries') was stored for two intervals, and no monitor
    took its lease in that time (one that did is starting: its first slots have not come).
    "" while they keep coming. Checks someone asked for do not count: they say nothing of
    the monitor; a monitor holding its lease for longer without storing checks is wedged."""
    quiet = timedelta(seconds=2 * settings.HEALTH_CHECK_INTERVAL)
    newest = (HealthCheck.objects.filter(checked_by__isnull=True).order_by("-checked_at")
              .values_list("checked_at", flat=True).first())
    if newest is not None and timezone.now() - newest < quiet:
        return ""
    if (started := schedulers.running_since()) is not None and timezone.now() - started < quiet:
        return ""
    if newest is None:
        return "no scheduled check has been stored yet, so statuses change only when someone checks."
    ago = endpoints_ui.checked_ago(newest).removeprefix("checked ")
    return (f"the newest scheduled check is from {timezone.localtime(newest):%Y-%m-%d %H:%M} ({ago}), so "
            "statuses change only when someone checks.")


STATUS_IDS_MAX = max(PAGE_SIZES)  # what one page of the list can show


@require_GET
@staff_permission_required("endpoints.view_registry")
def registry_status(request: HttpRequest) -> JsonResponse:
    """The status of the list's visible rows, for its script to refresh them in place."""
    wanted = [int(part) for value in request.GET.getlist("ids") for part in value.split(",")
              if part.isascii() and part.isdigit() and len(part) < 19][:STATUS_IDS_MAX]
    rows = Registry.objects.filter(pk__in=wanted).only(
        "status", "status_category", "status_detail", "last_checked_at", "check_facts",
        "credential_expires_on")
    return JsonResponse({
        "registries": [{
            "id": registry.pk,
            "status": registry.status,
            "status_label": registry.get_status_display(),
            "title": endpoints_ui.status_title(registry),
            "checked_ago": endpoints_ui.checked_ago(registry.last_checked_at),
            "lookahead": [{"short": item.short, "text": item.text, "warning": item.warning}
                          for item in registry.lookahead()],
        } for registry in rows],
        "monitor": {"running": not (since := monitor_silence() if rows else ""), "since": since,
                    "banner": f"{MONITOR_SILENT}: {since} {MONITOR_START}" if since else ""},
    })


# --- detail ---


@require_GET
@staff_permission_required("endpoints.view_registry")
def registry_detail(request: HttpRequest, pk: int) -> HttpResponse:
    registry = get_object_or_404(Registry, pk=pk)
    rules, projects = registry.used_by()
    checks = list(HealthCheck.objects.filter(registry=registry).select_related("checked_by")[
        : HealthCheck.HISTORY_SIZE])
    return render(request, "endpoints/registry_detail.html", {
        "registry": registry,
        "rules": rules,
        "projects": projects,
        "checks": checks,
        "history": audit.entries_for(registry).select_related("user")[:20],
        "proxy_cache_ok": registry.provider in proxy_cache_provider_keys(),
        "certificates": describe_certificates(registry.ca_certificate) if registry.ca_certificate else [],
    })


# --- check now ---


@require_POST
@staff_permission_required("endpoints.change_registry")
def registry_check(request: HttpRequest, pk: int) -> HttpResponse:
    registry = get_object_or_404(Registry, pk=pk)
    try:
        ((_, verdict),) = services.check_now([registry], request.user)
    except throttle.Throttled as refusal:
        return throttled(request, refusal)
    if verdict is None:
        return throttled(request, throttle.Throttled(services.POOL_BUSY_MESSAGE, 5))
    if wants_json(request):
        return JsonResponse(verdict.as_json())
    if verdict.ok:
        messages.success(request, f"“{registry.name}” is healthy: {verdict.summary}")
    else:
        messages.error(request, f"“{registry.name}” is unhealthy ({verdict.category}): {verdict.summary}")
    return redirect(safe_next(request, list_url(request)))


# --- delete ---


@require_http_methods(["GET", "POST"])
@staff_permission_required("endpoints.delete_registry")
def registry_delete(request: HttpRequest, pk: int) -> HttpResponse:
    registry = get_object_or_404(Registry, pk=pk)
    if request.method == "POST":
        outcome = services.delete_registry(registry, request.user)
        if outcome.deleted:
            messages.success(request, f"Deleted endpoint “{registry.name}”.")
            return redirect(list_url(request))
        messages.error(request, f"The endpoint “{registry.name}” cannot be deleted. {outcome.message}")
        status = 409
    else:
        status = 200
    rules, projects = registry.used_by()
    return render(request, "endpoints/registry_confirm_delete.html", {
        "registry": registry, "rules": rules, "projects": projects,
    }, status=status)


# --- bulk actions ---


def used_by_links(rules, projects) -> list[dict]:
    """What blocks a deletion, as the results page links it (kept in the session)."""
    return [
        *({"kind": "replication rule", "name": r.name,
           "url": reverse("admin:endpoints_replicationrule_change", args=[r.pk])} for r in rules),
        *({"kind": "proxy-cache project", "name": p.name,
           "url": reverse("admin:endpoints_proxycacheproject_change", args=[p.pk])} for p in projects),
    ]


def show_results(request: HttpRequest, action: str, rows: list[dict]) -> HttpResponse:
    """Post/redirect/get: keep the results in the session and show them on a page of their
    own, so reloading it shows them again and runs nothing."""
    request.session[BULK_RESULTS] = {"action": action, "at": timezone.now().isoformat(), "rows": rows}
    return redirect("endpoints:registry_bulk_result")


@require_POST
@staff_permission_required("endpoints.view_registry")
def registry_bulk(request: HttpRequest) -> HttpResponse:
    ids = [int(i) for i in request.POST.getlist("ids") if i.isascii() and i.isdigit() and len(i) < 19]
    registries = list(Registry.objects.filter(pk__in=ids).order_by("name"))
    action = request.POST.get("action")
    if not registries:
        messages.warning(request, "Select one or more endpoints first.")
        return redirect(list_url(request))
    if action == "check":
        require_permission(request, "endpoints.change_registry")
        try:
            checked = services.check_now(registries, request.user)
        except throttle.Throttled as refusal:
            return throttled(request, refusal)
        return show_results(request, "check", [
            {"name": registry.name, "pk": registry.pk, "ok": verdict.ok, "message": verdict.summary,
             "category": verdict.category, "category_label": verdict.category_label}
            if verdict is not None else
            {"name": registry.name, "pk": registry.pk, "ok": False, "message": services.POOL_BUSY_MESSAGE,
             "category": "", "not_checked": True}
            for registry, verdict in checked
        ])
    if action in ("delete", "delete_confirmed"):
        require_permission(request, "endpoints.delete_registry")
        if action == "delete":
            rows = [(r, *r.used_by()) for r in registries]
            return render(request, "endpoints/bulk_delete_confirm.html", {
                "rows": rows, "deletable": [r for r, rules, projects in rows if not (rules or projects)],
            })
        results = []
        for registry in registries:
            outcome = services.delete_registry(registry, request.user)
            results.append({
                "name": registry.name,
                "pk": None if outcome.deleted else registry.pk,
                "ok": outcome.deleted,
                "message": "Deleted." if outcome.deleted else f"Not deleted. {outcome.message}",
                "used_by": used_by_links(outcome.rules, outcome.projects),
            })
        return show_results(request, "delete", results)
    messages.error(request, "Unknown action.")
    return redirect(list_url(request))


@require_GET
@staff_permission_required("endpoints.view_registry")
def registry_bulk_result(request: HttpRequest) -> HttpResponse:
    """The last bulk Check now or Delete of this session, as it ended."""
    results = request.session.get(BULK_RESULTS)
    return render(request, "endpoints/bulk_result.html", {
        "action": results["action"] if results else "",
        "title": {"check": "Check now", "delete": "Delete"}.get(results["action"]) if results else "Results",
        "results": results["rows"] if results else [],
        "ran_at": datetime.fromisoformat(results["at"]) if results else None,
    })
