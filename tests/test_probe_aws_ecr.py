"""AWS ECR Test Connection over real sockets: moto's ECR/IAM API with key validation on,
and an emulated registry at the proxyEndpoint host."""

from __future__ import annotations

import base64
import os
import time

import pytest

from tests.fixtures.ecr_emulator import (
    REGION,
    aws_json_error,
    ecr_api,
    ecr_registry,
    proxy_host,
    relay_to,
    start_moto,
)
from tests.fixtures.local_servers import black_hole
from tests.fixtures.probing import check, failed_step, shown, step_named

API_HOST = f"api.ecr.{REGION}.amazonaws.com"
API_URL = f"https://{API_HOST}"
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
    assert "InvalidClientTokenId" in verdict.summary and "access key ID does not exist" in verdict.summary
    assert "access key ID" in step.hint
    assert registry.requests == []
    assert_nothing_leaks(verdict, WRONG_SECRET)


def test_a_wrong_secret_is_auth_naming_the_secret_access_key(aws, registry):
    verdict = ecr_check(API_URL, aws.allowed.key_id, WRONG_SECRET, registry.ca_pem)

    assert verdict.category == "auth"
    step = failed_step(verdict)
    assert step.name == TOKEN_STEP
    assert "SignatureDoesNotMatch" in verdict.summary
    assert "secret access key" in step.hint
    assert_nothing_leaks(verdict, WRONG_SECRET, aws.allowed.secret)


def test_a_key_without_permission_is_auth_naming_the_permission(aws, registry):
    verdict = ecr_check(API_URL, aws.bare.key_id, aws.bare.secret, registry.ca_pem)

    assert verdict.category == "auth"
    step = failed_step(verdict)
    assert step.name == TOKEN_STEP
    assert "AccessDenied" in verdict.summary and "user/bare" in verdict.summary
    assert "ecr:GetAuthorizationToken" in step.hint
    assert_nothing_leaks(verdict, aws.bare.secret)


def test_no_access_id_and_no_default_credentials_is_auth_naming_where_to_put_them(aws, registry):
    verdict = ecr_check(API_URL, ca_pem=registry.ca_pem)

    assert verdict.category == "auth"
    step = failed_step(verdict)
    assert step.name == TOKEN_STEP
    assert "default AWS credentials chain" in verdict.summary
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
    assert failed_step(verdict).name == "TCP connect"
    step = step_named(verdict, TOKEN_STEP)
    assert not step.ok
    assert f"The ECR API at 127.0.0.1:{closed.port} (from AWS_ENDPOINT_URL_ECR)" in verdict.summary
    assert "was refused" in verdict.summary
    assert step.hint.startswith(
        f"AWS_ENDPOINT_URL_ECR (a server setting) sends the ECR API calls to http://127.0.0.1:{closed.port}")
    assert failed_step(verdict).hint == step.hint  # not advice about Endpoint URL
    assert registry.requests == []


def test_a_silent_ecr_api_is_one_attempt_bounded_by_the_read_timeout(aws, monkeypatch, serve_raw,
                                                                      settings):
    settings.ENDPOINT_READ_TIMEOUT = 0.5
    silent = serve_raw(black_hole)
    monkeypatch.setenv("AWS_ENDPOINT_URL_ECR", silent.url)

    started = time.monotonic()
    verdict = ecr_check(API_URL, aws.allowed.key_id, aws.allowed.secret)

    assert time.monotonic() - started < 2.0
    assert verdict.category == "timeout"
    step = failed_step(verdict)
    assert step.name == TOKEN_STEP
    assert "ENDPOINT_READ_TIMEOUT" in verdict.summary and "ENDPOINT_READ_TIMEOUT" in step.hint
    assert silent.accepted == 1  # the TCP connect step's connection, used by the one request: no retry


