"""The Registries list, an endpoint's page, Check now, Delete and the bulk actions."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from endpoints import audit, services, throttle
from endpoints.models import ConnectionAttempt, HealthCheck, Registry
from endpoints.providers import proxy_cache_provider_keys
from endpoints.views.common import safe_next, staff_permission_required, throttled, wants_json

PAGE_SIZES = (15, 25, 50, 100)
SORTS = {
    "-created": ("-created_at", "-id"),
    "created": ("created_at", "id"),
    "name": ("name",),
    "-name": ("-name",),
    "status": ("status", "name"),
    "-status": ("-status", "name"),
}


@require_GET
@staff_permission_required("endpoints.view_registry")
def registry_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    sort = request.GET.get("sort", "-created")
    if sort not in SORTS:
        sort = "-created"
    try:
        per_page = int(request.GET.get("per_page", PAGE_SIZES[0]))
    except ValueError:
        per_page = PAGE_SIZES[0]
    if per_page not in PAGE_SIZES:
        per_page = PAGE_SIZES[0]
    registries = Registry.objects.search(query).with_usage().order_by(*SORTS[sort]).defer(
        "ca_certificate", "access_secret_encrypted"
    )
    page = Paginator(registries, per_page).get_page(request.GET.get("page"))
    return render(request, "endpoints/registry_list.html", {
        "page": page,
        "query": query,
        "sort": sort,
        "per_page": per_page,
        "page_sizes": PAGE_SIZES,
        "total": page.paginator.count,
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
    })


# --- check now ---


@require_POST
@staff_permission_required("endpoints.change_registry")
def registry_check(request: HttpRequest, pk: int) -> HttpResponse:
    registry = get_object_or_404(Registry, pk=pk)
    try:
        with throttle.connection_slot(request.user, ConnectionAttempt.Kind.CHECK, url=registry.url,
                                      provider=registry.provider, registry=registry) as attempt:
            verdict = services.check_registry(registry, request.user)
            attempt.outcome = verdict.category if verdict else "not checked"
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
    return redirect(safe_next(request, reverse("endpoints:registry_list")))


# --- delete ---


@require_http_methods(["GET", "POST"])
@staff_permission_required("endpoints.delete_registry")
def registry_delete(request: HttpRequest, pk: int) -> HttpResponse:
    registry = get_object_or_404(Registry, pk=pk)
    if request.method == "POST":
        outcome = services.delete_registry(registry, request.user)
        if outcome.deleted:
            messages.success(request, f"Deleted endpoint “{registry.name}”.")
            return redirect("endpoints:registry_list")
        messages.error(request, f"The endpoint “{registry.name}” cannot be deleted. {outcome.message}")
        status = 409
    else:
        status = 200
    rules, projects = registry.used_by()
    return render(request, "endpoints/registry_confirm_delete.html", {
        "registry": registry, "rules": rules, "projects": projects,
    }, status=status)


# --- bulk actions ---


@require_POST
@staff_permission_required("endpoints.view_registry")
def registry_bulk(request: HttpRequest) -> HttpResponse:
    ids = [int(i) for i in request.POST.getlist("ids") if i.isascii() and i.isdigit() and len(i) < 19]
    registries = list(Registry.objects.filter(pk__in=ids).order_by("name"))
    action = request.POST.get("action")
    if not registries:
        messages.warning(request, "Select one or more endpoints first.")
        return redirect("endpoints:registry_list")
    if action == "check":
        if not request.user.has_perm("endpoints.change_registry"):
            raise PermissionDenied
        try:
            with throttle.connection_slot(request.user, ConnectionAttempt.Kind.CHECK,
                                          endpoints=len(registries)) as attempt:
                checked = services.check_registries(registries, request.user, shared=True)
                attempt.outcome = "bulk"
        except throttle.Throttled as refusal:
            return throttled(request, refusal)
        results = [
            {"name": registry.name, "ok": verdict.ok, "message": verdict.summary,
             "category": verdict.category} if verdict is not None else
            {"name": registry.name, "ok": False, "message": services.POOL_BUSY_MESSAGE,
             "category": "not checked"}
            for registry, verdict in checked
        ]
        return render(request, "endpoints/bulk_result.html", {"title": "Check now", "results": results})
    if action in ("delete", "delete_confirmed"):
        if not request.user.has_perm("endpoints.delete_registry"):
            raise PermissionDenied
        if action == "delete":
            rows = [(r, *r.used_by()) for r in registries]
            return render(request, "endpoints/bulk_delete_confirm.html", {"rows": rows})
        results = []
        for registry in registries:
            outcome = services.delete_registry(registry, request.user)
            results.append({
                "name": registry.name,
                "ok": outcome.deleted,
                "message": "Deleted." if outcome.deleted else f"Not deleted. {outcome.message}",
            })
        return render(request, "endpoints/bulk_result.html", {"title": "Delete", "results": results})
    messages.error(request, "Unknown action.")
    return redirect("endpoints:registry_list")
