"""A guard that runs before anything reads a request body (SECURITY S32)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.http import parse_header_parameters

logger = logging.getLogger(__name__)


def undecodable_charset(request: HttpRequest) -> str | None:
    """The charset a request declares for its body, unless it is UTF-8 (the only one the
    app reads: Django refuses a form in any other, even spelled `utf8`), or None."""
    charset = request.content_params.get("charset")
    if charset is None or charset.lower() == "utf-8":
        return None
    return charset


def refusal(request: HttpRequest, charset: str) -> HttpResponse:
    shown = re.sub(r"[^\w.:+-]", "?", charset)[:40]  # echoed: keep it short and inert
    message = (
        f"Bad request: the body is declared as charset={shown}, and this server reads request "
        "bodies only as UTF-8. Send it as UTF-8 (charset=utf-8 or no charset); a browser "
        "does so when you reload the page and submit the form again."
    )
    logger.warning("Refused a request body declared as charset=%s: %s", shown, request.path)
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"error": message}, status=400)
    return HttpResponseBadRequest(message + "\n", content_type="text/plain; charset=utf-8")


class RequestCharsetMiddleware:
    """Answers 400 to a body declared in a charset other than UTF-8, before the CSRF check
    reads it. Without this, Django refuses such a form body with BadRequest; its 400 and 500
    handlers re-run the CSRF check, which reads the body again and fails again, so the
    exception escapes the application: an unauthenticated 500 with a logged traceback."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        charset = undecodable_charset(request)
        if charset is not None:
            return refusal(request, charset)
        return self.get_response(request)


UNREADABLE_CONTENT_TYPE = (
    b"Bad request: the Content-Type header cannot be read (an RFC 2231 parameter with an "
    b"unknown charset?). Send a plain Content-Type such as application/json or "
    b"application/x-www-form-urlencoded.\n"
)


def refuse_unreadable_content_type(app: Callable) -> Callable:
    """A WSGI wrapper: Django parses Content-Type while it builds the request, before any
    middleware, and a header it cannot parse raises out of the application (a 500 with a
    traceback). Such a request gets a short 400 here instead."""

    def guarded(environ: dict, start_response: Callable):
        try:
            parse_header_parameters(environ.get("CONTENT_TYPE", ""))
        except (ValueError, LookupError, UnicodeError):
            logger.warning("Refused a request whose Content-Type cannot be parsed: %s",
                           environ.get("PATH_INFO", ""))
            start_response("400 Bad Request", [("Content-Type", "text/plain; charset=utf-8"),
                                               ("Content-Length", str(len(UNREADABLE_CONTENT_TYPE)))])
            return [UNREADABLE_CONTENT_TYPE]
        return app(environ, start_response)

    return guarded