def test_a_black_hole_ecr_api_answers_within_the_test_deadline(aws, monkeypatch, serve_raw, settings):
    settings.ENDPOINT_TEST_DEADLINE = 1
    settings.ENDPOINT_READ_TIMEOUT = 10
    silent = serve_raw(black_hole)
    monkeypatch.setenv("AWS_ENDPOINT_URL_ECR", silent.url)

    started = time.monotonic()
    verdict = ecr_check(API_URL, aws.allowed.key_id, aws.allowed.secret)

    assert time.monotonic() - started < 1 + 0.5
    assert verdict.category == "timeout"
    step = failed_step(verdict)
    assert step.name == TOKEN_STEP
    assert "ENDPOINT_TEST_DEADLINE" in verdict.summary and "ENDPOINT_TEST_DEADLINE" in step.hint


def test_the_address_policy_applies_to_the_ecr_api_before_anything_connects(aws, monkeypatch, settings,
                                                                           serve_http):
    api = serve_http(lambda request: request.reply(500))
    monkeypatch.setenv("AWS_ENDPOINT_URL_ECR", api.url)
    settings.ENDPOINT_DENY_NETWORKS = [*settings.ENDPOINT_DENY_NETWORKS, "127.0.0.0/8"]

    verdict = ecr_check(API_URL, aws.allowed.key_id, aws.allowed.secret)

    assert verdict.category == "blocked"
    assert failed_step(verdict).name == "Address policy"
    step = step_named(verdict, TOKEN_STEP)
    assert not step.ok and "127.0.0.0/8" in verdict.summary
    assert "ENDPOINT_DENY_NETWORKS" in step.hint and "AWS_ENDPOINT_URL_ECR" in step.hint
    assert api.seen == []


def test_the_ecr_api_goes_through_endpoint_connect_to_and_the_endpoint_ca(aws, emulate, monkeypatch):
    """No AWS_ENDPOINT_URL_ECR: the request goes to AWS's own host name, which
    ENDPOINT_CONNECT_TO sends to a TLS stand-in (certified by the endpoint's CA Certificate)
    that relays it to moto; moto checks the signature made for that host name."""
    monkeypatch.delenv("AWS_ENDPOINT_URL_ECR")
    api = emulate([API_HOST], relay_to(aws.url))
    password = aws.registry_password()
    registry = emulate([proxy_host()], ecr_registry(password))

    verdict = ecr_check(API_URL, aws.allowed.key_id, aws.allowed.secret, registry.ca_pem)

    assert verdict.ok, verdict.as_json()
    assert step_named(verdict, TOKEN_STEP).detail.startswith(f"{API_HOST} issued a token")
    tls_steps = [s.detail for s in verdict.steps if s.name == "TLS"]
    assert "verified by the endpoint's CA Certificate" in tls_steps[0]
    [call] = api.requests
    assert (call.method, call.host, call.path, call.json()) == ("POST", API_HOST, "/", {})
    assert call.headers["x-amz-target"] == "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken"
    assert call.headers["content-type"] == "application/x-amz-json-1.1"
    assert call.headers["authorization"].startswith(
        f"AWS4-HMAC-SHA256 Credential={aws.allowed.key_id}/"
    ) and f"/{REGION}/ecr/aws4_request" in call.headers["authorization"]
    assert_nothing_leaks(verdict, aws.allowed.secret, password)


