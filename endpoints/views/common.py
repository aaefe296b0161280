"""What every Registries page shares: the permission gate, JSON negotiation, safe
redirects and the answer to a refused connection test."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from endpoints import throttle


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


def safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


def throttled(request: HttpRequest, refusal: throttle.Throttled, *,
              form_page: Callable[[int], HttpResponse] | None = None) -> HttpResponse:
    """429 (or 503), saying when to retry: JSON, the form as typed (`form_page(status)`,
    nothing lost), or a short page."""
    if wants_json(request):
        response = JsonResponse({
            "ok": False, "status": "unknown", "category": "throttled", "summary": refusal.message,
            "steps": [], "elapsed_ms": 0, "warnings": [], "retry_after": refusal.retry_after,
        }, status=refusal.status)
    elif form_page is not None:
        messages.error(request, refusal.message)
        response = form_page(refusal.status)
    else:
        response = render(request, "endpoints/throttled.html", {"message": refusal.message},
                          status=refusal.status)
    response["Retry-After"] = str(refusal.retry_after)
    return response
