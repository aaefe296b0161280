"""Tencent TCR Test Connection over real sockets: an emulated TCR (the TC3-checking API at
tcr.tencentcloudapi.com and a Harbor-style registry per instance), reached through
ENDPOINT_CONNECT_TO, from the check and from `manage.py ping_endpoint`."""

from __future__ import annotations

import base64
import json
import time

import pytest

from tests.fixtures import cli
from tests.fixtures.probing import check, failed_step, shown, step_named
from tests.fixtures.registry_servers import free_port
from tests.fixtures.tcr_emulator import API_HOST, ApiKey, Instance, TcrCloud
from tests.test_probe_wording import assert_reads_well

ACCOUNT, OTHER_ACCOUNT = "100012345678", "200098765432"
SECRET_ID = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3HARBORREG"
SECRET_KEY = "Gu5t9xGARNpq86cd98joQYCN3hrbrreg"
WRONG_KEY = "Gu5t9xGARNpq86cd98joQYCN3hrbrreX"
INTL_KEY = ("IKIDq9ZxAbCdEfGhIjKlMnOpQrStUvWxYz01", "intlSecretKeyForHarborregTests00")
NO_PERMISSION_KEY = ("AKIDnoPermissionHarborregTest0000001", "noPermissionSecretKeyHarborreg00")
OTHER_ACCOUNT_KEY = ("AKIDotherAccountHarborregTest0000002", "otherAccountSecretKeyHarborreg00")
URL = "https://acme.tencentcloudcr.com"
FIND_STEP, TOKEN_STEP = "TCR DescribeInstances", "TCR CreateInstanceToken"


@pytest.fixture
def tcr(emulate):
    """start(**TcrCloud fields) → (cloud, emulator). acme-dev (ap-shanghai) is listed before
    acme (ap-guangzhou): a prefix filter answers both for "acme"."""

    def start(instances: list[Instance] | None = None, hosts: list[str] | None = None, **fields):
        keys = {
            SECRET_ID: ApiKey(SECRET_KEY, ACCOUNT),
            INTL_KEY[0]: ApiKey(INTL_KEY[1], ACCOUNT),
            NO_PERMISSION_KEY[0]: ApiKey(NO_PERMISSION_KEY[1], ACCOUNT, allowed=False),
            OTHER_ACCOUNT_KEY[0]: ApiKey(OTHER_ACCOUNT_KEY[1], OTHER_ACCOUNT),
        }
        if instances is None:
            instances = [Instance("acme-dev", "ap-shanghai", ACCOUNT),
                         Instance("acme", "ap-guangzhou", ACCOUNT)]
        cloud = TcrCloud(keys=keys, instances=instances, **fields)
        return cloud, emulate(hosts or cloud.hosts, cloud.handle)

    return start


def tcr_check(emulator, secret_id: str = SECRET_ID, secret_key: str = SECRET_KEY, url: str = URL):
    return check(url, secret_id, secret_key, ca_pem=emulator.ca_pem, provider="tencent-tcr")


def assert_nothing_leaks(verdict, cloud: TcrCloud, *secrets: str) -> None:
    text = shown(verdict)
    for secret in [*secrets, *cloud.issued.values(), *cloud.bearer_tokens]:
        assert secret not in text
        assert base64.b64encode(secret.encode()).decode() not in text



def test_it_finds_the_instance_by_name_gets_a_token_and_logs_in(tcr):
    cloud, emulator = tcr()

    verdict = tcr_check(emulator)

    assert verdict.ok, verdict.as_json()
    assert verdict.category == "ok"
    acme = cloud.instances[1]
    assert f"acme ({acme.registry_id}) in ap-guangzhou" in step_named(verdict, FIND_STEP).detail
    assert "valid until" in step_named(verdict, TOKEN_STEP).detail
    assert cloud.api_calls == ["DescribeInstances ok", "CreateInstanceToken ok"]
    describe, token = emulator.to(API_HOST)
    assert json.loads(describe.body) == {"AllRegion": True,
                                         "Filters": [{"Name": "RegistryName", "Values": ["acme"]}]}
    assert describe.headers["x-tc-region"] == "ap-guangzhou"  # bootstrap region: AllRegion looks everywhere
    # Not acme-dev, which the prefix filter listed first: the instance whose name is the host's.
    assert json.loads(token.body) == {"RegistryId": acme.registry_id}
    assert token.headers["x-tc-region"] == "ap-guangzhou"
    assert token.headers["x-tc-language"] == "en-US"
    [(key, issued)] = cloud.issued.items()
    realm = [r.headers.get("authorization") for r in emulator.to(acme.host) if r.path == "/service/token"]
    assert realm == ["Basic " + base64.b64encode(f"{ACCOUNT}:{issued}".encode()).decode()]
    assert verdict.summary == f"Authenticated as {ACCOUNT} via token service https://acme.tencentcloudcr.com/service/token."
    assert_reads_well(verdict)
    assert_nothing_leaks(verdict, cloud, SECRET_KEY)


