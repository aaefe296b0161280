"""The Harbor-compatible API under /api/v2.0: registries, adapters and the few service
endpoints clients call. A view reads the request, calls the rules (api/edits.py, then
endpoints.services) and answers in Harbor's shapes; errors go through api/errors.py."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import IntegrityError, connection
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers as drf_serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

import harborreg
from api import adapters, edits, query
from api.authentication import (
    WWW_AUTHENTICATE,
    OptionalBasicAuthentication,
    OptionalRobotAuthentication,
    SessionAuthentication,
    enforce_csrf_with_session_cookie,
)
from api.errors import ApiError
from api.negotiation import PlainTextRenderer
from api.permissions import AuthenticatedUser, RegistryPermission
from api.serializers import (
    ErrorsSerializer,
    GeneralInfoSerializer,
    HealthSerializer,
    RegistryCreateSerializer,
    RegistryInfoSerializer,
    RegistryPingSerializer,
    RegistrySerializer,
    RegistryUpdateSerializer,
    UserSerializer,
    json_type,
    registry_json,
    rfc3339,
)
from endpoints import secrets, services, throttle
from endpoints.models import Registry
from endpoints.probe.result import Verdict
from endpoints.probe.target import Target
from endpoints.validation import SecretReentry

HARBOR_VERSION = "v2.15.2"  # the Harbor API this one follows (harbor-api.md)


def errors(*statuses: int) -> dict:
    body = OpenApiResponse(ErrorsSerializer, description="Harbor's error body")
    return dict.fromkeys(statuses, body)


ID = OpenApiParameter("id", OpenApiTypes.INT64, OpenApiParameter.PATH, description="The registry's id.")
NO_BODY = OpenApiResponse(description="Success (no body).")


@method_decorator(sensitive_post_parameters("access_secret", "credential"), name="dispatch")
class HarborView(APIView):
    """What every API view shares: the Basic challenge on 401, and CSRF whenever the
    session cookie is present."""

    required_actions: dict[str, str] = {}
    permission_classes = [RegistryPermission]

    def get_authenticate_header(self, request) -> str:
        return WWW_AUTHENTICATE

    def initial(self, request, *args, **kwargs) -> None:
        enforce_csrf_with_session_cookie(request)
        super().initial(request, *args, **kwargs)


def registry_or_404(raw_id) -> Registry:
    """The registry of a path or body id; 422 for what is not an int64, as go-swagger."""
    number = raw_id if isinstance(raw_id, int) else query.parse_int64(str(raw_id))
    if number is None:
        raise ApiError.binding(f'id in path must be of type int64: "{raw_id}"')
    registry = Registry.objects.filter(pk=number).first()
    if registry is None:
        raise ApiError(404, f"registry {number} not found")
    return registry


def read_body(request, serializer_class) -> dict:
    """The JSON body, type-checked as go-swagger's binding does (422 when absent or mistyped)."""
    if int(request.META.get("CONTENT_LENGTH") or 0) == 0 or (data := request.data) is None:
        raise ApiError.binding("registry in body is required")
    if not isinstance(data, dict):
        raise ApiError.binding(f'registry in body must be of type object: "{json_type(data)}"')
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        raise drf_serializers.ValidationError(serializer.errors)
    return serializer.validated_data


@contextmanager
def rules_refusals() -> Iterator[None]:
    """What api/edits.py refuses, in Harbor's codes: 400 with one error per problem (each
    naming its field), 409 for a taken name."""
    try:
        yield
    except edits.InvalidEndpoint as refusal:
        first, *more = [{"code": "BAD_REQUEST", "message": message, **({"field": field} if field else {})}
                        for field, message in refusal.problems]
        raise ApiError(400, first["message"], more=more, **{k: v for k, v in first.items()
                                                              if k not in ("code", "message")}) from None
    except edits.SecretMustBeReentered as refusal:
        raise ApiError(400, refusal.message, field="access_secret") from None
    except edits.NameTaken as taken:
        raise ApiError(409, taken.message, field="name") from None


def unhealthy(verdict: Verdict) -> ApiError:
    """Harbor's 400 `the registry is unhealthy`, saying why, with the whole diagnosis."""
    return ApiError(400, f"the registry is unhealthy: {verdict.category}: {verdict.summary}",
                    verdict=verdict.as_json())


