"""Harbor's error body, `{"errors":[{"code","message"}]}`, for every error the API answers.

DRF's exception handler is where DRF's own exceptions (authentication, permissions,
parsing, throttling, 404, 405) get Harbor's codes; `ApiError` carries harborreg's own
(a refused input, a failed test with its diagnosis, a 412 naming who uses an endpoint).
Extra keys in an error object are harborreg's additions: the clients ignore them.
"""

from __future__ import annotations

from http import HTTPStatus
from math import ceil

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.log import log_response
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.response import Response

# Harbor's codes (src/lib/errors/const.go) by HTTP status; any other 5xx is UNKNOWN.
CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    409: "CONFLICT",
    412: "PRECONDITION",
    413: "REQUEST_ENTITY_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "UNPROCESSABLE_ENTITY",
    429: "TOO_MANY_REQUEST",
}
INTERNAL_ERROR = "internal server error"


def code_for(status: int) -> str:
    return CODES.get(status, "UNKNOWN")


def error_body(errors: list[dict]) -> dict:
    return {"errors": errors}


def binding_message(*items: str) -> str:
    """What go-swagger's binding says (a 422): `validation failure list:` and the items."""
    return "\n".join(["validation failure list:", *items])


class ApiError(exceptions.APIException):
    """An answer in Harbor's shape: `errors` are the error objects (code, message and any
    extra keys), `headers` go with the response."""

    def __init__(self, status: int, message: str, *, code: str | None = None, more: list[dict] | None = None,
                 headers: dict[str, str] | None = None, **extra) -> None:
        super().__init__(message)
        self.status_code = status
        self.errors = [{"code": code or code_for(status), "message": message, **extra}, *(more or [])]
        self.headers = headers or {}

    @classmethod
    def binding(cls, *items: str) -> ApiError:
        return cls(422, binding_message(*items))


def harbor_response(status: int, errors: list[dict], headers: dict[str, str] | None = None) -> Response:
    response = Response(error_body(errors), status=status, headers=headers)
    response.harbor_error = True  # still known as one once GZipMiddleware has compressed it
    return response


def _message(exc: exceptions.APIException, request) -> str:
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    if isinstance(exc, exceptions.NotAuthenticated):
        return "unauthorized"
    if isinstance(exc, exceptions.AuthenticationFailed):
        return f"unauthorized: {detail}"
    if isinstance(exc, exceptions.ParseError):
        return binding_message(f'parsing registry body from "" failed, because {detail}')
    if isinstance(exc, exceptions.ValidationError):
        return binding_message(*_flatten(exc.detail))
    if isinstance(exc, exceptions.NotFound) and request is not None and detail in ("Not found.", ""):
        return f"the path {request.path} is not found"
    return detail


def _flatten(detail, path: str = "") -> list[str]:
    if isinstance(detail, dict):
        return [item for key, value in detail.items()
                for item in _flatten(value, f"{path}.{key}" if path else key)]
    if isinstance(detail, list):
        return [item for value in detail for item in _flatten(value, path)]
    return [f"{path} in body {detail}" if path else str(detail)]


def exception_handler(exc: Exception, context: dict) -> Response:
    """DRF's EXCEPTION_HANDLER: every exception a view raises becomes Harbor's error body.
    A bug is Harbor's 500 (`internal server error`); its details go to the log only."""
    request = context.get("request")
    if request is not None:  # errors are JSON whatever the view renders (text, HTML)
        from api.negotiation import JSONRenderer

        request.accepted_renderer, request.accepted_media_type = JSONRenderer(), "application/json"
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, RequestDataTooBig):
        exc = ApiError(413, "the request body is larger than this server accepts "
                            f"({settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes, DATA_UPLOAD_MAX_MEMORY_SIZE)")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, ApiError):
        return harbor_response(exc.status_code, exc.errors, exc.headers)
    if isinstance(exc, exceptions.APIException):
        status = exc.status_code
        if isinstance(exc, exceptions.ParseError | exceptions.ValidationError):
            status = 422  # go-swagger's binding errors
        headers = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(ceil(exc.wait))
        error = {"code": code_for(status), "message": _message(exc, request)}
        return harbor_response(status, [error], headers)
    response = harbor_response(500, [{"code": "UNKNOWN", "message": INTERNAL_ERROR}])
    django_request = getattr(request, "_request", request)
    log_response("Internal Server Error: %s", getattr(django_request, "path", "?"), response=response,
                 request=django_request, exception=exc)
    return response


@csrf_exempt
def not_found(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    """Any /api/... path that is not an operation: Harbor's 404, for every method."""
    return harbor_json(404, f"the path {request.path} is not found")


def harbor_json(status: int, message: str) -> JsonResponse:
    """An error built outside DRF (the 404 above, the middleware's safety net)."""
    response = JsonResponse(error_body([{"code": code_for(status), "message": message}]), status=status,
                            json_dumps_params={"ensure_ascii": False})
    response.content += b"\n"
    response.harbor_error = True
    return response


def reason_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase.lower()
    except ValueError:
        return "error"
