"""A guard that runs before anything reads a request body (SECURITY S32)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

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
