"""VolcEngine OpenAPI signing (HMAC-SHA256, "V4"): the app does not sign by itself, it asks
VolcEngine's own `volcenginesdk-core` (`SignerV4.sign`, which signs a header dict without
sending anything). These tests pin what the app gets from it:

- the worked example of harborreg-adapters-more.md, Appendix B.3 (the library reads the
  clock itself, so the test stops its clock at the example's instant);
- an independent stdlib implementation of Appendix B.2 (the one the emulator uses) on
  random inputs, so an update of the library that changed the result would fail here.
"""

from __future__ import annotations

import datetime as real_datetime
import hashlib
import hmac
import json
import random
import string
from unittest import mock

import pytest
from volcenginesdkcore import signv4

from endpoints.providers.volcengine_cr_api import API_HOST, CONTENT_TYPE, QUERY, signed_headers
from tests.fixtures.volcengine_emulator import pct, v4_signing_key

AK = "AKLTEXAMPLEACCESSKEYID0000000000"
SK = "EXAMPLESECRETACCESSKEY000000000000000000000000=="
BODY = b'{"Registry":"mse-test"}'


def at(instant: real_datetime.datetime):
    """The library's clock stopped at `instant` (it calls datetime.datetime.utcnow())."""
    clock = mock.MagicMock(wraps=real_datetime)
    clock.datetime.utcnow.return_value = instant
    return mock.patch.object(signv4, "datetime", clock)


def test_the_worked_example_of_appendix_b3():
    with at(real_datetime.datetime(2024, 4, 24, 7, 39, 26)):
        headers = signed_headers(AK, SK, "cn-beijing", BODY)

    assert headers == {
        "Host": "open.volcengineapi.com",
        "Content-Type": "application/json; charset=utf-8",
        "X-Date": "20240424T073926Z",
        "X-Content-Sha256": "283806aaf2b89d089d605c59ada97c70f40807b8dd209b2c8b12140b8c81b33d",
        "Authorization": (
            "HMAC-SHA256 Credential=AKLTEXAMPLEACCESSKEYID0000000000/20240424/cn-beijing/cr/request, "
            "SignedHeaders=content-type;host;x-content-sha256;x-date, "
            "Signature=e9b3aa3f8d96e1fde4eda289b8f0d504c9980ebfb5c67b8da082aa75126ee856"
        ),
    }


def test_the_request_is_getauthorizationtoken_of_cr_2022_05_12():
    assert API_HOST == "open.volcengineapi.com"
    assert QUERY == {"Action": "GetAuthorizationToken", "Version": "2022-05-12"}
    assert CONTENT_TYPE == "application/json; charset=utf-8"


def reference_authorization(ak: str, sk: str, region: str, body: bytes, x_date: str) -> str:
    """Appendix B.2, written from the description (stdlib only)."""
    body_hash = hashlib.sha256(body).hexdigest()
    headers = {"content-type": CONTENT_TYPE, "host": API_HOST, "x-content-sha256": body_hash,
               "x-date": x_date}
    names = sorted(headers)
    query = "&".join(f"{pct(k)}={pct(v)}" for k, v in sorted(QUERY.items()))
    canonical = "\n".join(["POST", "/", query, "".join(f"{n}:{headers[n]}\n" for n in names), ";".join(names),
                           body_hash])
    scope = f"{x_date[:8]}/{region}/cr/request"
    to_sign = "\n".join(["HMAC-SHA256", x_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = v4_signing_key(sk, x_date[:8], region, "cr")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return f"HMAC-SHA256 Credential={ak}/{scope}, SignedHeaders={';'.join(names)}, Signature={signature}"


@pytest.mark.parametrize("seed", range(20))
def test_the_library_agrees_with_an_independent_implementation(seed):
    rng = random.Random(seed)
    sk = "".join(rng.choices(string.ascii_letters + string.digits + "+/=", k=48))
    region = rng.choice(["cn-beijing", "cn-shanghai", "cn-guangzhou"])
    body = json.dumps({"Registry": "".join(rng.choices(string.ascii_lowercase, k=rng.randrange(3, 30)))},
                      separators=(",", ":")).encode()
    instant = real_datetime.datetime(2026, 1, 1) + real_datetime.timedelta(seconds=rng.randrange(10**8))

    with at(instant):
        headers = signed_headers("AKLTrandom", sk, region, body)

    assert headers["Authorization"] == reference_authorization("AKLTrandom", sk, region, body,
                                                                instant.strftime("%Y%m%dT%H%M%SZ"))


def test_the_secret_never_appears_in_the_headers():
    headers = signed_headers(AK, SK, "cn-beijing", BODY)

    assert all(SK not in value for value in headers.values())
