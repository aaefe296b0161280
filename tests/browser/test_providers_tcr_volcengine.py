"""Tencent TCR and VolcEngine CR endpoints through the pages, in a real browser, against the
emulators (their signature-checking cloud APIs and registries): the provider's help and
placeholders, Test Connection with a wrong secret, with the registry unreachable and with the
right key, OK, the list, Delete. The emulators stand in for the public hosts through
ENDPOINT_CONNECT_TO, which the live server shares with the test (same process)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from playwright.sync_api import expect

from endpoints.models import Registry
from tests.fixtures import tcr_emulator, volcengine_emulator
from tests.fixtures.registry_servers import free_port

from .page_helpers import press_test_connection, row

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@dataclass
class Case:
    provider: str
    label: str
    url: str
    access_id: str
    secret: str
    wrong_secret: str
    registry_host: str
    placeholder: str
    help_says: tuple[str, ...]  # what the form's help tells the administrator to paste


CASES = [
    Case("tencent-tcr", "Tencent TCR", "https://acme.tencentcloudcr.com",
         "AKIDz8krbsJ5yKBZQpn74WFkmLPx3BROWSER", "Gu5t9xGARNpq86cd98joQYCN3browser",
         "Gu5t9xGARNpq86cd98joQYCN3browseX", "acme.tencentcloudcr.com",
         "https://<instance name>.tencentcloudcr.com",
         ("SecretId", "AKID", "SecretKey", "tcr:CreateInstanceToken")),
    Case("volcengine-cr", "VolcEngine CR", "https://acme-cn-beijing.cr.volces.com",
         "AKLTYnJvd3NlclRlc3RIYXJib3JyZWcwMDAwMDAwMDAwMDE", "YnJvd3NlclNlY3JldEhhcmJvcnJlZw==",
         "YnJvd3NlclNlY3JldEhhcmJvcnJlZX==", "acme-cn-beijing.cr.volces.com",
         "https://<instance name>-<region>.cr.volces.com",
         ("Access Key ID", "AKLT", "Secret Access Key", "cr:GetAuthorizationToken")),
]


def start_cloud(case: Case, emulate):
    if case.provider == "tencent-tcr":
        cloud = tcr_emulator.TcrCloud(
            keys={case.access_id: tcr_emulator.ApiKey(case.secret, "100012345678")},
            instances=[tcr_emulator.Instance("acme", "ap-guangzhou", "100012345678")])
    else:
        cloud = volcengine_emulator.VolcCloud(
            keys={case.access_id: volcengine_emulator.AccessKey(case.secret, "2100123456")},
            instances=[volcengine_emulator.Instance("acme", "cn-beijing", "2100123456")])
    return cloud, emulate(cloud.hosts, cloud.handle)





@pytest.mark.parametrize("case", CASES, ids=[c.provider for c in CASES])
def test_it_creates_tests_and_deletes_the_endpoint(signed_in, live_server, emulate, settings, case):
    page = signed_in
    cloud, emulator = start_cloud(case, emulate)
    name = f"{case.provider}-mirror"

    page.get_by_role("link", name="+ New Endpoint").first.click()
    page.get_by_label("Provider").select_option(case.provider)
    expect(page.get_by_label("Provider")).to_have_value(case.provider)
    expect(page.locator("#id_url")).to_have_attribute("placeholder", case.placeholder)
    for phrase in case.help_says:
        expect(page.locator("#registry-form")).to_contain_text(phrase)
    page.locator("#id_url").fill(case.url)
    page.locator("#id_name").fill(name)
    page.locator("#id_access_id").fill(case.access_id)
    page.locator("#id_ca_certificate").fill(emulator.ca_pem)

    # A wrong secret: the cloud API refuses the signature, and the page says so.
    page.locator("#id_access_secret").fill(case.wrong_secret)
    result = press_test_connection(page)
    expect(result).to_contain_text("Connection failed")
    expect(result).to_contain_text("Credentials refused or required")
    expect(result).not_to_contain_text(case.wrong_secret)
    assert cloud.issued == {}

    # The registry unreachable from this server: "Cannot connect", not a credentials problem.
    reachable = list(settings.ENDPOINT_CONNECT_TO)
    settings.ENDPOINT_CONNECT_TO = [f"{case.registry_host}:443:127.0.0.1:{free_port()}", *reachable]
    page.locator("#id_access_secret").fill(case.secret)
    result = press_test_connection(page)
    expect(result).to_contain_text("Connection failed")
    expect(result).to_contain_text("Cannot connect")
    settings.ENDPOINT_CONNECT_TO = reachable

    # The right key: temporary credentials from the API, then the registry.
    result = press_test_connection(page)
    expect(result).to_contain_text("Connection tested successfully.")
    expect(result).to_contain_text("Authenticated as")
    for token in [*cloud.issued.values(), *cloud.bearer_tokens]:
        expect(result).not_to_contain_text(token)
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
