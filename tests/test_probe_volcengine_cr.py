"""VolcEngine CR Test Connection over real sockets: an emulated VolcEngine (the signature-
checking OpenAPI at open.volcengineapi.com and a registry per instance), reached through
ENDPOINT_CONNECT_TO, from the check and from `manage.py ping_endpoint`."""

from __future__ import annotations

import base64
import json
import time

import pytest

from tests.fixtures import cli
from tests.fixtures.probing import check, failed_step, shown, step_named
from tests.fixtures.registry_servers import free_port
from tests.fixtures.volcengine_emulator import API_HOST, AccessKey, Instance, VolcCloud
from tests.test_probe_wording import assert_reads_well

ACCOUNT, OTHER_ACCOUNT = "2100123456", "2100999999"
AK = "AKLTYmQ5ZjEzZTdmNzI5NDM0ZThiMWZkYzRhYjk2YmM3NTE"
SK = "TkRNd05qWTRZak0zTkRBeE5EY3dNV0U1WVRjek1EUmhPVGsw=="
WRONG_SK = "TkRNd05qWTRZak0zTkRBeE5EY3dNV0U1WVRjek1EUmhPVGsX=="
NO_PERMISSION_KEY = ("AKLTbm9QZXJtaXNzaW9uSGFyYm9ycmVnVGVzdDAwMDAwMDE",
                     "bm9QZXJtaXNzaW9uU2VjcmV0SGFyYm9ycmVn==")
OTHER_ACCOUNT_KEY = ("AKLTb3RoZXJBY2NvdW50SGFyYm9ycmVnVGVzdDAwMDAwMDI",
                     "b3RoZXJBY2NvdW50U2VjcmV0SGFyYm9ycmVn==")
HOST = "acme-cn-beijing.cr.volces.com"
URL = f"https://{HOST}"
TOKEN_STEP = "VolcEngine GetAuthorizationToken"


@pytest.fixture
def volc(emulate):
    """start(**VolcCloud fields) → (cloud, emulator)."""

    def start(instances: list[Instance] | None = None, hosts: list[str] | None = None, **fields):
        keys = {
            AK: AccessKey(SK, ACCOUNT),
            NO_PERMISSION_KEY[0]: AccessKey(NO_PERMISSION_KEY[1], ACCOUNT, allowed=False),
            OTHER_ACCOUNT_KEY[0]: AccessKey(OTHER_ACCOUNT_KEY[1], OTHER_ACCOUNT),
        }
        if instances is None:
            instances = [Instance("acme", "cn-beijing", ACCOUNT)]
        cloud = VolcCloud(keys=keys, instances=instances, **fields)
        return cloud, emulate(hosts or cloud.hosts, cloud.handle)

    return start


def volc_check(emulator, ak: str = AK, sk: str = SK, url: str = URL):
    return check(url, ak, sk, ca_pem=emulator.ca_pem, provider="volcengine-cr")


def assert_nothing_leaks(verdict, cloud: VolcCloud, *secrets: str) -> None:
    text = shown(verdict)
    for secret in [*secrets, *cloud.issued.values(), *cloud.bearer_tokens]:
        assert secret not in text
        assert base64.b64encode(secret.encode()).decode() not in text



def test_it_gets_a_temporary_token_for_the_urls_instance_and_region_and_logs_in(volc):
    cloud, emulator = volc()

    verdict = volc_check(emulator)

    assert verdict.ok, verdict.as_json()
    assert verdict.category == "ok"
    detail = step_named(verdict, TOKEN_STEP).detail
    assert "acme in cn-beijing" in detail and "valid until" in detail
    assert cloud.api_calls == ["GetAuthorizationToken ok"]
    [call] = emulator.to(API_HOST)
    assert (call.method, call.path, call.query) == (
        "POST", "/", {"Action": "GetAuthorizationToken", "Version": "2022-05-12"})
    assert json.loads(call.body) == {"Registry": "acme"}
    assert call.headers["authorization"].startswith(f"HMAC-SHA256 Credential={AK}/")
    assert "/cn-beijing/cr/request, SignedHeaders=content-type;host;x-content-sha256;x-date," in (
        call.headers["authorization"])
    [((host, user), token)] = cloud.issued.items()
    realm = [r.headers.get("authorization") for r in emulator.to(HOST) if r.path == "/service/token"]
    assert realm == ["Basic " + base64.b64encode(f"{user}:{token}".encode()).decode()]
    assert verdict.summary == f"Authenticated as {user} via token service {URL}/service/token."
    assert_reads_well(verdict)
    assert_nothing_leaks(verdict, cloud, SK)


