"""Bulk Check now and Delete answer with a redirect to a results page (post/redirect/get):
reloading it shows the same results and runs nothing again. Names on it link to the
endpoints; a deleted one is plain text."""

import pytest
from django.contrib.admin.models import DELETION, LogEntry
from playwright.sync_api import expect

from endpoints.models import HealthCheck, Registry
from tests.fixtures.registry_servers import free_port

from .page_helpers import row

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reloading_bulk_check_results_checks_nothing_again(signed_in, make_registry, recording_registry):
    page = signed_in
    good = make_registry(name="reachable", url=recording_registry.url, access_id="ci", secret="ci-pass")
    gone = make_registry(name="gone", url=f"http://127.0.0.1:{free_port()}")
    page.reload()
    page.get_by_label("Select reachable").check()
    page.get_by_label("Select gone").check()
    page.locator("#bulk-form button[name=action][value=check]").click()

    page.wait_for_url("**/registries/bulk/results/")
    expect(page.get_by_role("heading", name="Check now: results")).to_be_visible()
    results = page.locator("table.bulk-results tbody tr")
    expect(results).to_have_count(2)
    expect(results.filter(has_text="reachable")).to_contain_text("✓ OK")
    expect(results.filter(has_text="gone")).to_contain_text("✗ Failed")
    assert HealthCheck.objects.count() == 2

    page.reload()
    expect(results).to_have_count(2)
    expect(results.filter(has_text="gone")).to_contain_text("✗ Failed")
    assert HealthCheck.objects.count() == 2, "reloading the results ran the checks again"

    page.get_by_role("link", name="gone").click()
    page.wait_for_url(f"**/registries/{gone.pk}/")
    page.go_back()
    expect(page.get_by_role("link", name="reachable")).to_have_attribute("href", f"/registries/{good.pk}/")


def test_reloading_bulk_delete_results_deletes_nothing_again(signed_in, make_registry, make_rule):
    page = signed_in
    used = make_registry(name="used", url="https://used.example.com")
    make_registry(name="free", url="https://free.example.com")
    make_rule("keeps-it", source=used)
    page.reload()
    page.get_by_label("Select used").check()
    page.get_by_label("Select free").check()
    page.locator("#bulk-form button[name=action][value=delete]").click()
    expect(page.get_by_role("heading", name="Confirm Endpoint Deletion")).to_be_visible()
    page.get_by_role("button", name="Delete").click()

    page.wait_for_url("**/registries/bulk/results/")
    expect(page.get_by_role("heading", name="Delete: results")).to_be_visible()
    results = page.locator("table.bulk-results tbody tr")
    expect(row_of(results, "free")).to_contain_text("Deleted")
    expect(row_of(results, "free").get_by_role("link")).to_have_count(0)  # it is gone
    expect(row_of(results, "used")).to_contain_text("Not deleted")
    expect(row_of(results, "used").get_by_role("link", name="used")).to_have_attribute(
        "href", f"/registries/{used.pk}/")
    expect(row_of(results, "used").get_by_role("link", name="keeps-it")).to_be_visible()

    page.reload()
    expect(results).to_have_count(2)
    assert LogEntry.objects.filter(action_flag=DELETION).count() == 1
    assert list(Registry.objects.values_list("name", flat=True)) == ["used"]

    page.get_by_role("link", name="Back to Registries").click()
    expect(row(page, "used")).to_have_count(1)
    expect(row(page, "free")).to_have_count(0)


def row_of(results, name: str):
    return results.filter(has=results.page.locator("td.col-name", has_text=name))
