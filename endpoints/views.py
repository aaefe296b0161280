"""The Registries pages. A view fetches, calls a service, flashes, renders or redirects."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from endpoints import audit, services, throttle
from endpoints.forms import RegistryForm
from endpoints.models import ConnectionAttempt, HealthCheck, Registry
from endpoints.probe.errors import LocalResourceError
from endpoints.probe.result import Verdict
from endpoints.providers import PROVIDERS, enabled_providers, get_provider, proxy_cache_provider_keys

PAGE_SIZES = (15, 25, 50, 100)
SORTS = {
    "-created": ("-created_at", "-id"),
    "created": ("created_at", "id"),
    "name": ("name",),
    "-name": ("-name",),
    "status": ("status", "name"),
    "-status": ("-status", "name"),
}
SECRET_FIELDS = ("access_secret", "pending_secret")
SERVER_SHORT_MESSAGE = ("This server is short of open files or threads right now, so nothing was "
                        "tested (this says nothing about the endpoint): try again in a moment.")


def staff_permission_required(perm: str) -> Callable:
    """Anonymous → login page; staff without `perm` (or non-staff) → 403."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not (request.user.is_active and request.user.is_staff and request.user.has_perm(perm)):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


# --- list ---


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
    checks = list(HealthCheck.objects.filter(registry=registry)[: HealthCheck.HISTORY_SIZE])
    return render(request, "endpoints/registry_detail.html", {
        "registry": registry,
        "rules": rules,
        "projects": projects,
        "checks": checks,
        "history": audit.entries_for(registry).select_related("user")[:20],
        "proxy_cache_ok": registry.provider in proxy_cache_provider_keys(),
    })


# --- new / edit / test connection ---


def _form_context(form: RegistryForm, registry: Registry, **extra) -> dict:
    return {
        "form": form,
        "registry": registry,
        "title": "New Registry Endpoint" if registry.pk is None else "Edit Endpoint",
        "providers": [
            {**p.form_metadata(), "proxy_cache": p.key in proxy_cache_provider_keys()}
            for p in enabled_providers()
        ],
        "proxy_cache_providers": proxy_cache_provider_keys(),
        "proxy_cache_labels": ", ".join(get_provider(k).label for k in proxy_cache_provider_keys()),
        "pending_secret": form.pending_secret_token() if form.is_bound else "",
        **extra,
    }


def _render_form(request: HttpRequest, form: RegistryForm, registry: Registry, status: int = 200,
                 **extra) -> HttpResponse:
    return render(request, "endpoints/registry_form.html",
                  _form_context(form, registry, **extra), status=status)


def _registry_form(request: HttpRequest, registry: Registry) -> HttpResponse:
    if request.method != "POST":
        form = RegistryForm(instance=registry, provider_key=request.GET.get("provider"))
        return _render_form(request, form, registry)

    action = request.POST.get("action", "save")
    if action == "switch_provider":  # without JavaScript: re-render for the chosen provider
        form = RegistryForm(instance=registry, initial=switch_provider_initial(request.POST),
                            provider_key=request.POST.get("provider"))
        return _render_form(request, form, registry)
    form = RegistryForm(request.POST, instance=registry, test_only=action == "test")
    if action == "test":
        return _test_connection(request, form, registry)

    if not form.validate_for_save():
        return _render_form(request, form, registry, status=400)
    verdict: Verdict | None = None
    if form.needs_connection_test():
        signed = services.unsign_verdict(request.POST.get("verdict", ""), form)
        if action == "save_anyway" and signed is not None:
            verdict = signed
        else:
            try:
                verdict = _tested(request, form, registry)
            except throttle.Throttled as refusal:
                return _throttled(request, refusal, form=form, registry=registry)
            if not verdict.ok:
                return _render_form(request, form, registry, status=200, verdict=verdict,
                                    save_anyway=services.sign_verdict(verdict, form))
    created = registry.pk is None
    try:
        registry = services.save_registry(form, request.user, verdict)
    except IntegrityError:  # the name was taken while the save-time test ran (a double submit)
        form.add_error("name", f"An endpoint named “{form.cleaned_data['name']}” already exists "
                               "(names are not case-sensitive).")
        return _render_form(request, form, registry, status=400)
    messages.success(
        request, "Created endpoint successfully." if created else "Updated endpoint successfully."
    )
    if verdict is not None and not verdict.ok:
        messages.warning(request, f"“{registry.name}” was saved as Unhealthy: {verdict.summary}")
    return redirect("endpoints:registry_list")


