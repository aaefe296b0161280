"""GitHub GHCR and DTR endpoints through the pages, in a real browser, against the
emulators: New Endpoint, Test Connection (a wrong secret, an unreachable host, then the
right secret), OK, the list, Delete. The emulators stand in for ghcr.io and a DTR through
ENDPOINT_CONNECT_TO, which the live server shares with the test (same process)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from playwright.sync_api import expect

from endpoints.models import Registry
from tests.fixtures.dtr_emulator import DtrEmulator
from tests.fixtures.ghcr_emulator import GhcrEmulator
from tests.fixtures.registry_servers import free_port

from .page_helpers import press_test_connection, row

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@dataclass
class Case:
    provider: str
    label: str
    url: str  # what the URL field holds once the provider is chosen, or what to type
    url_is_fixed: bool
    access_id: str
    secret: str
    wrong_secret: str
    host: str


CASES = [
    Case("github-ghcr", "GitHub GHCR", "https://ghcr.io", True, "octocat",
         "ghp_EmulatedClassicTokenForOctocat0001", "ghp_RevokedOrMistypedToken000000000002", "ghcr.io"),
    Case("dtr", "DTR / Mirantis Secure Registry", "https://dtr.example.test", False, "jack",
         "6a1f3c2e-4b5d-4e8f-9a0b-1c2d3e4f5a6b", "wrong-Dtr-password-2", "dtr.example.test"),
]


def start_emulator(case: Case, emulate):
    remote = GhcrEmulator() if case.provider == "github-ghcr" else DtrEmulator()
    remote.server = emulate([case.host], remote)
    return remote





@pytest.mark.parametrize("case", CASES, ids=[c.provider for c in CASES])
def test_it_creates_tests_and_deletes_the_endpoint(signed_in, live_server, emulate, settings, case):
    page = signed_in
    remote = start_emulator(case, emulate)
    name = f"{case.provider}-mirror"

    page.get_by_role("link", name="+ New Endpoint").first.click()
    page.get_by_label("Provider").select_option(case.provider)
    expect(page.get_by_label("Provider")).to_have_value(case.provider)
    if case.url_is_fixed:
        expect(page.locator("#id_url")).to_have_value(case.url)
    else:
        page.locator("#id_url").fill(case.url)
    page.locator("#id_name").fill(name)
    page.locator("#id_access_id").fill(case.access_id)
    page.locator("#id_ca_certificate").fill(remote.server.ca_pem)

    # A wrong secret: refused, and said so.
    page.locator("#id_access_secret").fill(case.wrong_secret)
    result = press_test_connection(page)
    expect(result).to_contain_text("Connection failed")
    expect(result).to_contain_text("Credentials refused or required")
    expect(result).not_to_contain_text(case.wrong_secret)

    # The host unreachable from this server: "Cannot connect", not a credentials problem.
    reachable = list(settings.ENDPOINT_CONNECT_TO)
    settings.ENDPOINT_CONNECT_TO = [f"{case.host}:443:127.0.0.1:{free_port()}"]
    page.locator("#id_access_secret").fill(case.secret)
    result = press_test_connection(page)
    expect(result).to_contain_text("Connection failed")
    expect(result).to_contain_text("Cannot connect")
    settings.ENDPOINT_CONNECT_TO = reachable

    # The right secret.
    page.locator("#id_access_secret").fill(case.secret)
    result = press_test_connection(page)
    expect(result).to_contain_text("Connection tested successfully.")
    expect(result).to_contain_text(f"Authenticated as {case.access_id}")
    assert not Registry.objects.exists(), "Test Connection must not save"

    page.get_by_role("button", name="OK").click()
    page.wait_for_url("**/registries/")
    expect(page.get_by_text("Created endpoint successfully.")).to_be_visible()
    created = row(page, name)
    expect(created).to_contain_text("Healthy")
    expect(created).to_contain_text(case.label)
    expect(created).to_contain_text(case.url)
    registry = Registry.objects.get(name=name)
    assert (registry.provider, registry.url, registry.status) == (case.provider, case.url, "healthy")
    assert registry.decrypt_secret() == case.secret
    assert case.secret not in page.content()

    created.get_by_role("link", name="Delete").click()
    expect(page.get_by_text(f"Do you want to delete the endpoint {name}?")).to_be_visible()
    page.get_by_role("button", name="Delete").click()
    page.wait_for_url("**/registries/")
    expect(page.get_by_text(f"Deleted endpoint “{name}”.")).to_be_visible()
    expect(row(page, name)).to_have_count(0)
    assert not Registry.objects.exists()
