"""The Registries pages in a real browser, against a real docker-registry with Basic auth.

Each test asserts what the user sees (text, DOM state) and what was stored. The README's
screenshots are taken on the way (docs/screenshots/).
"""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from endpoints.models import Registry
from tests.fixtures.registry_servers import free_port

from .conftest import TIMEOUT_MS, VIEWPORT, log_in
from .page_helpers import row

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]



def mark_document(page: Page) -> None:
    """Tag the current document; `still_same_document` is false after any navigation."""
    page.evaluate("window.__sameDocument = true")


def still_same_document(page: Page) -> bool:
    return page.evaluate("window.__sameDocument === true")



def seed_realistic_list(make_registry, make_rule) -> None:
    now = timezone.now()
    make_registry(
        name="docker-hub-mirror", provider="docker-hub", url="https://hub.docker.com",
        access_id="acme-bot", secret="dckr_pat_example", status="healthy",
        status_detail="Authenticated as acme-bot.", last_checked_at=now - timedelta(minutes=4),
        description="Public base images",
    )
    ecr = make_registry(
        name="ecr-prod", provider="aws-ecr",
        url="https://123456789012.dkr.ecr.eu-west-1.amazonaws.com", access_id="AKIAEXAMPLE",
        secret="example", status="unhealthy", status_category="auth",
        status_detail="AWS refused the access key: InvalidClientTokenId (the key was deleted or "
                      "belongs to another account).",
        last_checked_at=now - timedelta(minutes=12), description="Production images, eu-west-1",
    )
    harbor = make_registry(
        name="harbor-dc2", provider="harbor", url="https://harbor.dc2.example.com",
        access_id="robot$replicator", secret="example", status="healthy",
        status_detail="Harbor 2.11 answered.", last_checked_at=now - timedelta(minutes=31),
        description="Second data centre",
    )
    make_rule(name="ecr-to-dc2", source=ecr, destination=harbor)


def test_it_creates_an_endpoint_after_a_successful_test_connection(
    signed_in, registry_basic, make_registry, make_rule, screenshot
):
    page, remote = signed_in, registry_basic
    expect(page.get_by_role("heading", name="Registries")).to_be_visible()
    expect(page.get_by_text("We couldn't find any endpoints!")).to_be_visible()

    page.get_by_role("link", name="+ New Endpoint").first.click()
    expect(page.get_by_role("heading", name="New Registry Endpoint")).to_be_visible()
    page.get_by_label("Provider").select_option("docker-registry")
    page.locator("#id_name").fill("ci-registry")
    page.locator("#id_description").fill("The CI pull-through registry")
    page.locator("#id_url").fill(remote.url)
    page.locator("#id_access_id").fill(remote.username)
    page.locator("#id_access_secret").fill(remote.password)
    screenshot(page, "new-endpoint-docker-registry")

    mark_document(page)
    page.get_by_role("button", name="Test Connection").click()
    result = page.locator("#test-result[role=status]")
    expect(result).to_contain_text("Connection tested successfully.")
    expect(result).not_to_contain_text("Connection failed")
    assert still_same_document(page), "Test Connection reloaded the page"
    expect(page.locator("#id_access_secret")).to_have_value(remote.password)
    expect(page.get_by_role("button", name="Test Connection")).to_be_enabled()
    screenshot(page, "test-connection-result")
    assert not Registry.objects.exists(), "Test Connection must not save"

    seed_realistic_list(make_registry, make_rule)
    page.get_by_role("button", name="OK").click()
    page.wait_for_url("**/registries/")
    expect(page.get_by_text("Created endpoint successfully.")).to_be_visible()
    created = row(page, "ci-registry")
    expect(created).to_have_count(1)
    expect(created).to_contain_text("Healthy")
    expect(created).to_contain_text(remote.url)
    expect(created).to_contain_text("Docker Registry")
    expect(row(page, "ecr-prod")).to_contain_text("Unhealthy")
    expect(page.locator("table.registry-table tbody tr")).to_have_count(4)

    registry = Registry.objects.get(name="ci-registry")
    assert registry.status == Registry.Status.HEALTHY
    assert registry.decrypt_secret() == remote.password