def test_an_international_secret_id_works_the_same_way(tcr):
    cloud, emulator = tcr()

    verdict = tcr_check(emulator, *INTL_KEY)

    assert verdict.ok, verdict.as_json()
    assert_nothing_leaks(verdict, cloud, INTL_KEY[1])


def test_a_wrong_secret_key_is_auth_naming_the_secret_key(tcr):
    cloud, emulator = tcr()

    verdict = tcr_check(emulator, secret_key=WRONG_KEY)

    assert verdict.category == "auth"
    step = failed_step(verdict)
    assert step.name == FIND_STEP
    assert "AuthFailure.SignatureFailure" in verdict.summary and SECRET_ID in verdict.summary
    assert "SecretKey" in step.hint
    assert cloud.api_calls == ["DescribeInstances AuthFailure.SignatureFailure"]
    assert emulator.to("acme.tencentcloudcr.com") == []
    assert_reads_well(verdict)
    assert_nothing_leaks(verdict, cloud, WRONG_KEY, SECRET_KEY)


def test_an_unknown_secret_id_is_auth_naming_the_secret_id(tcr):
    cloud, emulator = tcr()

    verdict = tcr_check(emulator, "AKIDunknownHarborregTest000000000009", SECRET_KEY)

    assert verdict.category == "auth"
    step = failed_step(verdict)
    assert step.name == FIND_STEP
    assert "AuthFailure.SecretIdNotFound" in verdict.summary
    assert "AKIDunknownHarborregTest000000000009" in verdict.summary
    assert "SecretId" in step.hint and "API Keys" in step.hint
    assert_nothing_leaks(verdict, cloud, SECRET_KEY)


def test_a_key_without_permission_is_auth_naming_the_cam_permissions(tcr):
    cloud, emulator = tcr()

    verdict = tcr_check(emulator, *NO_PERMISSION_KEY)

    assert verdict.category == "auth"
    step = failed_step(verdict)
    assert step.name == FIND_STEP
    assert "AuthFailure.UnauthorizedOperation" in verdict.summary
    assert "tcr:DescribeInstances" in step.hint and "tcr:CreateInstanceToken" in step.hint
    assert_nothing_leaks(verdict, cloud, NO_PERMISSION_KEY[1])


def test_a_key_of_another_account_finds_no_instance_and_is_auth(tcr):
    cloud, emulator = tcr()

    verdict = tcr_check(emulator, *OTHER_ACCOUNT_KEY)

    assert verdict.category == "auth"
    step = failed_step(verdict)
    assert step.name == FIND_STEP
    assert "found no TCR instance named acme" in verdict.summary
    assert "account that owns acme.tencentcloudcr.com" in step.hint
    assert cloud.api_calls == ["DescribeInstances ok"]


def test_only_prefix_similar_instances_are_not_the_instance(tcr):
    cloud, emulator = tcr(instances=[Instance("acme-dev", "ap-shanghai", ACCOUNT),
                                     Instance("acme", "ap-guangzhou", OTHER_ACCOUNT)])

    verdict = tcr_check(emulator)

    assert verdict.category == "auth"
    assert "found no TCR instance named acme" in verdict.summary
    assert "acme-dev" in verdict.summary  # what the filter did return, so the admin sees the near miss
    assert cloud.api_calls == ["DescribeInstances ok"]


def test_a_clock_off_by_more_than_five_minutes_is_provider_naming_the_clock(tcr):
    cloud, emulator = tcr(clock_offset_s=400)

    verdict = tcr_check(emulator)

    assert verdict.category == "provider"
    step = failed_step(verdict)
    assert step.name == FIND_STEP
    assert "AuthFailure.SignatureExpire" in verdict.summary
    assert "clock" in step.hint and "NTP" in step.hint
    assert_reads_well(verdict)


def test_a_clock_within_the_window_is_accepted(tcr):
    cloud, emulator = tcr(clock_offset_s=-200)

    assert tcr_check(emulator).ok


def test_throttling_is_rate_limited(tcr):
    cloud, emulator = tcr(throttled=True)

    verdict = tcr_check(emulator)

    assert verdict.category == "rate_limited"
    assert "RequestLimitExceeded" in verdict.summary
    assert "test again" in failed_step(verdict).hint


def test_an_instance_that_is_not_running_is_a_warning(tcr):
    cloud, emulator = tcr(instances=[Instance("acme", "ap-guangzhou", ACCOUNT, status="Isolated")])

    verdict = tcr_check(emulator)

    assert verdict.ok, verdict.as_json()
    assert any("Isolated" in warning for warning in verdict.warnings)


def test_a_registry_refusing_the_temporary_token_is_auth_naming_the_secret_id(tcr):
    cloud, emulator = tcr()
    issue = cloud.create_instance_token

    def issue_then_forget(*args):  # the token service will not know the pair the API issued
        reply = issue(*args)
        cloud.issued.clear()
        return reply

    cloud.create_instance_token = issue_then_forget

    verdict = tcr_check(emulator)

    assert verdict.category == "auth"
    step = failed_step(verdict)
    assert step.name == "Token from https://acme.tencentcloudcr.com/service/token"
    assert "temporary token" in step.hint and SECRET_ID in step.hint
    assert step_named(verdict, TOKEN_STEP).ok


