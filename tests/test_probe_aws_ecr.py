"""AWS ECR Test Connection over real sockets: moto's ECR/IAM API with key validation on,
and an emulated registry at the proxyEndpoint host."""

from __future__ import annotations

import base64
import os
import time

import pytest

from tests.fixtures.ecr_emulator import REGION, ecr_registry, proxy_host, start_moto
from tests.fixtures.local_servers import black_hole
from tests.fixtures.probing import check, failed_step, shown, step_named

API_URL = f"https://api.ecr.{REGION}.amazonaws.com"
TOKEN_STEP = "AWS GetAuthorizationToken"
WRONG_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYwrongSECRET"


@pytest.fixture(scope="session")
def moto_aws():
    aws = start_moto()
    yield aws
    aws.stop()


@pytest.fixture
def aws(moto_aws, monkeypatch, tmp_path):
    """moto behind AWS_ENDPOINT_URL_ECR; no AWS credentials or config from this machine."""
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        monkeypatch.delenv(name)
    (tmp_path / "empty").write_text("")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "empty"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "empty"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ENDPOINT_URL_ECR", moto_aws.url)
    return moto_aws


@pytest.fixture
def registry(aws, emulate):
    """The proxyEndpoint moto returns, served locally; it accepts moto's token only."""
    password = aws.registry_password()
    emulator = emulate([proxy_host()], ecr_registry(password))
    emulator.password = password
    return emulator


def ecr_check(url: str, key_id: str = "", secret: str = "", ca_pem: str = ""):
    return check(url, key_id, secret, ca_pem=ca_pem, provider="aws-ecr")


def assert_nothing_leaks(verdict, *secrets: str) -> None:
    text = shown(verdict)
    for secret in secrets:
        assert secret not in text


def test_it_exchanges_the_keys_for_a_token_and_logs_in_at_the_proxy_endpoint(aws, registry):
    verdict = ecr_check(API_URL, aws.allowed.key_id, aws.allowed.secret, registry.ca_pem)

    assert verdict.ok, verdict.as_json()
    assert verdict.category == "ok"
    token_step = step_named(verdict, TOKEN_STEP)
    assert token_step.ok
    assert f"https://{proxy_host()}" in token_step.detail
    assert aws.allowed.key_id in token_step.detail
    sent = [r.headers.get("authorization") for r in registry.requests]
    assert sent == [None, "Basic " + base64.b64encode(f"AWS:{registry.password}".encode()).decode()]
    assert_nothing_leaks(verdict, aws.allowed.secret, registry.password)


def test_it_asks_for_the_account_in_a_dkr_url(aws, emulate):
    other = "111122223333"
    emulator = emulate([proxy_host(other)], ecr_registry(aws.registry_password(other)))

    verdict = ecr_check(f"https://{proxy_host(other)}", aws.allowed.key_id, aws.allowed.secret,
                        emulator.ca_pem)

    assert verdict.ok, verdict.as_json()
    assert {r.host for r in emulator.requests} == {proxy_host(other)}


def test_it_uses_the_default_credentials_chain_when_access_id_is_empty(aws, registry, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", aws.allowed.key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", aws.allowed.secret)

    verdict = ecr_check(API_URL, ca_pem=registry.ca_pem)

    assert verdict.ok, verdict.as_json()
    assert "from AWS_ACCESS_KEY_ID" in step_named(verdict, TOKEN_STEP).detail
    assert_nothing_leaks(verdict, aws.allowed.secret, registry.password)


def test_an_unknown_key_id_is_auth_naming_the_key_id(aws, registry):
    verdict = ecr_check(API_URL, "AKIAIOSFODNN7EXAMPLE", WRONG_SECRET, registry.ca_pem)

    assert verdict.category == "auth"
    step = failed_step(verdict)
    assert step.name == TOKEN_STEP
    assert "InvalidClientTokenId" in step.detail and "access key ID does not exist" in step.detail
    assert "access key ID" in step.hint
    assert registry.requests == []
    assert_nothing_leaks(verdict, WRONG_SECRET)