def run_test(request, target: Target, withheld: SecretReentry | None, registry: Registry | None) -> Verdict:
    """A connection test within the user's limits, recorded (services.run_connection_test)."""
    try:
        return services.run_connection_test(request.user, target, withheld, registry)
    except throttle.Throttled as refusal:
        code = "TOO_MANY_REQUEST" if refusal.status == 429 else None
        raise ApiError(refusal.status, refusal.message, code=code,
                       headers={"Retry-After": str(refusal.retry_after)}) from None


def tested(request, edit: edits.EndpointEdit) -> Verdict:
    """The save-time test of a create or an edit; a failure refuses the save (Harbor's 400)."""
    try:
        target = edit.target()
    except secrets.SecretDecryptionError:
        raise unhealthy(services.undecryptable_verdict()) from None
    verdict = run_test(request, target, None, edit.registry if edit.registry.pk else None)
    if not verdict.ok:
        raise unhealthy(verdict)
    return verdict


def saved(request, edit: edits.EndpointEdit, verdict: Verdict | None) -> Registry:
    try:
        return services.save_endpoint(edit.registry, request.user, edit.changed, verdict,
                                      new_secret=edit.new_secret, clear_secret=edit.clear_secret)
    except IntegrityError:  # the name was taken while the test ran
        raise ApiError(409, f"registry {edit.registry.name} already exists", field="name") from None


LIST_PARAMETERS = [
    OpenApiParameter("q", str, description="Query: k=v (exact), k=~v (fuzzy), k=[min~max], k={v1 v2}; keys "
                                           "id, name, url, type, insecure, description, status (health), "
                                           "creation_time, update_time."),
    OpenApiParameter("sort", str,
                     description="Sort keys, comma-separated; - for descending, e.g. -creation_time."),
    OpenApiParameter("page", OpenApiTypes.INT64, default=1),
    OpenApiParameter("page_size", OpenApiTypes.INT64, default=10,
                     description="At most 100; 0 means every row."),
    OpenApiParameter("name", str, deprecated=True, description="Fuzzy match on the name (use q)."),
]
LIST_HEADERS = [
    OpenApiParameter("X-Total-Count", OpenApiTypes.INT64, OpenApiParameter.HEADER, response=[200],
                     description="The number of matching registries."),
    OpenApiParameter("Link", str, OpenApiParameter.HEADER, response=[200],
                     description="Harbor's pagination links, e.g. "
                                 '</api/v2.0/registries?page=2&page_size=10>; rel="next"'),
]
CREATED = OpenApiResponse(description="Created (no body).")
LOCATION = OpenApiParameter("Location", str, OpenApiParameter.HEADER, response=[201],
                            description="The new registry's path, e.g. /api/v2.0/registries/7.")


class RegistriesView(HarborView):
    required_actions = {"GET": "view", "POST": "add"}

    @extend_schema(operation_id="listRegistries", tags=["registry"],
                   description=("The registries, a page at a time (X-Total-Count, Link), filtered by q and "
                                "the fuzzy name."),
                   parameters=[*LIST_PARAMETERS, *LIST_HEADERS],
                   responses={200: RegistrySerializer(many=True), **errors(400, 401, 403, 422)})
    def get(self, request) -> Response:
        params = request.query_params
        page, size = query.pagination(params)
        registries = query.filter_registries(Registry.objects.all(), query.parse_q(params.get("q", "")))
        if "name" in params:
            registries = query.fuzzy_name(registries, params["name"])
        total = registries.count()
        registries = registries.order_by(*query.order_by(params.get("sort", "")))
        if size:
            registries = registries[(page - 1) * size:page * size]
        headers = {"X-Total-Count": str(total)}
        if link := query.links(request.path, params, page, size, total):
            headers["Link"] = link
        return Response([registry_json(registry) for registry in registries], headers=headers)

    @extend_schema(operation_id="createRegistry", tags=["registry"],
                   description=("Create a registry after testing its connection; a failed test is a 400 "
                                "with the diagnosis."),
                   request=RegistryCreateSerializer, parameters=[LOCATION],
                   responses={201: CREATED, **errors(400, 401, 403, 409, 422, 429)})
    def post(self, request) -> Response:
        body = read_body(request, RegistryCreateSerializer)
        with rules_refusals():
            edit = edits.edit_for_create(body)
        registry = saved(request, edit, tested(request, edit))
        return Response(status=201, headers={"Location": f"{request.path.rstrip('/')}/{registry.pk}"})


