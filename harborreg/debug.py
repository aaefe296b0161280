"""Error reports that show no typed secret, with DEBUG on too (SECURITY S30).

Django's `SafeExceptionReporterFilter` is inactive while DEBUG is on, the quick start's
mode: its technical 500 page then lists the POST data and every frame's local variables,
and a typed Access Secret sits in many of them (the form's data and cleaned_data, a
provider's parsed key, the connection target). This filter is always active.

The API's requests carry secrets elsewhere: in a JSON body (`access_secret`, nested in
`credential` or flat) and in the Authorization header (Basic credentials). Both count.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from types import FrameType
from typing import Any

from django.http import HttpRequest, QueryDict, RawPostDataException
from django.utils.datastructures import MultiValueDict
from django.views.debug import SafeExceptionReporterFilter


class SecretSafeExceptionReporterFilter(SafeExceptionReporterFilter):
    """A POST parameter is sensitive when the view said so (`sensitive_post_parameters`)
    or its name looks like a secret (Django's pattern for settings: SECRET, PASS, TOKEN,
    KEY, ...), which also covers a crash in a middleware before any view ran. For a request
    that carries one, every frame's local variables are hidden, not only the view's: the
    value travels through forms, dicts and dataclasses that no decorator can name."""

    def is_active(self, request: HttpRequest | None) -> bool:
        return True

    def sensitive_names(self, request: HttpRequest, post: QueryDict) -> set[str]:
        declared = getattr(request, "sensitive_post_parameters", None) or []
        if declared == "__ALL__":
            return set(post)
        return {name for name in post if name in declared or self.hidden_settings.search(name)}

    def readable_post(self, request: HttpRequest) -> QueryDict | None:
        """The POST data, or None when the body cannot be parsed (then it may hold anything)."""
        try:
            return request.POST
        except Exception:  # a report must still be written for a body Django refuses
            return None

    def json_body_names(self, request: HttpRequest) -> set[str] | None:
        """Every key, at any depth, of a JSON request body; None when the body cannot be
        read (already consumed as a stream, not JSON, nested too deeply): it may hold anything."""
        if request.content_type != "application/json" and not request.content_type.endswith("+json"):
            return set()
        try:
            body = request.body
            value = json.loads(body) if body else None
        except (RawPostDataException, ValueError, RecursionError):
            return None
        found: set[str] = set()
        pending = [value]
        while pending:  # no recursion: a deep body must not crash the report
            item = pending.pop()
            if isinstance(item, dict):
                found.update(str(key) for key in item)
                pending.extend(item.values())
            elif isinstance(item, list):
                pending.extend(item)
        return found

    def carries_secret(self, request: HttpRequest | None) -> bool:
        if request is None:
            return False
        if "HTTP_AUTHORIZATION" in request.META:
            return True
        post = self.readable_post(request)
        if post is None or self.sensitive_names(request, post):
            return True
        keys = self.json_body_names(request)
        if keys is None:
            return True
        declared = getattr(request, "sensitive_post_parameters", None) or []
        return declared == "__ALL__" and bool(keys) or any(
            key in declared or self.hidden_settings.search(key) for key in keys
        )

    def get_cleansed_multivaluedict(self, request: HttpRequest, multivaluedict: MultiValueDict
                                    ) -> MultiValueDict:
        post = self.readable_post(request)
        hidden = self.sensitive_names(request, post) if post is not None else set(multivaluedict)
        cleansed = multivaluedict.copy()
        for name in hidden & set(cleansed):
            cleansed[name] = self.cleansed_substitute
        return cleansed

    def get_post_parameters(self, request: HttpRequest | None) -> Any:
        if request is None:
            return {}
        post = self.readable_post(request)
        return {} if post is None else self.get_cleansed_multivaluedict(request, post)

    def get_traceback_frame_variables(self, request: HttpRequest | None, tb_frame: FrameType
                                      ) -> Iterable[tuple[str, Any]]:
        if self.carries_secret(request):
            return [(name, self.cleansed_substitute) for name in tb_frame.f_locals]
        return super().get_traceback_frame_variables(request, tb_frame)
