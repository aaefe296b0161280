"""Huawei SWR Test Connection over real sockets: a real /v2/ check against an emulated SWR
region (Harbor's SWR check sends nothing at all)."""

from __future__ import annotations

import pytest

from tests.fixtures.probing import check, failed_step, shown
from tests.fixtures.swr_emulator import TOKEN_PATH, SwrRegion

AK = "HPUAEXAMPLEAK7Q2M4ZX"
SK = "wP3nQ8rT5vX2yZ7aB4cD9eF6gH1jK0mN3pR5sT8u"
URL = "https://swr.cn-north-4.myhuaweicloud.com"


@pytest.fixture
def swr(emulate):
    """start(scheme="bearer"|"basic") → (region, emulator)."""

    def start(scheme: str = "bearer"):
        region = SwrRegion(AK, SK, scheme=scheme)
        return region, emulate([region.host], region.handle)

    return start


def swr_check(emulator, user: str = "", key: str = ""):
    return check(URL, user, key, ca_pem=emulator.ca_pem, provider="huawei-SWR")


def assert_nothing_leaks(verdict, region: SwrRegion, *secrets: str) -> None:
    text = shown(verdict)
    for secret in [*secrets, region.login_key, *region.tokens]:
        assert secret not in text


@pytest.mark.parametrize("scheme", ["bearer", "basic"])
def test_it_logs_in_with_the_login_user_and_key(swr, scheme):
    region, emulator = swr(scheme)

    verdict = swr_check(emulator, region.login_user, region.login_key)

    assert verdict.ok, verdict.as_json()
    assert verdict.category == "ok"
    assert verdict.steps[-1].name == f"GET {URL}/v2/ (authenticated)"
    assert region.login_user in verdict.summary
    paths = [r.path for r in emulator.requests]
    assert paths == (["/v2/", TOKEN_PATH, "/v2/"] if scheme == "bearer" else ["/v2/", "/v2/"])
    assert_nothing_leaks(verdict, region)


def test_the_sk_instead_of_the_login_key_is_auth_explaining_the_login_key(swr):
    region, emulator = swr()

    verdict = swr_check(emulator, region.login_user, SK)

    assert verdict.category == "auth"
    step = failed_step(verdict)
    assert step.name == f"Token from {URL}{TOKEN_PATH}"
    assert "<region>@<AK>" in step.hint
    assert "login key generated from the AK/SK" in step.hint and "not the SK itself" in step.hint
    assert "<region>@<AK>" in verdict.reason
    assert_nothing_leaks(verdict, region, SK)


def test_a_wrong_key_behind_basic_auth_is_auth_with_the_same_hint(swr):
    region, emulator = swr("basic")

    verdict = swr_check(emulator, region.login_user, "0" * 64)

    assert verdict.category == "auth"
    step = failed_step(verdict)
    assert step.name == f"GET {URL}/v2/ (authenticated)"
    assert "login key generated from the AK/SK" in step.hint
    assert_nothing_leaks(verdict, region, "0" * 64)


def test_anonymous_access_refused_by_swr_is_auth(swr):
    region, emulator = swr()

    verdict = swr_check(emulator)

    assert verdict.category == "auth" and not verdict.ok, verdict.as_json()
    assert "requires credentials: anonymous access was refused" in verdict.summary
    assert failed_step(verdict).hint.startswith("Enter the Access ID and Access Secret")
    assert [r.path for r in emulator.requests] == ["/v2/", TOKEN_PATH]
    assert all("authorization" not in r.headers for r in emulator.requests)


def test_a_login_user_without_region_is_invalid_before_any_request(swr):
    region, emulator = swr()

    verdict = swr_check(emulator, AK, region.login_key)

    assert verdict.category == "invalid"
    step = failed_step(verdict)
    assert step.name == "Check input"
    assert "<region>@<AK>" in verdict.summary
    assert emulator.requests == []
