"""GET /registries' query parameters as Harbor reads them (src/lib/q/builder.go,
src/lib/orm/query.go, handler/base.go): `q`, `sort`, `page`, `page_size` and the Link header.

`q` is `k=v,k=~v,k=[min~max],k={v1 v2},k=(v1 v2)`: exact, fuzzy, range, OR list, AND list
(an AND list means nothing for registries). It is parsed with str.split/partition only
(no regular expression, nothing that backtracks) after a length cap, so its cost is linear.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import unquote_plus

from django.db.models import Q, QuerySet

from api.errors import ApiError
from endpoints import names

MAX_QUERY_CHARS = 2048
PAGE_SIZE_DEFAULT = 10
PAGE_SIZE_MAX = 100
EMPTY_PART = 'the query string must contain "=" and the key/value cannot be empty'

# Harbor's filterable keys (column and Go field names) → (model field, kind). `status` is
# harborreg's addition: Harbor's column is `health`, so it ignores q=status=….
FIELDS = {
    "id": ("id", "int"), "ID": ("id", "int"),
    "url": ("url", "text"), "URL": ("url", "text"),
    "name": ("name", "text"), "Name": ("name", "text"),
    "type": ("provider", "text"), "Type": ("provider", "text"),
    "insecure": ("verify_remote_cert", "insecure"), "Insecure": ("verify_remote_cert", "insecure"),
    "description": ("description", "text"), "Description": ("description", "text"),
    "status": ("status", "text"), "Status": ("status", "text"), "health": ("status", "text"),
    "creation_time": ("created_at", "time"), "CreationTime": ("created_at", "time"),
    "update_time": ("updated_at", "time"), "UpdateTime": ("updated_at", "time"),
}  # fmt: skip
OPERATORS = ("icontains", "in", "gte", "lte", "gt", "lt", "exact")
TRUE, FALSE = ("1", "t", "T", "TRUE", "true", "True"), ("0", "f", "F", "FALSE", "false", "False")


@dataclass(frozen=True)
class Fuzzy:
    value: str


@dataclass(frozen=True)
class Range:
    low: str | None
    high: str | None


@dataclass(frozen=True)
class OrList:
    values: tuple[str, ...]


@dataclass(frozen=True)
class AndList:
    values: tuple[str, ...]


class InvalidValue(ValueError):
    pass


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


def query_unescape(text: str) -> str:
    """Go's url.QueryUnescape: '+' is a space, %XX a byte; a malformed escape keeps the text
    as it is (Harbor logs it and goes on)."""
    position = text.find("%")
    while position != -1:
        pair = text[position + 1:position + 3]
        if len(pair) != 2 or not all(c in "0123456789abcdefABCDEF" for c in pair):
            return text
        position = text.find("%", position + 3)
    return unquote_plus(text)


def parse_q(raw: str) -> dict[str, object]:
    """The keywords of `q`; raises ApiError 400 with Harbor's messages."""
    if not raw:
        return {}
    if len(raw) > MAX_QUERY_CHARS:
        raise bad_request(f"the query string is too long: {len(raw):,} characters, "
                          f"at most {MAX_QUERY_CHARS:,}")
    keywords: dict[str, object] = {}
    for part in query_unescape(raw).split(","):
        key, equals, value = part.partition("=")
        if not equals or not key or not value:
            raise bad_request(EMPTY_PART)
        try:
            keywords[key] = parse_pattern(value)
        except InvalidValue:
            raise bad_request(f"invalid query string value: {value}") from None
    return keywords


def parse_pattern(value: str) -> object:
    first = value[0]
    if first == "~":
        if len(value) < 2:
            raise InvalidValue(value)
        return Fuzzy(value[1:])
    if first == "[":
        if value[-1] != "]" or value.count("~") != 1:
            raise InvalidValue(value)
        low, _, high = value[1:-1].partition("~")
        low, high = low.strip(), high.strip()
        if not low and not high:
            raise InvalidValue(value)
        return Range(low or None, high or None)
    if first in "{(":
        if value[-1] != ("}" if first == "{" else ")") or len(value) < 2:
            raise InvalidValue(value)
        items = tuple(item for item in (strip_value(v) for v in value[1:-1].split(" ")) if item)
        return OrList(items) if first == "{" else AndList(items)
    return value[1:] if first == "\\" else value  # a leading backslash escapes the first character


def strip_value(value: str) -> str:
    """A range or list item as Harbor reads a string: trimmed, quotes removed."""
    return value.strip().strip("\"'")


def parse_int64(text: str) -> int | None:
    digits = text[1:] if text[:1] in "+-" else text
    if not digits or not digits.isascii() or not digits.isdigit():
        return None
    number = int(text)
    return number if -(2**63) <= number < 2**63 else None


def parse_time(text: str) -> datetime | None:
    """Harbor's `2006-01-02T15:04:05` (UTC), or the RFC 3339 form this API writes."""
    text = text.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    if len(text) < 19 or text[4] != "-" or text[10] != "T":
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def typed(kind: str, text: str) -> object:
    """`text` as the column's type; InvalidValue when it cannot be one."""
    if kind == "int":
        value = parse_int64(text.strip())
    elif kind == "time":
        value = parse_time(text)
    elif kind == "insecure":
        value = False if text in TRUE else True if text in FALSE else None  # insecure = not verify
    else:
        value = text
    if value is None:
        raise InvalidValue(text)
    return value