def test_a_wrong_secret_is_auth_naming_the_secret_access_key(aws, registry):
    verdict = ecr_check(API_URL, aws.allowed.key_id, WRONG_SECRET, registry.ca_pem)

    assert verdict.category == "auth"
    step = failed_step(verdict)
    assert step.name == TOKEN_STEP
    assert "SignatureDoesNotMatch" in step.detail
    assert "secret access key" in step.hint
    assert_nothing_leaks(verdict, WRONG_SECRET, aws.allowed.secret)


def test_a_key_without_permission_is_auth_naming_the_permission(aws, registry):
    verdict = ecr_check(API_URL, aws.bare.key_id, aws.bare.secret, registry.ca_pem)

    assert verdict.category == "auth"
    step = failed_step(verdict)
    assert step.name == TOKEN_STEP
    assert "AccessDenied" in step.detail and "user/bare" in step.detail
    assert "ecr:GetAuthorizationToken" in step.hint
    assert_nothing_leaks(verdict, aws.bare.secret)


def test_no_access_id_and_no_default_credentials_is_auth_naming_where_to_put_them(aws, registry):
    verdict = ecr_check(API_URL, ca_pem=registry.ca_pem)

    assert verdict.category == "auth"
    step = failed_step(verdict)
    assert step.name == TOKEN_STEP
    assert "default AWS credentials chain" in step.detail
    assert "instance role" in step.hint and "AWS_ACCESS_KEY_ID" in step.hint
    assert registry.requests == []


def test_a_registry_refusing_the_token_is_auth_at_the_proxy_endpoint(aws, emulate):
    emulator = emulate([proxy_host()], ecr_registry("not-the-token-moto-issued"))

    verdict = ecr_check(API_URL, aws.allowed.key_id, aws.allowed.secret, emulator.ca_pem)

    assert verdict.category == "auth"
    step = failed_step(verdict)
    assert step.name == f"GET https://{proxy_host()}/v2/ (authenticated)"
    assert "refused the token AWS issued" in step.hint and aws.allowed.key_id in step.hint
    assert step_named(verdict, TOKEN_STEP).ok
    assert_nothing_leaks(verdict, aws.allowed.secret, aws.registry_password())


def test_an_ecr_api_that_refuses_connections_is_connect(aws, registry, monkeypatch, serve_raw):
    closed = serve_raw(black_hole)
    closed.stop()  # the port is now closed
    monkeypatch.setenv("AWS_ENDPOINT_URL_ECR", f"http://127.0.0.1:{closed.port}")

    verdict = ecr_check(API_URL, aws.allowed.key_id, aws.allowed.secret, registry.ca_pem)

    assert verdict.category == "connect"
    step = failed_step(verdict)
    assert step.name == TOKEN_STEP
    assert "127.0.0.1 (127.0.0.1)" in step.detail
    assert "AWS_ENDPOINT_URL_ECR" in step.hint


def test_a_silent_ecr_api_is_one_attempt_bounded_by_the_read_timeout(aws, monkeypatch, serve_raw,
                                                                      settings):
    settings.ENDPOINT_READ_TIMEOUT = 0.5
    silent = serve_raw(black_hole)
    monkeypatch.setenv("AWS_ENDPOINT_URL_ECR", silent.url)

    started = time.monotonic()
    verdict = ecr_check(API_URL, aws.allowed.key_id, aws.allowed.secret)

    assert time.monotonic() - started < 2.0
    assert verdict.category == "timeout"
    assert failed_step(verdict).name == TOKEN_STEP
    assert "ENDPOINT_READ_TIMEOUT" in failed_step(verdict).hint
    assert silent.accepted == 1  # no retry


def test_the_address_policy_applies_to_the_ecr_api_before_boto3_connects(aws, monkeypatch, settings,
                                                                         serve_http):
    api = serve_http(lambda request: request.reply(500))
    monkeypatch.setenv("AWS_ENDPOINT_URL_ECR", api.url)
    settings.ENDPOINT_DENY_NETWORKS = [*settings.ENDPOINT_DENY_NETWORKS, "127.0.0.0/8"]

    verdict = ecr_check(API_URL, aws.allowed.key_id, aws.allowed.secret)

    assert verdict.category == "blocked"
    step = failed_step(verdict)
    assert step.name == TOKEN_STEP
    assert "ENDPOINT_DENY_NETWORKS" in step.hint
    assert api.seen == []