def test_editing_the_description_keeps_the_stored_secret(
    signed_in, registry_basic, make_registry
):
    page, remote = signed_in, registry_basic
    registry = make_registry(
        name="ci-registry", url=remote.url, access_id=remote.username, secret=remote.password,
        description="before",
    )
    stored = registry.access_secret_encrypted
    page.reload()
    row(page, "ci-registry").get_by_role("link", name="Edit").click()

    expect(page.get_by_role("heading", name="Edit Endpoint")).to_be_visible()
    expect(page.locator("#id_access_secret")).to_have_value("")
    expect(page.locator("#secret-status")).to_contain_text("A secret is stored")
    assert remote.password not in page.content()

    # The blank box means "use the stored secret": the real registry accepts it.
    mark_document(page)
    page.get_by_role("button", name="Test Connection").click()
    expect(page.locator("#test-result[role=status]")).to_contain_text("Connection tested successfully.")
    assert still_same_document(page)

    page.locator("#id_description").fill("Pull-through cache for CI")
    page.get_by_role("button", name="OK").click()
    page.wait_for_url("**/registries/")
    expect(page.get_by_text("Updated endpoint successfully.")).to_be_visible()
    expect(row(page, "ci-registry")).to_contain_text("Pull-through cache for CI")

    registry.refresh_from_db()
    assert registry.description == "Pull-through cache for CI"
    assert registry.access_secret_encrypted == stored
    assert registry.decrypt_secret() == remote.password


def test_the_provider_switches_the_form_instantly(signed_in, live_server, screenshot):
    page = signed_in
    page.goto(f"{live_server.url}/registries/new/")
    mark_document(page)
    access_id, secret = page.locator("#id_access_id"), page.locator("[name=access_secret]")

    page.get_by_label("Provider").select_option("google-gcr")
    expect(access_id).to_have_value("_json_key")
    expect(access_id).not_to_be_editable()
    assert secret.evaluate("e => e.tagName") == "TEXTAREA"
    suggestions = page.eval_on_selector_all("#url-suggestions option", "os => os.map(o => o.value)")
    assert "https://gcr.io" in suggestions
    expect(page.locator("#provider-help")).to_contain_text("Google GCR / Artifact Registry endpoints can")
    assert still_same_document(page), "switching the provider reloaded the page"
    page.locator("#id_name").fill("gcr-prod")
    page.locator("#id_url").fill("https://gcr.io")
    screenshot(page, "new-endpoint-google-gcr")

    # Back to Docker Registry: the fixed Access ID goes away, the secret is a password again.
    page.get_by_label("Provider").select_option("docker-registry")
    expect(access_id).to_have_value("")
    expect(access_id).to_be_editable()
    assert secret.evaluate("e => e.tagName + ':' + e.type") == "INPUT:password"


def test_an_endpoint_in_use_cannot_be_deleted_until_it_is_free(
    signed_in, make_registry, make_rule, screenshot
):
    page = signed_in
    make_registry(name="keep-me", url="https://keep.example.com")
    doomed = make_registry(name="old-mirror", url="https://old.example.com")
    rule = make_rule(name="nightly-sync", source=doomed)
    page.reload()

    row(page, "old-mirror").get_by_role("link", name="Delete").click()
    expect(page.get_by_role("heading", name="Confirm Endpoint Deletion")).to_be_visible()
    expect(page.get_by_text("Do you want to delete")).to_have_count(0)  # refused: nothing to ask
    refusal = page.locator("#delete-refused")
    expect(refusal).to_contain_text("The endpoint old-mirror cannot be deleted while it is in use")
    expect(refusal.get_by_role("link", name="nightly-sync")).to_be_visible()
    expect(page.get_by_role("button", name="Delete")).to_have_count(0)

    rule.delete()
    page.reload()
    expect(page.locator("#delete-refused")).to_have_count(0)
    expect(page.get_by_text("Do you want to delete the endpoint old-mirror?")).to_be_visible()
    page.get_by_role("button", name="Delete").click()
    page.wait_for_url("**/registries/")
    expect(page.get_by_text("Deleted endpoint “old-mirror”.")).to_be_visible()
    expect(row(page, "old-mirror")).to_have_count(0)
    expect(row(page, "keep-me")).to_have_count(1)
    assert list(Registry.objects.values_list("name", flat=True)) == ["keep-me"]


