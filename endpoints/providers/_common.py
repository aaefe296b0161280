"""Small input-check helpers the provider modules share (no network, no Django)."""

from __future__ import annotations

import difflib
import json
from urllib.parse import urlsplit

from endpoints.providers.base import FieldErrors


def add_error(errors: FieldErrors, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def path_of(url: str) -> str:
    return urlsplit(url).path.rstrip("/")


def base_of(url: str) -> str:
    """The URL without its path: what to enter instead of a URL with a wrong path."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def closest(value: str, choices: list[str] | tuple[str, ...]) -> str | None:
    matches = difflib.get_close_matches(value, choices, n=1, cutoff=0.6)
    return matches[0] if matches else None


def require_access_id(errors: FieldErrors, access_id: str, secret_given: bool, what: str) -> None:
    """A secret is useless without the user it belongs to."""
    if secret_given and not access_id.strip():
        add_error(
            errors,
            "access_id",
            f"Enter the Access ID that goes with this secret ({what}), or clear the Access Secret.",
        )


def require_fixed_url(errors: FieldErrors, url: str, fixed_url: str, label: str) -> None:
    if url and url.rstrip("/") != fixed_url:
        add_error(
            errors,
            "url",
            f"The {label} URL is fixed: enter {fixed_url}. For another registry, choose the "
            "Docker Registry provider.",
        )


def require_fixed_access_id(errors: FieldErrors, access_id: str, fixed: str) -> None:
    if access_id and access_id != fixed:
        add_error(
            errors,
            "access_id",
            f"The Access ID is always {fixed}: the credentials go in the Access Secret (leave the "
            "Access Secret empty for anonymous access).",
        )


def reject_v2_path(errors: FieldErrors, url: str) -> None:
    """A path through /v2/ (https://host/v2/library/nginx) is a repository or API URL, not
    the registry's. A URL merely ending in /v2 is accepted: normalize_endpoint_url removes
    it and says so."""
    path = path_of(url)
    if "/v2/" in path + "/" and not path.endswith("/v2"):
        add_error(
            errors,
            "url",
            f"Remove “{path}” from the URL: enter the registry's base URL ({base_of(url)}); "
            "the check adds /v2/ itself, and repositories are chosen in replication rules.",
        )


# A key file is a flat object; the limit also keeps every later json.loads of a checked
# secret (the providers' own, deeper in the stack) far from Python's recursion limit.
MAX_JSON_DEPTH = 20


def json_depth(value: object) -> int:
    """How deeply lists and objects nest in a parsed JSON value (a scalar is 0), without
    recursion."""
    deepest, pending = 0, [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, depth + 1)
            pending.extend((child, depth + 1) for child in item)
    return deepest


def parse_json_object(text: str, what: str) -> tuple[dict | None, str | None]:
    """(object, None) or (None, a message saying what to fix). Never echoes the text."""
    too_deep = (
        f"The Access Secret's JSON is nested too deeply (more than {MAX_JSON_DEPTH} levels of "
        f"[ ] or {{ }}): paste {what}."
    )
    try:
        value = json.loads(text)
    except RecursionError:
        return None, too_deep
    except json.JSONDecodeError as exc:
        message = (
            f"The Access Secret is not valid JSON: {exc.msg} at line {exc.lineno}, "
            f"column {exc.colno}. Paste {what}."
        )
        if "//" in text or "/*" in text:
            message += " JSON does not allow comments such as “// optional”: remove them."
        return None, message
    if not isinstance(value, dict):
        return None, f"The Access Secret must be a JSON object ({{ … }}): paste {what}."
    if json_depth(value) > MAX_JSON_DEPTH:
        return None, too_deep
    return value, None


def missing_keys(obj: dict, keys: tuple[str, ...]) -> list[str]:
    """Keys that are absent, not strings, or blank."""
    return [key for key in keys if not isinstance(obj.get(key), str) or not obj[key].strip()]