@pytest.mark.parametrize(("registry_host", "api_host", "region"), [
    ("111122223333.dkr.ecr.eu-west-1.amazonaws.com", "api.ecr.eu-west-1.amazonaws.com", "eu-west-1"),
    ("111122223333.dkr.ecr.cn-north-1.amazonaws.com.cn", "api.ecr.cn-north-1.amazonaws.com.cn", "cn-north-1"),
    ("111122223333.dkr.ecr-fips.us-east-2.amazonaws.com", "ecr-fips.us-east-2.amazonaws.com", "us-east-2"),
])
def test_it_asks_the_regional_ecr_api_for_the_account_of_a_dkr_url(aws, emulate, monkeypatch,
                                                                   registry_host, api_host, region):
    monkeypatch.delenv("AWS_ENDPOINT_URL_ECR")
    registry = emulate([registry_host], ecr_registry("regional-password"))
    api = emulate([api_host], ecr_api("regional-password", f"https://{registry_host}"))

    verdict = ecr_check(f"https://{registry_host}", aws.allowed.key_id, aws.allowed.secret, registry.ca_pem)

    assert verdict.ok, verdict.as_json()
    [call] = api.requests
    assert (call.host, call.json()) == (api_host, {"registryIds": ["111122223333"]})
    assert f"/{region}/ecr/aws4_request" in call.headers["authorization"]
    assert_nothing_leaks(verdict, "regional-password")


def test_an_ecr_api_certificate_from_an_unknown_ca_is_tls_naming_the_ca_certificate(aws, emulate,
                                                                                    monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL_ECR")
    api = emulate([API_HOST], relay_to(aws.url))

    verdict = ecr_check(API_URL, aws.allowed.key_id, aws.allowed.secret)  # no CA Certificate

    assert verdict.category == "tls"
    assert failed_step(verdict).name == "TLS"
    step = step_named(verdict, TOKEN_STEP)
    assert not step.ok and f"between this server and {API_HOST}" in step.hint
    assert "CA Certificate" in step.hint
    assert api.requests == []


def test_endpoint_connect_to_cannot_route_the_ecr_api_around_the_deny_list(aws, emulate, settings,
                                                                          monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL_ECR")
    api = emulate([API_HOST], relay_to(aws.url))
    settings.ENDPOINT_DENY_NETWORKS = [*settings.ENDPOINT_DENY_NETWORKS, "127.0.0.0/8"]

    verdict = ecr_check(API_URL, aws.allowed.key_id, aws.allowed.secret, api.ca_pem)

    assert verdict.category == "blocked"
    assert failed_step(verdict).name == "Address policy"
    assert not step_named(verdict, TOKEN_STEP).ok
    assert f"The ECR API at {API_HOST} is not reachable" in verdict.summary
    assert api.requests == []


@pytest.mark.parametrize(("code", "category", "words"), [
    ("UnrecognizedClientException", "auth", "access key ID does not exist"),
    ("InvalidSignatureException", "auth", "secret access key does not match"),
    ("AccessDeniedException", "auth", "User: arn:aws:iam::123456789012:user/bare is not authorized"),
    ("ThrottlingException", "rate_limited", "ThrottlingException"),
    ("ServerException", "provider", "GetAuthorizationToken failed with ServerException"),
])
def test_aws_json_errors_mean_what_moto_xml_errors_mean(aws, emulate, monkeypatch, code, category, words):
    monkeypatch.delenv("AWS_ENDPOINT_URL_ECR")
    message = "User: arn:aws:iam::123456789012:user/bare is not authorized to perform this"
    api = emulate([API_HOST], aws_json_error(400, code, message))

    verdict = ecr_check(API_URL, aws.allowed.key_id, aws.allowed.secret, api.ca_pem)

    assert verdict.category == category
    step = failed_step(verdict)
    assert step.name == TOKEN_STEP and words in verdict.summary
    assert_nothing_leaks(verdict, aws.allowed.secret)


def test_an_endless_ecr_api_answer_is_cut_at_the_body_cap(aws, monkeypatch, serve_http):
    api = serve_http(lambda request: request.reply(200, b"{" + b" " * (1024 * 1024) + b"}",
                                                   {"Content-Type": "application/x-amz-json-1.1"}))
    monkeypatch.setenv("AWS_ENDPOINT_URL_ECR", api.url)

    verdict = ecr_check(API_URL, aws.allowed.key_id, aws.allowed.secret)

    assert verdict.category == "provider"
    step = failed_step(verdict)
    assert step.name == TOKEN_STEP
    assert "AWS_ENDPOINT_URL_ECR" in step.hint
