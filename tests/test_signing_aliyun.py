"""The hand-written Alibaba Cloud signer (endpoints/providers/aliyun_signing.py) against
Alibaba's own Python SDK core (`aliyun-python-sdk-core`, a test-only dependency): its ROA and
RPC signature composers build the same signatures for the same requests.

The SDK core is not used by the app: it ships its own old copies of requests (2.18) and
urllib3 (1.24) under aliyunsdkcore.vendored, which no dependency audit sees; Alibaba's newer
`alibabacloud-openapi-util` pulls `alibabacloud-tea`, which installs requests and aiohttp. Sixty
lines of stdlib, pinned by Alibaba's documented example (tests/test_probe_ali_acr.py) and by
this comparison, are the smaller risk.
"""

from __future__ import annotations

from unittest import mock
from urllib.parse import parse_qsl, urlsplit

import pytest
from aliyunsdkcore.auth.composer import roa_signature_composer, rpc_signature_composer
from aliyunsdkcore.utils import parameter_helper

from endpoints.providers.aliyun_signing import roa_headers, rpc_query, rpc_signature

KEY_ID, SECRET = "LTAI5tCrossCheck", "hT9qLr2WxYvZp8sNcK4mJd6fGaE1bU"
DATE = "Thu, 26 Nov 2026 10:00:00 GMT"


@pytest.mark.parametrize("params", [
    {"Action": "GetAuthorizationToken", "InstanceId": "cri-abc123xyz", "Version": "2018-12-01"},
    {"Action": "DescribeRegions", "Note": "a b*c~d/é+&=%", "Version": "2014-05-26"},
])
def test_rpc_signatures_match_the_sdk(params):
    path, _ = rpc_signature_composer.get_signed_url(dict(params), KEY_ID, SECRET, "JSON", "GET", {})
    signed = dict(parse_qsl(urlsplit(path).query, keep_blank_values=True))
    sdk_signature = signed.pop("Signature")

    assert rpc_signature("GET", signed, SECRET) == sdk_signature


def test_an_rpc_query_of_ours_carries_the_signature_the_sdk_computes_for_it():
    query = rpc_query("GET", {"Action": "GetAuthorizationToken", "InstanceId": "cri-x"}, KEY_ID, SECRET,
                      version="2018-12-01")
    params = dict(parse_qsl(query))
    ours = params.pop("Signature")
    # The SDK's own canonicalization and HMAC, applied to exactly the parameters we sent.
    compose = getattr(rpc_signature_composer, "__compose_string_to_sign")
    sign = getattr(rpc_signature_composer, "__get_signature")

    assert sign(compose("GET", params), SECRET) == ours
    assert {"Format": "JSON", "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0",
            "AccessKeyId": KEY_ID}.items() <= params.items()


def test_roa_headers_match_the_sdk():
    ours = roa_headers("GET", "/tokens", KEY_ID, SECRET, version="2016-06-07", date=DATE, nonce="n1")
    with mock.patch.object(parameter_helper, "get_rfc_2616_date", return_value=DATE):
        sdk, _ = roa_signature_composer.get_signature_headers(
            {}, KEY_ID, SECRET, "JSON", {"x-acs-version": "2016-06-07", "x-acs-signature-nonce": "n1"},
            "/tokens", None, "GET")

    assert ours["Authorization"] == sdk["Authorization"]
    assert {k.lower(): v for k, v in ours.items()} == {k.lower(): v for k, v in sdk.items()}
