"""Who is calling: HTTP Basic against Django users (every Harbor client sends Basic),
throttled by django-axes like the login page, or the browser's session.

The list in REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] is tried in order: robot
accounts first, answering for `robot$…` names only (None for every other name), then
Basic against Django users, then the session.
"""

from __future__ import annotations

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_ip_address, get_cool_off
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from rest_framework import authentication, exceptions
from rest_framework.permissions import SAFE_METHODS

from api.errors import ApiError
from api.models import PREFIX, RobotAccount, RobotPrincipal, dummy_check

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


class RobotAuthentication(authentication.BasicAuthentication):
    """Basic with a `robot$…` name: the robot's secret, checked in constant time against its
    hash. A wrong secret or an unknown robot is a failed login for django-axes (counted,
    and locked out like any login); a disabled or expired robot is refused saying so, once
    its secret is right. Any other name is left to the next class."""

    www_authenticate_realm = REALM

    def authenticate_credentials(self, userid, password, request=None):
        if not userid.startswith(PREFIX):
            return None
        django_request = getattr(request, "_request", request)
        credentials = {"username": userid}
        if AxesProxyHandler.is_locked(django_request, credentials):
            raise locked_out(django_request, userid)
        robot = RobotAccount.objects.select_related("user").filter(name=userid).first()
        if robot is None:
            dummy_check(password)
        if robot is None or not robot.check_secret(password):
            user_login_failed.send(sender=__name__, credentials={**credentials, "password": "********"},
                                   request=django_request)
            if getattr(django_request, "axes_locked_out", False):
                raise locked_out(django_request, userid)
            raise exceptions.AuthenticationFailed("invalid robot name or secret")
        if (refusal := robot.refusal()) is not None:
            raise exceptions.AuthenticationFailed(refusal)
        robot.note_use(get_client_ip_address(django_request))
        return RobotPrincipal.of(robot), None


class OptionalRobotAuthentication(RobotAuthentication):
    """/systeminfo: a refused robot is anonymous there, as a refused user is."""

    def authenticate(self, request):
        try:
            return super().authenticate(request)
        except (exceptions.AuthenticationFailed, ApiError):
            return None


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