def test_an_unreachable_tcr_api_is_connect_naming_the_api(tcr, settings):
    port = free_port()
    cloud, emulator = tcr(hosts=["acme.tencentcloudcr.com"])
    settings.ENDPOINT_CONNECT_TO = [f"{API_HOST}:443:127.0.0.1:{port}", *settings.ENDPOINT_CONNECT_TO]

    verdict = tcr_check(emulator)

    assert verdict.category == "connect"
    assert failed_step(verdict).name == "TCP connect"
    step = step_named(verdict, FIND_STEP)
    assert not step.ok
    assert verdict.summary.startswith(f"The TCR API at {API_HOST} is not reachable from here")
    assert API_HOST in step.hint and "server settings" in step.hint
    assert emulator.requests == []
    assert_reads_well(verdict)


def test_an_unreachable_registry_is_connect_after_the_api_steps(tcr, settings):
    port = free_port()
    cloud, emulator = tcr(hosts=[API_HOST])
    settings.ENDPOINT_CONNECT_TO = [f"acme.tencentcloudcr.com:443:127.0.0.1:{port}",
                                    *settings.ENDPOINT_CONNECT_TO]

    verdict = tcr_check(emulator)

    assert verdict.category == "connect"
    assert failed_step(verdict).name == "TCP connect"
    assert step_named(verdict, TOKEN_STEP).ok
    assert [step.name for step in verdict.steps][-2:] == ["Address policy", "TCP connect"]  # the registry's


def test_the_address_policy_applies_to_the_tcr_api(tcr, settings):
    cloud, emulator = tcr()
    settings.ENDPOINT_DENY_NETWORKS = [*settings.ENDPOINT_DENY_NETWORKS, "127.0.0.0/8"]

    verdict = tcr_check(emulator)

    assert verdict.category == "blocked"
    assert failed_step(verdict).name == "Address policy"
    assert not step_named(verdict, FIND_STEP).ok
    assert "ENDPOINT_DENY_NETWORKS" in step_named(verdict, FIND_STEP).hint
    assert emulator.requests == []


def test_no_credentials_is_invalid_before_any_request(tcr):
    cloud, emulator = tcr()

    verdict = tcr_check(emulator, "", "")

    assert verdict.category == "invalid"
    assert failed_step(verdict).name == "Check input"
    assert "SecretId and SecretKey" in verdict.summary
    assert emulator.requests == []


def test_a_docker_login_user_is_invalid_before_any_request(tcr):
    cloud, emulator = tcr()

    verdict = tcr_check(emulator, ACCOUNT, "docker-login-password")

    assert verdict.category == "invalid"
    assert "not the docker login user" in verdict.summary
    assert emulator.requests == []


def test_a_million_character_host_is_refused_at_once():
    started = time.monotonic()
    verdict = check("https://" + "a-" * 500_000 + "x.tencentcloudcr.com", SECRET_ID, SECRET_KEY,
                    provider="tencent-tcr")

    assert verdict.category == "invalid"
    assert time.monotonic() - started < 2


# ping_endpoint, as an operator runs it ----------------------------------------------------


def ping(emulator, tmp_path, *args: str, secret: str | None = SECRET_KEY, rules: list[str] | None = None):
    """`manage.py ping_endpoint --provider tencent-tcr …` in a subprocess, with the emulator's
    ENDPOINT_CONNECT_TO rules and CA in its environment and arguments."""
    routes = rules if rules is not None else [f"{h}:443:127.0.0.1:{emulator.port}" for h in emulator.hosts]
    result = cli.ping_endpoint(tmp_path, "tencent-tcr", URL, *args, secret=secret, ca_pem=emulator.ca_pem,
                               ENDPOINT_CONNECT_TO=",".join(routes))
    return result.returncode, result.stdout + result.stderr


def test_ping_endpoint_exits_0_1_1_2_for_healthy_wrong_secret_unreachable_and_invalid(tcr, tmp_path):
    cloud, emulator = tcr()

    code, out = ping(emulator, tmp_path, "--access-id", SECRET_ID)
    assert code == 0, out
    assert "Connection tested successfully" in out and "✓ TCR CreateInstanceToken" in out

    code, out = ping(emulator, tmp_path, "--access-id", SECRET_ID, secret=WRONG_KEY)
    assert code == 1, out
    assert "[auth]" in out and "AuthFailure.SignatureFailure" in out

    closed = free_port()
    rules = [f"{API_HOST}:443:127.0.0.1:{emulator.port}", f"acme.tencentcloudcr.com:443:127.0.0.1:{closed}"]
    code, out = ping(emulator, tmp_path, "--access-id", SECRET_ID, rules=rules)
    assert code == 1, out
    assert "[connect]" in out

    code, out = ping(emulator, tmp_path, "--access-id", "", secret=None)
    assert code == 2, out
    assert "[invalid]" in out
    assert SECRET_KEY not in out and WRONG_KEY not in out