def switch_provider_initial(data) -> dict:
    """What the form keeps when the provider changes without JavaScript: everything typed
    except the secret, and except a URL or Access ID the previous provider fixed."""
    fixed_urls = {p.default_url for p in PROVIDERS.values() if p.default_url}
    fixed_ids = {p.fixed_access_id for p in PROVIDERS.values() if p.fixed_access_id}
    initial = {k: v for k, v in data.items() if k not in (*SECRET_FIELDS, "action", "verdict")}
    if initial.get("url") in fixed_urls:
        del initial["url"]
    if initial.get("access_id") in fixed_ids:
        del initial["access_id"]
    initial["verify_remote_cert"] = "verify_remote_cert" in data  # an unticked box is absent
    return initial


def _tested(request: HttpRequest, form: RegistryForm, registry: Registry) -> Verdict:
    """The form's connection test, within the user's limits and recorded (may raise
    throttle.Throttled)."""
    with throttle.connection_slot(
        request.user, ConnectionAttempt.Kind.TEST, url=form.cleaned_data.get("url", ""),
        provider=form.chosen_provider.key, registry=registry if registry.pk else None,
    ) as attempt:
        try:
            verdict = services.test_form_connection(form)
        except LocalResourceError:
            attempt.outcome = "server busy"
            raise throttle.Throttled(SERVER_SHORT_MESSAGE, 10, status=503) from None
        attempt.outcome = verdict.category
    return verdict


def _throttled(request: HttpRequest, refusal: throttle.Throttled, *, form: RegistryForm | None = None,
               registry: Registry | None = None) -> HttpResponse:
    """429, saying when to retry: JSON, the form as typed (nothing lost), or a short page."""
    if wants_json(request):
        response = JsonResponse({
            "ok": False, "status": "unknown", "category": "throttled", "summary": refusal.message,
            "steps": [], "elapsed_ms": 0, "warnings": [], "retry_after": refusal.retry_after,
        }, status=refusal.status)
    elif form is not None and registry is not None:
        messages.error(request, refusal.message)
        response = _render_form(request, form, registry, status=refusal.status)
    else:
        response = render(request, "endpoints/throttled.html", {"message": refusal.message},
                          status=refusal.status)
    response["Retry-After"] = str(refusal.retry_after)
    return response


def _test_connection(request: HttpRequest, form: RegistryForm, registry: Registry) -> HttpResponse:
    errors = form.connection_errors()
    if errors:
        if wants_json(request):
            verdict = services.invalid_verdict(" ".join(str(m) for m in sum(errors.values(), [])))
            field_errors = {field: [str(m) for m in messages_] for field, messages_ in errors.items()}
            return JsonResponse({**verdict.as_json(), "errors": field_errors}, status=400)
        return _render_form(request, form, registry, status=400)
    try:
        verdict = _tested(request, form, registry)
    except throttle.Throttled as refusal:
        return _throttled(request, refusal, form=form, registry=registry)
    if registry.pk is not None:
        audit.log_event(request.user, registry, f"Tested connection: {verdict.status} ({verdict.category}).")
    if wants_json(request):
        return JsonResponse(verdict.as_json())
    return _render_form(request, form, registry, verdict=verdict)


@sensitive_post_parameters(*SECRET_FIELDS)
@require_http_methods(["GET", "POST"])
@staff_permission_required("endpoints.add_registry")
def registry_new(request: HttpRequest) -> HttpResponse:
    return _registry_form(request, Registry())


@sensitive_post_parameters(*SECRET_FIELDS)
@require_http_methods(["GET", "POST"])
@staff_permission_required("endpoints.change_registry")
def registry_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _registry_form(request, get_object_or_404(Registry, pk=pk))


@sensitive_post_parameters(*SECRET_FIELDS)
@require_POST
@staff_permission_required("endpoints.add_registry")
def registry_test_new(request: HttpRequest) -> HttpResponse:
    registry = Registry()
    return _test_connection(request, RegistryForm(request.POST, instance=registry, test_only=True), registry)


@sensitive_post_parameters(*SECRET_FIELDS)
@require_POST
@staff_permission_required("endpoints.change_registry")
def registry_test(request: HttpRequest, pk: int) -> HttpResponse:
    registry = get_object_or_404(Registry, pk=pk)
    return _test_connection(request, RegistryForm(request.POST, instance=registry, test_only=True), registry)


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
        return _throttled(request, refusal)
    if verdict is None:
        return _throttled(request, throttle.Throttled(services.POOL_BUSY_MESSAGE, 5))
    if wants_json(request):
        return JsonResponse(verdict.as_json())
    if verdict.ok:
        messages.success(request, f"“{registry.name}” is healthy: {verdict.summary}")
    else:
        messages.error(request, f"“{registry.name}” is unhealthy ({verdict.category}): {verdict.summary}")
    return redirect(_safe_next(request, reverse("endpoints:registry_list")))


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
            return _throttled(request, refusal)
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
