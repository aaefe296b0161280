"""/ping, /health, /systeminfo (anonymous), /users/current (goharbor's Go CLI logs in with
it), the adapters, and X-Request-Id on every answer."""

import re
import uuid

import pytest

from endpoints.providers import PROVIDERS
from tests.api.conftest import RFC3339_MS, Api, basic, harbor_error

pytestmark = pytest.mark.django_db


def test_ping_is_plain_text_pong_for_anyone(anonymous_api, db):
    from django.test import Client

    for api in (anonymous_api, Api(Client(), basic("nobody", "wrong"))):
        response = api.get("/ping", HTTP_ACCEPT="text/plain")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/plain") and response.content == b"Pong"


def test_health_is_anonymous_and_names_its_components(anonymous_api):
    body = anonymous_api.get("/health").json()

    assert body["status"] == "healthy"
    names = [component["name"] for component in body["components"]]
    assert names == sorted(names) and "database" in names
    assert all(component["status"] == "healthy" for component in body["components"])


def test_systeminfo_says_less_to_anonymous_callers(anonymous_api, api):
    anonymous = anonymous_api.get("/systeminfo").json()
    known = api.get("/systeminfo").json()

    assert anonymous["auth_mode"] == "db_auth" and anonymous["self_registration"] is False
    assert {"auth_mode", "primary_auth_mode", "self_registration", "banner_message",
            "oidc_provider_name"} <= set(anonymous)
    assert "harbor_version" not in anonymous and "current_time" not in anonymous
    assert re.match(r"^v2\.\d+\.\d+-harborreg", known["harbor_version"])
    assert RFC3339_MS.match(known["current_time"]) and known["external_url"] == "http://testserver"
    assert known["registry_url"] == "testserver"


def test_systeminfo_with_wrong_credentials_is_still_anonymous(owner):
    from django.test import Client

    response = Api(Client(), basic("owner", "wrong")).get("/systeminfo")

    assert response.status_code == 200 and "harbor_version" not in response.json()


def test_users_current_is_the_basic_user(api, owner, anonymous_api):
    body = api.get("/users/current").json()

    assert body["username"] == "owner" and body["user_id"] == owner.pk
    assert body["sysadmin_flag"] is False and RFC3339_MS.match(body["creation_time"])
    harbor_error(anonymous_api.get("/users/current"), 401, "UNAUTHORIZED")


def test_every_answer_carries_a_request_id(api, anonymous_api):
    given = api.get("/registries", HTTP_X_REQUEST_ID="trace-42")
    made = anonymous_api.get("/registries/1/nope")

    assert given["X-Request-Id"] == "trace-42"
    assert uuid.UUID(made["X-Request-Id"])


# --- adapters -----------------------------------------------------------------------------


def test_adapters_are_every_provider_key_sorted(api):
    assert api.get("/replication/adapters").json() == sorted(PROVIDERS)


def test_enabled_providers_limit_the_adapters_as_harbors_whitelist_does(api, settings):
    settings.ENABLED_PROVIDERS = ["quay", "harbor"]

    assert api.get("/replication/adapters").json() == ["harbor", "quay"]
    assert set(api.get("/replication/adapterinfos").json()) == {"quay"}


def test_adapterinfos_come_from_the_provider_modules(api):
    infos = api.get("/replication/adapterinfos").json()
    # Harbor lists these two with an empty pattern (&AdapterPattern{}).
    assert infos["tencent-tcr"] == {} and infos["volcengine-cr"] == {}

    assert infos["docker-hub"] == {"endpoint_pattern": {
        "endpoint_type": "EndpointPatternTypeFix",
        "endpoints": [{"key": "hub.docker.com", "value": "https://hub.docker.com"}]}}
    assert infos["artifact-hub"]["endpoint_pattern"]["endpoints"] == [
        {"key": "artifacthub.io", "value": "https://artifacthub.io"}]
    ecr = infos["aws-ecr"]["endpoint_pattern"]
    assert ecr["endpoint_type"] == "EndpointPatternTypeList"
    assert {"key": "us-east-1", "value": "https://api.ecr.us-east-1.amazonaws.com"} in ecr["endpoints"]
    assert {"key": "cn-north-1", "value": "https://api.ecr.cn-north-1.amazonaws.com.cn"} in ecr["endpoints"]
    assert infos["google-gcr"]["credential_pattern"] == {"access_key_type": "AccessKeyTypeFix",
                                                         "access_key_data": "_json_key",
                                                         "access_secret_type": "AccessSecretTypeFile"}
    gcr_urls = infos["google-gcr"]["endpoint_pattern"]["endpoints"]
    assert {"key": "gcr.io", "value": "https://gcr.io"} in gcr_urls
    assert infos["quay"] == {"endpoint_pattern": {"endpoint_type": "EndpointPatternTypeStandard",
                                                  "endpoints": None},
                             "credential_pattern": {"access_key_type": "AccessKeyTypeFix",
                                                    "access_key_data": "json_file",
                                                    "access_secret_type": "AccessSecretTypeFile"}}
    assert "ali-acr" in infos
    for free in ("harbor", "docker-registry", "azure-acr", "huawei-SWR", "gitlab", "jfrog-artifactory"):
        assert free not in infos


def test_registry_info_is_harbors(api, make_registry):
    hub = make_registry(name="hub", provider="docker-hub", url="https://hub.docker.com")
    harbor = make_registry(name="harbor", provider="harbor", url="https://harbor.example.com")
    swr = make_registry(name="swr", provider="huawei-SWR", url="https://swr.cn-north-4.myhuaweicloud.com")

    assert api.get(f"/registries/{hub.pk}/info").json() == {
        "type": "docker-hub",
        "supported_resource_filters": [{"type": "name", "style": "input", "values": None},
                                       {"type": "tag", "style": "input", "values": None},
                                       {"type": "resource", "style": "radio", "values": ["image"]}],
        "supported_triggers": ["manual", "scheduled"],
    }
    harbor_info = api.get(f"/registries/{harbor.pk}/info").json()
    assert harbor_info["supported_copy_by_chunk"] is True
    assert {"type": "label", "style": "list", "values": []} in harbor_info["supported_resource_filters"]
    assert api.get(f"/registries/{swr.pk}/info").json()["description"] == (
        "Adapter for SWR -- The image registry of Huawei Cloud")
    harbor_error(api.get("/registries/99/info"), 404, "NOT_FOUND")