class RegistryView(HarborView):
    required_actions = {"GET": "view", "PUT": "change", "DELETE": "delete"}

    @extend_schema(operation_id="getRegistry", tags=["registry"],
                   description=("One registry; a stored secret shows as *****; the last check's time and "
                                "reason ride along."),
                   parameters=[ID],
                   responses={200: RegistrySerializer, **errors(401, 403, 404, 422)})
    def get(self, request, id) -> Response:  # noqa: A002 (Harbor's parameter name)
        return Response(registry_json(registry_or_404(id)))

    @extend_schema(operation_id="updateRegistry", tags=["registry"],
                   description=("Change a registry (flat; null keeps a value, an empty string clears it); "
                                "connection changes are tested."),
                   parameters=[ID], request=RegistryUpdateSerializer,
                   responses={200: NO_BODY, **errors(400, 401, 403, 404, 409, 422, 429)})
    def put(self, request, id) -> Response:  # noqa: A002
        body = read_body(request, RegistryUpdateSerializer)  # go-swagger binds before the handler runs
        registry = registry_or_404(id)
        with rules_refusals():
            edit = edits.edit_for_update(registry, body)
        if edit.changed:  # else there is nothing to save (and nothing is logged)
            saved(request, edit, tested(request, edit) if edit.needs_test else None)
        return Response(status=200)

    @extend_schema(operation_id="deleteRegistry", tags=["registry"],
                   description=("Delete a registry; 412 names the replication rules and proxy-cache "
                                "projects using it."),
                   parameters=[ID],
                   responses={200: NO_BODY, **errors(401, 403, 404, 412, 422)})
    def delete(self, request, id) -> Response:  # noqa: A002
        registry = registry_or_404(id)
        outcome = services.delete_registry(registry, request.user)
        if not outcome.deleted:
            raise ApiError(412, referenced_message(registry.pk, outcome),
                           rules=[rule.name for rule in outcome.rules],
                           projects=[project.name for project in outcome.projects])
        return Response(status=200)


def quoted(names: list[str]) -> str:
    items = [f"“{name}”" for name in names]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def referenced_message(pk: int, outcome: services.DeleteOutcome) -> str:
    """Harbor's 412 text, naming the rules and projects instead of only the id."""
    users = []
    if outcome.rules:
        noun = "replication rule" if len(outcome.rules) == 1 else "replication rules"
        users.append(f"{noun} {quoted([rule.name for rule in outcome.rules])}")
    if outcome.projects:
        noun = "proxy-cache project" if len(outcome.projects) == 1 else "proxy-cache projects"
        users.append(f"{noun} {quoted([project.name for project in outcome.projects])}")
    if not users:
        return (f"the registry {pk} is referenced by a replication rule or proxy-cache project created while "
                "it was being deleted, cannot delete it: try again")
    return f"the registry {pk} is referenced by {' and '.join(users)}, cannot delete it"


class RegistryPingView(HarborView):
    required_actions = {"POST": "view"}  # Harbor: registry:read

    @extend_schema(operation_id="pingRegistry", tags=["registry"],
                   description=("Test a saved registry (id) or unsaved values; the stored secret goes only "
                                "to its own origin."),
                   request=RegistryPingSerializer,
                   responses={200: NO_BODY, **errors(400, 401, 403, 404, 422, 429)})
    def post(self, request) -> Response:
        body = read_body(request, RegistryPingSerializer)
        registry = registry_or_404(body["id"]) if body.get("id") is not None else None
        with rules_refusals():
            try:
                plan = edits.ping_plan(body, registry)
            except secrets.SecretDecryptionError:
                raise unhealthy(services.undecryptable_verdict()) from None
        verdict = run_test(request, plan.target, plan.withheld, registry)
        if not verdict.ok:
            raise unhealthy(verdict)
        return Response(status=200)


class RegistryInfoView(HarborView):
    required_actions = {"GET": "view"}

    @extend_schema(operation_id="getRegistryInfo", tags=["registry"],
                   description="The replication filters and triggers the registry's provider supports.",
                   parameters=[ID],
                   responses={200: RegistryInfoSerializer, **errors(401, 403, 404, 422)})
    def get(self, request, id) -> Response:  # noqa: A002
        return Response(adapters.registry_info(registry_or_404(id)))


