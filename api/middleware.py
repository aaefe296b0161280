"""What every answer under /api/ carries: an X-Request-Id, and Harbor's error shape even
for errors made outside the API's views (a refused charset, an unknown host, a 500 raised
in a middleware), so a client never gets an HTML page."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from api.errors import INTERNAL_ERROR, harbor_json, reason_phrase

API_PREFIX = "/api/"
REQUEST_ID_MAX = 256


def is_api(path: str) -> bool:
    return path == "/api" or path.startswith(API_PREFIX)


def request_id(request: HttpRequest) -> str:
    """The client's X-Request-Id when it is a short printable one, else a new UUID."""
    given = request.headers.get("X-Request-Id", "")
    if 0 < len(given) <= REQUEST_ID_MAX and given.isascii() and given.isprintable():
        return given
    return str(uuid.uuid4())


def is_harbor_error(response: HttpResponse) -> bool:
    if getattr(response, "harbor_error", False):
        return True
    if response.streaming or response.has_header("Content-Encoding"):
        return False
    if not response.get("Content-Type", "").startswith("application/json"):
        return False
    try:
        return "errors" in json.loads(response.content)
    except ValueError:
        return False


def message_of(response: HttpResponse) -> str:
    """The text of an error made elsewhere, when it is plain text or {"error": text}."""
    if response.status_code >= 500:
        return INTERNAL_ERROR
    if not response.streaming and not response.has_header("Content-Encoding"):
        content_type = response.get("Content-Type", "")
        text = response.content.decode("utf-8", "replace").strip()
        if content_type.startswith("text/plain") and text:
            return text[:1000]
        if content_type.startswith("application/json"):
            try:
                error = json.loads(text).get("error")
            except (ValueError, AttributeError):
                error = None
            if isinstance(error, str):
                return error[:1000]
    return reason_phrase(response.status_code)


class HarborApiMiddleware:
    """First in MIDDLEWARE, so it sees every answer to an /api/ path, whoever made it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_api(request.path_info):
            return self.get_response(request)
        given = request_id(request)
        response = self.get_response(request)
        if response.status_code >= 400 and not is_harbor_error(response):
            shaped = harbor_json(response.status_code, message_of(response))
            for header in ("Retry-After", "WWW-Authenticate", "Allow"):
                if response.has_header(header):
                    shaped[header] = response[header]
            response = shaped
        response["X-Request-Id"] = given
        return response