def condition(field: str, kind: str, operator: str, value: object) -> Q | None:
    if isinstance(value, AndList):
        return None  # as in Harbor: only a DAO that knows the column uses an AND list
    if isinstance(value, Fuzzy):
        if kind != "text":
            raise InvalidValue(value.value)
        match = Q(**{f"{field}__icontains": value.value})
        if field == "name" and (key := names.name_key(value.value)):
            match |= Q(name_key__contains=key)  # non-ASCII case folding on SQLite too
        return match
    if isinstance(value, Range):
        bounds = Q()
        if value.low is not None:
            bounds &= Q(**{f"{field}__gte": typed(kind, value.low)})
        if value.high is not None:
            bounds &= Q(**{f"{field}__lte": typed(kind, value.high)})
        return bounds
    if isinstance(value, OrList):
        return Q(**{f"{field}__in": [typed(kind, item) for item in value.values]}) if value.values else None
    if operator in ("", "exact") or kind == "insecure":
        return Q(**{field: typed(kind, value)})
    if operator == "icontains":
        return Q(**{f"{field}__icontains": value}) if kind == "text" else None
    if operator == "in":
        return Q(**{f"{field}__in": [typed(kind, value)]})
    return Q(**{f"{field}__{operator}": typed(kind, value)})


def filter_registries(queryset: QuerySet, keywords: dict[str, object]) -> QuerySet:
    for key, value in keywords.items():
        column, _, operator = key.partition("__")
        if column not in FIELDS or (operator and operator not in OPERATORS):
            continue  # unknown keys are ignored, as in Harbor
        field, kind = FIELDS[column]
        try:
            match = condition(field, kind, operator, value)
        except InvalidValue:
            raise bad_request(f"invalid query string value: {describe(value)}") from None
        if match is not None:
            queryset = queryset.filter(match)
    return queryset


def describe(value: object) -> str:
    if isinstance(value, Fuzzy):
        return f"~{value.value}"
    if isinstance(value, Range):
        return f"[{value.low or ''}~{value.high or ''}]"
    if isinstance(value, OrList | AndList):
        return " ".join(value.values)
    return str(value)


def fuzzy_name(queryset: QuerySet, text: str) -> QuerySet:
    """The deprecated `name=` parameter: a fuzzy match on the name."""
    return queryset.filter(condition("name", "text", "", Fuzzy(text)) if text else Q())


def order_by(sort: str) -> list[str]:
    """`sort=a,-b` → ORDER BY; unknown keys ignored; the id last, so pages never overlap.
    Without a sort, rows come in the order they were created (Harbor's database order)."""
    if len(sort) > MAX_QUERY_CHARS:
        raise bad_request(f"the sort string is too long: {len(sort):,} characters, "
                          f"at most {MAX_QUERY_CHARS:,}")
    fields = []
    for item in sort.split(",") if sort else []:
        descending = item.startswith("-")
        key = item[1:] if descending else item
        if key not in FIELDS:
            continue
        field, kind = FIELDS[key]
        if kind == "insecure":
            descending = not descending  # insecure = not verify_remote_cert
        fields.append(f"-{field}" if descending else field)
    return [*fields, "id"]


def page_parameter(params, name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    value = parse_int64(raw)
    if value is None:
        raise ApiError.binding(f'{name} in query must be of type int64: "{raw}"')
    return value


def pagination(params) -> tuple[int, int]:
    """(page, page_size): page_size 0 (or less) means every row; page below 1 is the first."""
    page = page_parameter(params, "page", 1)
    size = page_parameter(params, "page_size", PAGE_SIZE_DEFAULT)
    if size > PAGE_SIZE_MAX:
        raise ApiError.binding(f"page_size in query should be less than or equal to {PAGE_SIZE_MAX}")
    return max(page, 1), max(size, 0)


def link_value(text: str) -> str:
    """A query value as Harbor's Link shows it (unescaped), except what a header cannot
    carry: control characters and non-ASCII are percent-encoded."""
    if text.isascii() and text.isprintable():
        return text
    return "".join(c if c.isascii() and c.isprintable() else "".join(f"%{b:02X}" for b in c.encode())
                   for c in text)


def links(path: str, params, page: int, size: int, total: int) -> str:
    """Harbor's Link header: the request's path and every query parameter, keys sorted,
    page and page_size set, unescaped; `<…>; rel="prev"` and `<…>; rel="next"` joined by
    " , ". Empty when every row fits (or page_size is 0)."""
    if size <= 0:
        return ""
    query = {key: params.getlist(key) for key in params}

    def url(target_page: int) -> str:
        pairs = {**query, "page": [str(target_page)], "page_size": [str(size)]}
        return path + "?" + "&".join(f"{link_value(key)}={link_value(value)}"
                                     for key in sorted(pairs) for value in pairs[key])

    found = []
    if page > 1 and (page - 1) * size < total:
        found.append(f'<{url(page - 1)}>; rel="prev"')
    if size * page < total:
        found.append(f'<{url(page + 1)}>; rel="next"')
    return " , ".join(found)
