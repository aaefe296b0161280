"""harborreg's own TC3-HMAC-SHA256 signer (Tencent Cloud API 3.0), checked two ways:

- against the worked vectors of harbor-adapters-more.md, Appendix A.3;
- against Tencent's own Python SDK (`tencentcloud-sdk-python-common`, a test-only
  dependency): its public `Sign.sign_tc3` for the signature step, and its full request
  builder `AbstractClient._build_req_inter` (private, so only here) for the whole header set.

Tencent's SDK cannot sign without sending through a public API (only `sign_tc3`, the last two
steps, is public), so the app signs with endpoints/providers/tc3_signing.py.
"""

from __future__ import annotations

import json
import random
import string
import time
from unittest import mock

import pytest
from tencentcloud.common import abstract_client
from tencentcloud.common.abstract_client import AbstractClient
from tencentcloud.common.credential import Credential
from tencentcloud.common.http.request import RequestInternal
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.sign import Sign

from endpoints.providers.tc3_signing import (
    TCR_API_HOST,
    tc3_authorization,
    tc3_headers,
    tc3_signature,
)

SECRET_ID = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"
SECRET_KEY = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"
TIMESTAMP = 1700000000  # 2023-11-14 UTC
DESCRIBE_BODY = b'{"AllRegion": true, "Filters": [{"Name": "RegistryName", "Values": ["myinstance"]}]}'
TOKEN_BODY = b'{"RegistryId": "tcr-abcd1234"}'


# Appendix A.3 --------------------------------------------------------------------------------


def test_the_describe_instances_vector_of_appendix_a3():
    assert len(DESCRIBE_BODY) == 84
    authorization = tc3_authorization(SECRET_ID, SECRET_KEY, host=TCR_API_HOST,
                                      content_type="application/json", body=DESCRIBE_BODY,
                                      timestamp=TIMESTAMP)

    assert authorization == (
        "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2023-11-14/tcr/tc3_request, "
        "SignedHeaders=content-type;host, "
        "Signature=525946908dc65eabb3497cb7f6362892dc4aa6abae98dfa6edea6cf93ef6f105"
    )


def test_the_create_instance_token_vector_of_appendix_a3():
    authorization = tc3_authorization(SECRET_ID, SECRET_KEY, host=TCR_API_HOST,
                                      content_type="application/json", body=TOKEN_BODY, timestamp=TIMESTAMP)

    assert authorization.endswith(
        "Signature=5f5c8bf1b3ccc88675d808ee7c13ff1a0db6775ddc7d0fb01d78f93743d90ca4")


def test_the_string_to_sign_step_of_appendix_a3():
    string_to_sign = ("TC3-HMAC-SHA256\n1700000000\n2023-11-14/tcr/tc3_request\n"
                      "c3801cb80e2bd3049a5f82d201a2ee6cfec120783c1a46f521d99c25e192bc66")

    assert tc3_signature(SECRET_KEY, "2023-11-14", "tcr", string_to_sign) == (
        "525946908dc65eabb3497cb7f6362892dc4aa6abae98dfa6edea6cf93ef6f105")


def test_the_headers_carry_action_version_region_timestamp_and_the_signature():
    headers = tc3_headers(SECRET_ID, SECRET_KEY, action="CreateInstanceToken", region="ap-guangzhou",
                          body=TOKEN_BODY, timestamp=TIMESTAMP)

    assert headers == {
        "Host": TCR_API_HOST,
        "Content-Type": "application/json",
        "X-TC-Action": "CreateInstanceToken",
        "X-TC-Version": "2019-09-24",
        "X-TC-Timestamp": "1700000000",
        "X-TC-Region": "ap-guangzhou",
        "X-TC-Language": "en-US",
        "Authorization": tc3_authorization(SECRET_ID, SECRET_KEY, host=TCR_API_HOST,
                                           content_type="application/json", body=TOKEN_BODY,
                                           timestamp=TIMESTAMP),
    }


def test_the_timestamp_defaults_to_now():
    headers = tc3_headers(SECRET_ID, SECRET_KEY, action="DescribeInstances", region="ap-guangzhou",
                          body=b"{}")

    assert abs(int(headers["X-TC-Timestamp"]) - time.time()) < 5


# Tencent's SDK -------------------------------------------------------------------------------


class TcrSdkClient(AbstractClient):
    """What tencentcloud-sdk-python-tcr's TcrClient sets, on the common package alone."""

    _apiVersion = "2019-09-24"
    _endpoint = TCR_API_HOST
    _service = "tcr"


def sdk_request(action: str, params: dict, timestamp: int, language: str = "en-US",
                secret_key: str = SECRET_KEY) -> RequestInternal:
    client = TcrSdkClient(Credential(SECRET_ID, secret_key), "ap-guangzhou", ClientProfile(language=language))
    request = RequestInternal(TCR_API_HOST, "POST", "/", header={})
    with mock.patch.object(abstract_client.time, "time", return_value=timestamp):
        client._build_req_inter(action, params, request)
    return request


@pytest.mark.parametrize(("action", "params"), [
    ("DescribeInstances",
     {"AllRegion": True, "Filters": [{"Name": "RegistryName", "Values": ["myinstance"]}]}),
    ("CreateInstanceToken", {"RegistryId": "tcr-abcd1234"}),
])
def test_it_signs_exactly_as_tencents_sdk_builds_a_request(action, params):
    sdk = sdk_request(action, params, TIMESTAMP, "en-US")
    body = sdk.data.encode()

    ours = tc3_headers(SECRET_ID, SECRET_KEY, action=action, region="ap-guangzhou", body=body,
                       timestamp=TIMESTAMP)

    theirs = {name: value for name, value in sdk.header.items() if name != "X-TC-RequestClient"}
    assert ours == theirs


def test_it_matches_the_sdks_sign_tc3_on_random_inputs():
    rng = random.Random(13)
    for _ in range(50):
        key = "".join(rng.choices(string.ascii_letters + string.digits, k=32))
        body = json.dumps({"RegistryId": "tcr-" + "".join(rng.choices("0123456789abcdef", k=8))}).encode()
        timestamp = rng.randrange(1_500_000_000, 2_100_000_000)
        authorization = tc3_authorization(SECRET_ID, key, host=TCR_API_HOST, content_type="application/json",
                                          body=body, timestamp=timestamp)
        sdk = sdk_request("CreateInstanceToken", json.loads(body), timestamp, secret_key=key)
        assert sdk.data.encode() == body
        assert authorization == sdk.header["Authorization"]
        scope = authorization.split(f"Credential={SECRET_ID}/", 1)[1].split(",", 1)[0]
        date, service = scope.split("/")[:2]
        assert Sign.sign_tc3(key, date, service, "any text") == tc3_signature(key, date, service, "any text")


def test_a_wrong_key_or_another_body_changes_the_signature():
    def signature(key: str, body: bytes) -> str:
        return tc3_authorization(SECRET_ID, key, host=TCR_API_HOST, content_type="application/json",
                                 body=body, timestamp=TIMESTAMP).rsplit("=", 1)[1]

    assert signature(SECRET_KEY, TOKEN_BODY) != signature(SECRET_KEY + "x", TOKEN_BODY)
    assert signature(SECRET_KEY, TOKEN_BODY) != signature(SECRET_KEY, TOKEN_BODY.replace(b" ", b""))
