"""Alibaba Cloud ACR Test Connection over real sockets: an emulated ACR (registry, token
service and the signature-checking OpenAPI), plus the signer against Alibaba's example."""

from __future__ import annotations

import base64

import pytest

from endpoints.providers.aliyun_signing import percent_encode, roa_headers, rpc_query, rpc_signature
from tests.fixtures.ali_acr_emulator import AcrCloud, sign
from tests.fixtures.emulators import Reply
from tests.fixtures.probing import check, failed_step, shown, step_named

KEY_ID = "LTAI5tTestKeyForHarborreg"
SECRET = "hT9qLr2WxYvZp8sNcK4mJd6fGaE1bU"
WRONG_SECRET = "hT9qLr2WxYvZp8sNcK4mJd6fGaE1bX"
NO_PERMISSION_KEY = ("LTAI5tNoPermissionKey", "sZ3kPq8WmYvXr5tNcL2jHd7gFaE4bV")
TOKEN_STEP = "ACR temporary credentials"


@pytest.fixture
def acr(emulate):
    """start(**AcrCloud fields) → (cloud, emulator): the ACR hosts served by one emulator."""

    def start(**fields) -> tuple[AcrCloud, object]:
        keys = {KEY_ID: (SECRET, True), NO_PERMISSION_KEY[0]: (NO_PERMISSION_KEY[1], False)}
        cloud = AcrCloud(keys=keys, **fields)
        return cloud, emulate(cloud.hosts, cloud.handle)

    return start


def acr_check(url: str, emulator, key_id: str = KEY_ID, secret: str = SECRET):
    return check(url, key_id, secret, ca_pem=emulator.ca_pem, provider="ali-acr")


def assert_nothing_leaks(verdict, cloud: AcrCloud, *secrets: str) -> None:
    text = shown(verdict)
    for secret in [*secrets, *cloud.issued.values(), *cloud.tokens]:
        assert secret not in text
        assert base64.b64encode(secret.encode()).decode() not in text


