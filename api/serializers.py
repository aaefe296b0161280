"""Harbor's request and response bodies (api/v2.0/swagger.yaml), as DRF serializers: they
check JSON types as go-swagger's binding does (a wrong type is a 422) and describe the
OpenAPI document. What the values mean is decided by api/edits.py and the endpoints rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from rest_framework import serializers

from endpoints.models import Registry

SECRET_MASK = "*****"  # what Harbor (and harborreg) shows for a stored secret


def json_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def wrong_type(expected: str, value) -> serializers.ValidationError:
    return serializers.ValidationError(f'must be of type {expected}: "{json_type(value)}"', code="type")


def rfc3339(moment: datetime | None) -> str | None:
    """2024-05-01T08:00:00.000Z, as go-openapi's strfmt.DateTime writes it."""
    if moment is None:
        return None
    moment = moment.astimezone(UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


# --- strict JSON types (go-swagger's binding), every field optional and nullable -----------


class StringField(serializers.CharField):
    def __init__(self, **kwargs) -> None:
        kwargs.update(required=False, allow_null=True, allow_blank=True, trim_whitespace=False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise wrong_type("string", data)
        return data


class BooleanField(serializers.BooleanField):
    def __init__(self, **kwargs) -> None:
        kwargs.update(required=False, allow_null=True)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            raise wrong_type("boolean", data)
        return data


class IdField(serializers.IntegerField):
    def __init__(self, **kwargs) -> None:
        kwargs.update(required=False, allow_null=True)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            raise wrong_type("integer", data)
        if not -(2**63) <= data < 2**63:
            raise serializers.ValidationError("must be a 64-bit integer", code="type")
        return data


class StrictSerializer(serializers.Serializer):
    """Unknown keys are ignored (Go's json.Unmarshal); a non-object is a type error."""

    def to_internal_value(self, data):
        if not isinstance(data, Mapping):
            raise wrong_type("object", data)
        return super().to_internal_value(data)


class RegistryCredentialSerializer(StrictSerializer):
    type = StringField(help_text="Credential type: basic (stored as given; harborreg shows basic).")
    access_key = StringField(help_text="Access ID.")
    access_secret = StringField(help_text=f'Access Secret; write-only. "{SECRET_MASK}" means "unchanged".')

    class Meta:
        ref_name = "RegistryCredential"


class RegistryCreateSerializer(StrictSerializer):
    """POST /registries: Harbor's `Registry`. id, status and the times are ignored."""

    id = IdField(help_text="Ignored.")
    name = StringField()
    description = StringField()
    type = StringField(help_text="The provider: one of GET /replication/adapters.")
    url = StringField()
    insecure = BooleanField(help_text="true: do not verify the remote certificate.")
    ca_certificate = StringField(help_text="PEM CA certificate(s), trusted in addition to the system CAs.")
    credential = RegistryCredentialSerializer(required=False, allow_null=True)


class RegistryUpdateSerializer(StrictSerializer):
    """PUT /registries/{id}: flat; absent or null = unchanged, "" = cleared."""

    name = StringField()
    description = StringField()
    url = StringField()
    credential_type = StringField()
    access_key = StringField()
    access_secret = StringField(help_text=f'"" clears the stored secret; "{SECRET_MASK}" or null keeps it.')
    insecure = BooleanField()
    ca_certificate = StringField()

    class Meta:
        ref_name = "RegistryUpdate"


class RegistryPingSerializer(StrictSerializer):
    """POST /registries/ping: a saved endpoint (`id`, values given override) or unsaved values."""

    id = IdField()
    type = StringField()
    url = StringField()
    credential_type = StringField()
    access_key = StringField()
    access_secret = StringField()
    insecure = BooleanField()
    ca_certificate = StringField()

    class Meta:
        ref_name = "RegistryPing"


# --- responses ---------------------------------------------------------------------------


class HarborDateTimeField(serializers.DateTimeField):
    def to_representation(self, value):
        return rfc3339(value)


class RegistrySerializer(serializers.Serializer):
    """Harbor's `Registry`, as GET answers it; empty optional fields are left out as
    go-swagger's omitempty does, `credential` is always an object. The last three fields
    are harborreg's: the last check's time, category and reason."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    url = serializers.CharField()
    type = serializers.CharField(source="provider")
    description = serializers.CharField(required=False)
    insecure = serializers.SerializerMethodField()
    credential = serializers.SerializerMethodField()
    ca_certificate = serializers.CharField(required=False)
    status = serializers.ChoiceField(choices=Registry.Status.values,
                                     help_text="healthy, unhealthy, or unknown (not checked since saved).")
    creation_time = HarborDateTimeField(source="created_at")
    update_time = HarborDateTimeField(source="updated_at")
    last_checked_at = HarborDateTimeField(required=False, help_text="harborreg: when it was last checked.")
    status_category = serializers.CharField(required=False, help_text="harborreg: the last check's category.")
    status_detail = serializers.CharField(required=False, help_text="harborreg: the last check's reason.")

    OMITTED_WHEN_EMPTY = ("description", "insecure", "ca_certificate", "last_checked_at", "status_category",
                          "status_detail")

    def get_insecure(self, registry: Registry) -> bool:
        return not registry.verify_remote_cert

    def get_credential(self, registry: Registry) -> dict:
        credential = {}
        if registry.access_id or registry.has_secret:
            credential["type"] = "basic"
        if registry.access_id:
            credential["access_key"] = registry.access_id
        if registry.has_secret:
            credential["access_secret"] = SECRET_MASK
        return credential

    def to_representation(self, instance):
        data = super().to_representation(instance)
        for key in self.OMITTED_WHEN_EMPTY:
            if data.get(key) in (None, "", False):
                data.pop(key, None)
        return data


def registry_json(registry: Registry) -> dict:
    return RegistrySerializer(registry).data


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()

    class Meta:
        ref_name = "Error"


class ErrorsSerializer(serializers.Serializer):
    errors = ErrorSerializer(many=True)

    class Meta:
        ref_name = "Errors"


class FilterStyleSerializer(serializers.Serializer):
    type = serializers.CharField()
    style = serializers.CharField()
    values = serializers.ListField(child=serializers.CharField(), allow_null=True)

    class Meta:
        ref_name = "FilterStyle"


class RegistryInfoSerializer(serializers.Serializer):
    type = serializers.CharField()
    description = serializers.CharField(required=False)
    supported_resource_filters = FilterStyleSerializer(many=True)
    supported_triggers = serializers.ListField(child=serializers.CharField())
    supported_copy_by_chunk = serializers.BooleanField(required=False)

    class Meta:
        ref_name = "RegistryInfo"


class ComponentHealthSerializer(serializers.Serializer):
    name = serializers.CharField()
    status = serializers.CharField()
    error = serializers.CharField(required=False)

    class Meta:
        ref_name = "ComponentHealthStatus"


class HealthSerializer(serializers.Serializer):
    status = serializers.CharField()
    components = ComponentHealthSerializer(many=True)

    class Meta:
        ref_name = "OverallHealthStatus"


class GeneralInfoSerializer(serializers.Serializer):
    auth_mode = serializers.CharField()
    primary_auth_mode = serializers.BooleanField()
    self_registration = serializers.BooleanField()
    banner_message = serializers.CharField()
    oidc_provider_name = serializers.CharField()
    current_time = serializers.CharField(required=False)
    external_url = serializers.CharField(required=False)
    registry_url = serializers.CharField(required=False)
    has_ca_root = serializers.BooleanField(required=False)
    harbor_version = serializers.CharField(required=False)
    project_creation_restriction = serializers.CharField(required=False)
    read_only = serializers.BooleanField(required=False)
    registry_storage_provider_name = serializers.CharField(required=False)
    notification_enable = serializers.BooleanField(required=False)

    class Meta:
        ref_name = "GeneralInfo"


class UserSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.CharField()
    realname = serializers.CharField()
    comment = serializers.CharField()
    sysadmin_flag = serializers.BooleanField()
    admin_role_in_auth = serializers.BooleanField()
    creation_time = serializers.CharField()
    update_time = serializers.CharField()

    class Meta:
        ref_name = "UserResp"