def test_the_form_works_without_javascript(browser, live_server, browser_owner, registry_basic):
    remote = registry_basic
    context = browser.new_context(java_script_enabled=False, viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        log_in(page, live_server, browser_owner)
        page.goto(f"{live_server.url}/registries/new/")
        page.locator("#id_name").fill("no-js-registry")

        page.get_by_label("Provider").select_option("google-gcr")
        page.get_by_role("button", name="Change provider").click()
        expect(page.get_by_label("Provider")).to_have_value("google-gcr")
        expect(page.locator("#id_access_id")).to_have_value("_json_key")
        expect(page.locator("#id_access_id")).not_to_be_editable()
        assert page.locator("[name=access_secret]").evaluate("e => e.tagName") == "TEXTAREA"
        expect(page.locator("#id_name")).to_have_value("no-js-registry")

        page.get_by_label("Provider").select_option("docker-registry")
        page.get_by_role("button", name="Change provider").click()
        expect(page.locator("#id_access_id")).to_be_editable()
        page.locator("#id_url").fill(remote.url)
        page.locator("#id_access_id").fill(remote.username)
        page.locator("#id_access_secret").fill(remote.password)
        page.get_by_role("button", name="Test Connection").click()
        page.wait_for_url("**/registries/test/")
        expect(page.locator("#test-result[role=status]")).to_contain_text("Connection tested successfully.")
        # The secret is not sent back to the browser, but the form keeps it (encrypted).
        expect(page.locator("#id_access_secret")).to_have_value("")
        expect(page.locator("#secret-pending")).to_be_visible()
        assert remote.password not in page.content()

        page.get_by_role("button", name="OK").click()
        page.wait_for_url("**/registries/")
        expect(page.get_by_text("Created endpoint successfully.")).to_be_visible()
        expect(row(page, "no-js-registry")).to_contain_text("Healthy")
        assert Registry.objects.get(name="no-js-registry").decrypt_secret() == remote.password
    finally:
        context.close()


def test_check_now_on_selected_rows_reports_each_endpoint(signed_in, registry_basic, make_registry):
    page, remote = signed_in, registry_basic
    make_registry(name="reachable", url=remote.url, access_id=remote.username, secret=remote.password)
    make_registry(name="gone", url=f"http://127.0.0.1:{free_port()}")
    make_registry(name="not-selected", url="https://not-selected.example.com")
    page.reload()

    bulk_check = page.locator("#bulk-form button[name=action][value=check]")
    expect(bulk_check).to_be_disabled()
    page.get_by_label("Select reachable").check()
    page.get_by_label("Select gone").check()
    expect(bulk_check).to_be_enabled()
    bulk_check.click()

    expect(page.get_by_role("heading", name="Check now: results")).to_be_visible()
    results = page.locator("table tbody tr")
    expect(results).to_have_count(2)
    expect(results.filter(has_text="reachable")).to_contain_text("✓ OK")
    expect(results.filter(has_text="gone")).to_contain_text("✗ Failed")
    expect(page.get_by_text("not-selected")).to_have_count(0)

    statuses = dict(Registry.objects.values_list("name", "status"))
    assert statuses == {"reachable": "healthy", "gone": "unhealthy", "not-selected": "unknown"}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_json_key_and_a_ca_certificate_load_from_files(signed_in, live_server, tmp_path):
    import trustme

    page = signed_in
    page.goto(f"{live_server.url}/registries/new/")
    key_button = page.get_by_role("button", name="Load JSON key from file…")
    expect(key_button).to_be_hidden()  # a password secret is typed, not loaded
    page.get_by_label("Provider").select_option("google-gcr")
    expect(key_button).to_be_visible()

    key = {"type": "service_account", "project_id": "p1", "client_email": "r@p1.iam.gserviceaccount.com",
           "private_key": "-----BEGIN PRIVATE KEY-----\\nAAAA\\n-----END PRIVATE KEY-----\\n"}
    key_file = tmp_path / "key.json"
    key_file.write_text(json.dumps(key) + "\n")
    with page.expect_file_chooser() as chooser:
        key_button.click()
    chooser.value.set_files(str(key_file))
    expect(page.locator("[name=access_secret]")).to_have_value(json.dumps(key))

    ca_pem = trustme.CA().cert_pem.bytes().decode()
    ca_file = tmp_path / "ca.pem"
    ca_file.write_text(ca_pem)
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Load from file…").click()
    chooser.value.set_files(str(ca_file))
    expect(page.locator("#id_ca_certificate")).to_have_value(ca_pem.strip())