def test_it_gets_temporary_credentials_for_a_personal_edition_registry(acr):
    cloud, emulator = acr()
    url = f"https://{cloud.registry_host}"

    verdict = acr_check(url, emulator)

    assert verdict.ok, verdict.as_json()
    assert verdict.category == "ok"
    assert "Personal Edition in cn-hangzhou" in step_named(verdict, f"GET {url}/v2/ (challenge)").detail
    assert "cr.cn-hangzhou.aliyuncs.com" in step_named(verdict, TOKEN_STEP).detail
    assert cloud.api_calls == ["ROA issued"]
    (user, password), = cloud.issued.items()
    realm = emulator.to(f"dockerauth.{cloud.region}.aliyuncs.com")
    realm_auth = [r.headers.get("authorization") for r in realm]
    assert realm_auth == ["Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()]
    assert_nothing_leaks(verdict, cloud, SECRET)


def test_it_uses_the_enterprise_api_for_a_cri_instance(acr):
    cloud, emulator = acr(region="ap-southeast-1", instance_id="cri-abc123xyz", instance_name="acme")
    url = "https://acme-registry.ap-southeast-1.cr.aliyuncs.com"

    verdict = acr_check(url, emulator)

    assert verdict.ok, verdict.as_json()
    challenge = step_named(verdict, f"GET {url}/v2/ (challenge)")
    assert "Enterprise Edition instance cri-abc123xyz in ap-southeast-1" in challenge.detail
    assert cloud.api_calls == ["RPC issued"]
    api = emulator.to("cr.ap-southeast-1.aliyuncs.com")[0]
    assert api.query["InstanceId"] == "cri-abc123xyz" and api.query["AccessKeyId"] == KEY_ID
    assert_nothing_leaks(verdict, cloud, SECRET)


@pytest.mark.parametrize("instance_id", [None, "cri-abc123xyz"])
def test_a_wrong_secret_is_auth_naming_the_accesskey_secret(acr, instance_id):
    cloud, emulator = acr(instance_id=instance_id)

    verdict = acr_check(f"https://{cloud.registry_host}", emulator, secret=WRONG_SECRET)

    assert verdict.category == "auth"
    step = failed_step(verdict)
    assert step.name == TOKEN_STEP
    assert "SignatureDoesNotMatch" in verdict.summary
    assert "AccessKey Secret" in step.hint
    assert cloud.api_calls == [("RPC" if instance_id else "ROA") + " SignatureDoesNotMatch"]
    assert_nothing_leaks(verdict, cloud, WRONG_SECRET)


def test_an_unknown_accesskey_is_auth_naming_the_accesskey_id(acr):
    cloud, emulator = acr()

    verdict = acr_check(f"https://{cloud.registry_host}", emulator, key_id="LTAI5tUnknownKey", secret=SECRET)

    assert verdict.category == "auth"
    step = failed_step(verdict)
    assert step.name == TOKEN_STEP
    assert "InvalidAccessKeyId.NotFound" in verdict.summary and "LTAI5tUnknownKey" in verdict.summary
    assert "AccessKey ID" in step.hint
    assert_nothing_leaks(verdict, cloud, SECRET)


def test_a_ram_user_without_permission_is_auth_naming_the_policy(acr):
    cloud, emulator = acr()

    verdict = acr_check(f"https://{cloud.registry_host}", emulator, *NO_PERMISSION_KEY)

    assert verdict.category == "auth"
    step = failed_step(verdict)
    assert step.name == TOKEN_STEP
    assert "Forbidden.RAM" in verdict.summary
    assert "cr:GetAuthorizationToken" in step.hint
    assert_nothing_leaks(verdict, cloud, NO_PERMISSION_KEY[1])


def test_a_registry_refusing_the_temporary_credentials_is_auth_naming_the_ram_user(acr):
    cloud, emulator = acr()
    cloud.issue = lambda: ("cr_temp_user_x", "not-accepted-by-the-realm")  # realm knows no such pair

    verdict = acr_check(f"https://{cloud.registry_host}", emulator)

    assert verdict.category == "auth"
    step = failed_step(verdict)
    assert step.name.startswith("Token from https://dockerauth.cn-hangzhou.aliyuncs.com/auth")
    assert "temporary credentials" in step.hint and KEY_ID in step.hint
    assert "not-accepted-by-the-realm" not in shown(verdict)


@pytest.mark.parametrize("reply", [
    Reply(401, {}, {"WWW-Authenticate": 'Bearer realm="https://auth.example.com/token",service="harbor-registry"'}),
    Reply(401, {}, {"WWW-Authenticate": 'Basic realm="registry"'}),
    Reply(200, {}, {"Docker-Distribution-API-Version": "registry/2.0"}),
], ids=["other-bearer-service", "basic", "open"])
def test_a_registry_that_is_not_acr_is_provider(emulate, reply):
    emulator = emulate(["registry.cn-hangzhou.aliyuncs.com"], lambda request: reply)

    verdict = acr_check("https://registry.cn-hangzhou.aliyuncs.com", emulator)

    assert verdict.category == "provider"
    step = failed_step(verdict)
    assert step.name == "GET https://registry.cn-hangzhou.aliyuncs.com/v2/ (challenge)"
    assert "Not an Alibaba Cloud ACR registry URL?" in step.hint
    assert "registry.aliyuncs.com:<region>" in step.hint
    assert len(emulator.requests) == 1  # no signed API call, no credentials sent


def test_no_credentials_is_invalid_before_any_request(acr):
    cloud, emulator = acr()

    verdict = acr_check(f"https://{cloud.registry_host}", emulator, key_id="", secret="")

    assert verdict.category == "invalid"
    step = failed_step(verdict)
    assert step.name == "Check input"
    assert "AccessKey ID and AccessKey Secret" in verdict.summary
    assert emulator.requests == []


# The signer -------------------------------------------------------------------------------


def test_the_rpc_signature_matches_alibabas_documented_example():
    params = {
        "Timestamp": "2016-02-23T12:46:24Z", "Format": "XML", "AccessKeyId": "testid",
        "Action": "DescribeRegions", "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf", "Version": "2014-05-26",
        "SignatureVersion": "1.0",
    }
    assert rpc_signature("GET", params, "testsecret") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


def test_percent_encoding_is_rfc_3986():
    assert percent_encode("a b*c~d/é+") == "a%20b%2Ac~d%2F%C3%A9%2B"


def test_the_rpc_query_carries_the_common_parameters_and_a_fresh_nonce():
    first = rpc_query("GET", {"Action": "GetAuthorizationToken"}, "id", "secret", version="2018-12-01")
    second = rpc_query("GET", {"Action": "GetAuthorizationToken"}, "id", "secret", version="2018-12-01")
    for name in ("Format=JSON", "Version=2018-12-01", "AccessKeyId=id", "SignatureMethod=HMAC-SHA1",
                 "SignatureVersion=1.0", "Timestamp=", "SignatureNonce=", "Signature="):
        assert name in first
    assert first != second


def test_the_roa_signature_covers_accept_date_and_the_x_acs_headers():
    headers = roa_headers("GET", "/tokens", "id", "secret", version="2016-06-07",
                          date="Thu, 26 Nov 2026 10:00:00 GMT", nonce="n1")
    expected = sign("secret", "GET\napplication/json\n\n\nThu, 26 Nov 2026 10:00:00 GMT\n"
                    "x-acs-signature-method:HMAC-SHA1\nx-acs-signature-nonce:n1\n"
                    "x-acs-signature-version:1.0\nx-acs-version:2016-06-07\n/tokens")
    assert headers["Authorization"] == f"acs id:{expected}"
