"""What every Registries page shares: the permission gate (and why it refused), JSON
negotiation, safe redirects, the way back to the list as the user left it, and the answer
to a refused connection test."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import Permission
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from endpoints import throttle


def staff_permission_required(perm: str) -> Callable:
    """Anonymous → login page; non-staff, or staff without `perm` → 403 saying which."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            require_permission(request, perm)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def require_permission(request: HttpRequest, perm: str) -> None:
    """Raise PermissionDenied with what the 403 page tells the user (templates/403.html)."""
    user = request.user
    if not (user.is_active and user.is_staff):
        raise PermissionDenied(
            f"The account {user.get_username()} is not a staff account, and these pages are for "
            "staff accounts only. Ask an administrator to make it one (Staff status), or log out "
            "and log in with a staff account."
        )
    if not user.has_perm(perm):
        app_label, codename = perm.split(".", 1)
        label = (Permission.objects.filter(content_type__app_label=app_label, codename=codename)
                 .values_list("name", flat=True).first() or perm)
        raise PermissionDenied(
            f"Your account does not have the permission “{label}” ({perm}) that this needs. "
            "Ask an administrator to give it to your account or to one of its groups."
        )


# --- the list as the user left it ---
#
# Two signed cookies, per user (the salt holds the user's id): the list's page, sort,
# filter and page size until the browser closes, and the chosen page size for a year.
# Cookies, not the session: the list then costs no session write (tests/test_query_counts.py).

LIST_VIEW_COOKIE = "registries_view"
PAGE_SIZE_COOKIE = "registries_page_size"
PAGE_SIZE_MAX_AGE = 365 * 24 * 3600
LIST_PARAMETERS = ("q", "sort", "page", "per_page")


def _salt(request: HttpRequest, cookie: str) -> str:
    return f"{cookie}:{request.user.pk}"


def remembered(request: HttpRequest, cookie: str) -> str | None:
    return request.get_signed_cookie(cookie, default=None, salt=_salt(request, cookie))


def remember(request: HttpRequest, response: HttpResponse, cookie: str, value: str,
             max_age: int | None = None) -> None:
    """Set the cookie when its value changes."""
    if remembered(request, cookie) != value:
        response.set_signed_cookie(
            cookie, value, salt=_salt(request, cookie), max_age=max_age, httponly=True,
            samesite="Lax", secure=settings.SESSION_COOKIE_SECURE,
        )


def list_query(params: QueryDict) -> str:
    """The list's own parameters of a query string, sorted like the list's own links."""
    kept = QueryDict(mutable=True)
    for key in sorted(LIST_PARAMETERS):
        value = params.get(key, "").strip()
        if value:
            kept[key] = value[:200]
    return kept.urlencode()


def list_url(request: HttpRequest) -> str:
    """The Registries list as this user last saw it: page, sort, filter and page size.
    Where Cancel, Back to Registries and the redirects after a save, delete or bulk
    action lead."""
    url = reverse("endpoints:registry_list")
    query = list_query(QueryDict(remembered(request, LIST_VIEW_COOKIE) or ""))
    return f"{url}?{query}" if query else url


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