def test_a_registry_name_before_a_cn_region_is_split_at_the_last_cn(volc):
    cloud, emulator = volc(instances=[Instance("cn-beijing", "cn-shanghai", ACCOUNT)])

    verdict = volc_check(emulator, url="https://cn-beijing-cn-shanghai.cr.volces.com")

    assert verdict.ok, verdict.as_json()
    [call] = emulator.to(API_HOST)
    assert json.loads(call.body) == {"Registry": "cn-beijing"}
    assert "/cn-shanghai/cr/request" in call.headers["authorization"]


def test_a_wrong_secret_is_auth_naming_the_secret_access_key(volc):
    cloud, emulator = volc()

    verdict = volc_check(emulator, sk=WRONG_SK)

    assert verdict.category == "auth"
    step = failed_step(verdict)
    assert step.name == TOKEN_STEP
    assert "SignatureDoesNotMatch" in verdict.summary and AK in verdict.summary
    assert "Secret Access Key" in step.hint
    assert cloud.api_calls == ["GetAuthorizationToken SignatureDoesNotMatch"]
    assert emulator.to(HOST) == []
    assert_reads_well(verdict)
    assert_nothing_leaks(verdict, cloud, WRONG_SK, SK)


def test_an_unknown_access_key_is_auth_naming_the_access_key_id(volc):
    cloud, emulator = volc()
    unknown = "AKLTdW5rbm93bkhhcmJvcnJlZ1Rlc3QwMDAwMDAwMDAwMDk"

    verdict = volc_check(emulator, unknown, SK)

    assert verdict.category == "auth"
    step = failed_step(verdict)
    assert "InvalidAccessKey" in verdict.summary and unknown in verdict.summary
    assert "Access Key ID" in step.hint and "API access keys" in step.hint
    assert_nothing_leaks(verdict, cloud, SK)


def test_a_key_without_permission_is_auth_naming_the_permission(volc):
    cloud, emulator = volc()

    verdict = volc_check(emulator, *NO_PERMISSION_KEY)

    assert verdict.category == "auth"
    assert "AccessDenied" in verdict.summary
    assert "cr:GetAuthorizationToken" in failed_step(verdict).hint
    assert_nothing_leaks(verdict, cloud, NO_PERMISSION_KEY[1])


def test_a_key_of_another_account_does_not_find_the_instance_and_is_auth(volc):
    cloud, emulator = volc()

    verdict = volc_check(emulator, *OTHER_ACCOUNT_KEY)

    assert verdict.category == "auth"
    step = failed_step(verdict)
    assert "NotFound.Registry" in verdict.summary
    assert "no instance acme in cn-beijing" in verdict.summary
    assert "account that owns" in step.hint


def test_a_stopped_instance_is_provider(volc):
    cloud, emulator = volc(instances=[Instance("acme", "cn-beijing", ACCOUNT, phase="Stopped")])

    verdict = volc_check(emulator)

    assert verdict.category == "provider"
    assert "OperationDenied.RegistryStatus" in verdict.summary
    assert "Running" in failed_step(verdict).hint


def test_a_clock_off_by_more_than_fifteen_minutes_is_provider_naming_the_clock(volc):
    cloud, emulator = volc(clock_offset_s=-1000)

    verdict = volc_check(emulator)

    assert verdict.category == "provider"
    assert "InvalidTimestamp" in verdict.summary
    assert "clock" in failed_step(verdict).hint and "NTP" in failed_step(verdict).hint
    assert_reads_well(verdict)


def test_a_clock_within_the_window_is_accepted(volc):
    cloud, emulator = volc(clock_offset_s=600)

    assert volc_check(emulator).ok


def test_throttling_is_rate_limited(volc):
    cloud, emulator = volc(throttled=True)

    verdict = volc_check(emulator)

    assert verdict.category == "rate_limited"
    assert "AccountFlowLimitExceeded" in verdict.summary


def test_a_registry_refusing_the_temporary_token_is_auth_naming_the_access_key(volc):
    cloud, emulator = volc()
    issue = cloud.authorization_token

    def issue_then_forget(*args):
        reply = issue(*args)
        cloud.issued.clear()
        return reply

    cloud.authorization_token = issue_then_forget

    verdict = volc_check(emulator)

    assert verdict.category == "auth"
    step = failed_step(verdict)
    assert step.name == f"Token from {URL}/service/token"
    assert "temporary token" in step.hint and AK in step.hint