class AdaptersView(HarborView):
    required_actions = {"GET": "view"}

    @extend_schema(operation_id="listRegistryProviderTypes", tags=["registry"],
                   description="The registry types (provider keys) this server offers, sorted.",
                   responses={200: OpenApiResponse({"type": "array", "items": {"type": "string"}},
                                                   description="The provider keys, sorted."),
                              **errors(401, 403)})
    def get(self, request) -> Response:
        return Response(adapters.adapter_types())


STRING = {"type": "string"}
PROVIDER_INFOS = {  # a map, which drf-spectacular cannot infer from a serializer
    "type": "object",
    "additionalProperties": {
        "type": "object",
        "properties": {
            "endpoint_pattern": {"type": "object", "properties": {
                "endpoint_type": STRING,
                "endpoints": {"type": "array", "nullable": True, "items": {
                    "type": "object", "properties": {"key": STRING, "value": STRING}}},
            }},
            "credential_pattern": {"type": "object", "properties": dict.fromkeys(
                ("access_key_type", "access_key_data", "access_secret_type", "access_secret_data"), STRING)},
        },
    },
}


class AdapterInfosView(HarborView):
    required_actions = {"GET": "view"}

    @extend_schema(operation_id="listRegistryProviderInfos", tags=["registry"],
                   description="The URL and credential patterns of the providers that have one.",
                   responses={200: OpenApiResponse(PROVIDER_INFOS, description="Provider → its patterns."),
                              **errors(401, 403)})
    def get(self, request) -> Response:
        return Response(adapters.adapter_infos())


class PingView(HarborView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    renderer_classes = [PlainTextRenderer]

    @extend_schema(operation_id="getPing", tags=["ping"],
                   description="Pong: the API is up (anonymous).",
                   auth=[], responses={(200, "text/plain"): OpenApiTypes.STR})
    def get(self, request) -> Response:
        return Response("Pong", content_type="text/plain; charset=utf-8")


class HealthView(HarborView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(operation_id="getHealth", tags=["health"],
                   description="The health of harborreg's components (anonymous).",
                   auth=[], responses={200: HealthSerializer})
    def get(self, request) -> Response:
        components = [{"name": "core", "status": "healthy"}, database_health()]
        healthy = all(component["status"] == "healthy" for component in components)
        return Response({"status": "healthy" if healthy else "unhealthy", "components": components})


def database_health() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # whatever the driver raises, health says unhealthy, not 500
        return {"name": "database", "status": "unhealthy", "error": type(exc).__name__}
    return {"name": "database", "status": "healthy"}


class SystemInfoView(HarborView):
    authentication_classes = [OptionalRobotAuthentication, OptionalBasicAuthentication, SessionAuthentication]
    permission_classes = [AllowAny]

    # Anonymous, or Basic (wrong credentials make the caller anonymous, as in Harbor).
    @extend_schema(operation_id="getSystemInfo", tags=["systeminfo"],
                   description="General information; more for an authenticated caller.",
                   auth=[{"basicAuth": []}, {"cookieAuth": []}, {}],
                   responses={200: GeneralInfoSerializer})
    def get(self, request) -> Response:
        info = {"auth_mode": "db_auth", "primary_auth_mode": False, "self_registration": False,
                "banner_message": "", "oidc_provider_name": ""}
        if request.user and request.user.is_authenticated:
            info.update(
                current_time=rfc3339(timezone.now()),
                external_url=request.build_absolute_uri("/").rstrip("/"),
                registry_url=request.get_host(),
                has_ca_root=False,
                harbor_version=f"{HARBOR_VERSION}-harborreg-{harborreg.__version__}",
                project_creation_restriction="adminonly",
                read_only=False,
                registry_storage_provider_name="none",
                notification_enable=False,
            )
        return Response(info)


class CurrentUserView(HarborView):
    permission_classes = [AuthenticatedUser]

    @extend_schema(operation_id="getCurrentUserInfo", tags=["user"],
                   description="The account the request authenticates as.",
                   responses={200: UserSerializer, **errors(401)})
    def get(self, request) -> Response:
        user = request.user
        return Response({
            "user_id": user.pk, "username": user.get_username(), "email": user.email,
            "realname": user.get_full_name(), "comment": "", "sysadmin_flag": user.is_superuser,
            "admin_role_in_auth": False, "creation_time": rfc3339(user.date_joined),
            "update_time": rfc3339(user.last_login or user.date_joined),
        })

