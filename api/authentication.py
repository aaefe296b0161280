"""Who is calling: HTTP Basic against Django users (every Harbor client sends Basic),
throttled by django-axes like the login page, or the browser's session.

The list in REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] is tried in order; robot
accounts (issue 11, part 2) plug in as one more class placed before Basic, answering for
`robot$…` names and returning None for every other name.
"""

from __future__ import annotations

from axes.helpers import get_cool_off
from django.conf import settings
from rest_framework import authentication, exceptions
from rest_framework.permissions import SAFE_METHODS

from api.errors import ApiError

REALM = "harborreg"
WWW_AUTHENTICATE = f'Basic realm="{REALM}"'


class BasicAuthentication(authentication.BasicAuthentication):
    """DRF's Basic, through django.contrib.auth.authenticate(), so axes counts every failed
    password (AxesStandaloneBackend) and refuses a locked-out name and address: 429 in
    Harbor's shape, saying for how long, instead of axes' HTML page."""

    www_authenticate_realm = REALM

    def authenticate_credentials(self, userid, password, request=None):
        try:
            return super().authenticate_credentials(userid, password, request)
        except exceptions.AuthenticationFailed:
            if request is not None and getattr(request, "axes_locked_out", False):
                raise locked_out(request, userid) from None
            raise


def locked_out(request, userid: str) -> ApiError:
    cool_off = get_cool_off(request)
    seconds = max(1, int(cool_off.total_seconds())) if cool_off else 3600
    minutes = max(1, round(seconds / 60))
    return ApiError(
        429,
        f"account locked: too many failed logins for “{userid}” from this address; try again in "
        f"{minutes} minutes (AXES_FAILURE_LIMIT and AXES_COOLOFF_HOURS, server settings)",
        headers={"Retry-After": str(seconds)},
    )


class SessionAuthentication(authentication.SessionAuthentication):
    """The browser's session (the docs page's "Try it out"); DRF checks its CSRF token."""


class OptionalBasicAuthentication(BasicAuthentication):
    """For the endpoints Harbor answers anonymously (/systeminfo): wrong credentials make
    the caller anonymous instead of refusing the request, as in Harbor."""

    def authenticate(self, request):
        try:
            return super().authenticate(request)
        except (exceptions.AuthenticationFailed, ApiError):
            return None


def enforce_csrf_with_session_cookie(request) -> None:
    """Harbor's rule: an unsafe request that carries the session cookie needs the CSRF
    token, however it authenticates (Basic too). API clients send no cookie and so never
    meet CSRF."""
    if request.method in SAFE_METHODS or settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return
    authentication.SessionAuthentication().enforce_csrf(request)