def test_an_unreachable_openapi_is_connect_naming_the_api(volc, settings):
    port = free_port()
    cloud, emulator = volc(hosts=[HOST])
    settings.ENDPOINT_CONNECT_TO = [f"{API_HOST}:443:127.0.0.1:{port}", *settings.ENDPOINT_CONNECT_TO]

    verdict = volc_check(emulator)

    assert verdict.category == "connect"
    assert failed_step(verdict).name == "TCP connect"
    assert not step_named(verdict, TOKEN_STEP).ok
    assert verdict.summary.startswith(f"The VolcEngine OpenAPI at {API_HOST} is not reachable from here")
    assert emulator.requests == []
    assert_reads_well(verdict)


def test_an_unreachable_registry_is_connect_after_the_token(volc, settings):
    port = free_port()
    cloud, emulator = volc(hosts=[API_HOST])
    settings.ENDPOINT_CONNECT_TO = [f"{HOST}:443:127.0.0.1:{port}", *settings.ENDPOINT_CONNECT_TO]

    verdict = volc_check(emulator)

    assert verdict.category == "connect"
    assert step_named(verdict, TOKEN_STEP).ok
    assert [step.name for step in verdict.steps][-2:] == ["Address policy", "TCP connect"]  # the registry's


def test_the_address_policy_applies_to_the_openapi(volc, settings):
    cloud, emulator = volc()
    settings.ENDPOINT_DENY_NETWORKS = [*settings.ENDPOINT_DENY_NETWORKS, "127.0.0.0/8"]

    verdict = volc_check(emulator)

    assert verdict.category == "blocked"
    assert failed_step(verdict).name == "Address policy"
    assert "ENDPOINT_DENY_NETWORKS" in step_named(verdict, TOKEN_STEP).hint
    assert emulator.requests == []


def test_no_credentials_is_invalid_before_any_request(volc):
    cloud, emulator = volc()

    verdict = volc_check(emulator, "", "")

    assert verdict.category == "invalid"
    assert "Access Key ID and Secret Access Key" in verdict.summary
    assert emulator.requests == []


def test_the_docker_login_temporary_user_is_invalid_before_any_request(volc):
    """goharbor/harbor#20349: the console's temporary login user instead of the AK/SK."""
    cloud, emulator = volc()

    verdict = volc_check(emulator, f"acme@{ACCOUNT}", "eyJ0eXAiOiJKV1Qi.temporary")

    assert verdict.category == "invalid"
    assert "temporary docker login" in verdict.summary
    assert emulator.requests == []


def test_a_million_character_host_is_refused_at_once():
    started = time.monotonic()
    verdict = check("https://" + "x-cn-" * 200_000 + "a.cr.volces.com", AK, SK, provider="volcengine-cr")

    assert verdict.category == "invalid"
    assert time.monotonic() - started < 2


# ping_endpoint, as an operator runs it ----------------------------------------------------


def ping(emulator, tmp_path, *args: str, secret: str | None = SK, rules: list[str] | None = None):
    """`manage.py ping_endpoint --provider volcengine-cr …` in a subprocess, with the emulator's
    ENDPOINT_CONNECT_TO rules and CA in its environment and arguments."""
    routes = rules if rules is not None else [f"{h}:443:127.0.0.1:{emulator.port}" for h in emulator.hosts]
    result = cli.ping_endpoint(tmp_path, "volcengine-cr", URL, *args, secret=secret, ca_pem=emulator.ca_pem,
                               ENDPOINT_CONNECT_TO=",".join(routes))
    return result.returncode, result.stdout + result.stderr


def test_ping_endpoint_exits_0_1_1_2_for_healthy_wrong_secret_unreachable_and_invalid(volc, tmp_path):
    cloud, emulator = volc()

    code, out = ping(emulator, tmp_path, "--access-id", AK)
    assert code == 0, out
    assert "Connection tested successfully" in out and "✓ VolcEngine GetAuthorizationToken" in out

    code, out = ping(emulator, tmp_path, "--access-id", AK, secret=WRONG_SK)
    assert code == 1, out
    assert "[auth]" in out and "SignatureDoesNotMatch" in out

    closed = free_port()
    rules = [f"{API_HOST}:443:127.0.0.1:{emulator.port}", f"{HOST}:443:127.0.0.1:{closed}"]
    code, out = ping(emulator, tmp_path, "--access-id", AK, rules=rules)
    assert code == 1, out
    assert "[connect]" in out

    code, out = ping(emulator, tmp_path, "--access-id", "", secret=None)
    assert code == 2, out
    assert "[invalid]" in out
    assert SK not in out and WRONG_SK not in out
