"""The list remembers where you were: after Delete, Check now, a bulk action, the delete
page's Cancel or "Back to Registries" you are back on the same page, sort, filter and page
size; the page size you chose stays chosen (as in Harbor), with or without JavaScript."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from endpoints.models import Registry
from tests.fixtures.registry_servers import free_port

from .page_helpers import ALL_PERMISSIONS, browser_page, make_user, row, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def forty_mirrors() -> None:
    now = timezone.now()
    Registry.objects.bulk_create(
        Registry(name=f"mirror-{i:02d}", provider="docker-registry", url=f"http://127.0.0.1:{free_port()}",
                 description="eu" if i % 2 else "us", created_at=now - timedelta(minutes=i))
        for i in range(40)
    )
    Registry.objects.create(name="other", provider="docker-registry", url="https://other.example.com")


def open_page_two_of_the_filtered_name_sorted_list(page: Page, live_server) -> str:
    """Filter "mirror", page size 25, sort by name, page 2: as a user gets there."""
    page.goto(f"{live_server.url}/registries/")
    page.get_by_label("Filter Endpoints").fill("mirror")
    page.get_by_role("button", name="Filter").click()
    page.get_by_label("Page size").select_option("25")
    expect(page.get_by_text("1 - 25 of 40 items")).to_be_visible()
    page.get_by_role("link", name="Name").click()
    page.get_by_role("link", name="Next").click()
    expect(page.get_by_text("26 - 40 of 40 items")).to_be_visible()
    expect(row(page, "mirror-25")).to_have_count(1)
    return page.url


def expect_back_on(page: Page, url: str, first: str = "mirror-25") -> None:
    page.wait_for_url(url)
    expect(page.get_by_text("of 40 items").or_(page.get_by_text("of 39 items"))).to_be_visible()
    expect(page.locator("table.registry-table tbody tr").first).to_contain_text(first)
    expect(page.get_by_label("Page size")).to_have_value("25")
    expect(page.get_by_label("Filter Endpoints")).to_have_value("mirror")


def test_delete_and_its_cancel_return_to_the_same_view(signed_in, live_server):
    page = signed_in
    forty_mirrors()
    where = open_page_two_of_the_filtered_name_sorted_list(page, live_server)

    row(page, "mirror-30").get_by_role("link", name="Delete").click()
    page.get_by_role("link", name="Cancel").click()
    expect_back_on(page, where)

    row(page, "mirror-30").get_by_role("link", name="Delete").click()
    page.get_by_role("button", name="Delete").click()
    expect_back_on(page, where)
    expect(page.get_by_text("Deleted endpoint “mirror-30”.")).to_be_visible()
    expect(page.get_by_text("26 - 39 of 39 items")).to_be_visible()


def test_the_endpoint_page_and_check_now_return_to_the_same_view(signed_in, live_server):
    page = signed_in
    forty_mirrors()
    where = open_page_two_of_the_filtered_name_sorted_list(page, live_server)

    row(page, "mirror-27").get_by_role("link", name="mirror-27").click()
    expect(page.get_by_role("heading", name="mirror-27")).to_be_visible()
    page.get_by_role("button", name="Check now").click()
    expect(page.get_by_text("“mirror-27” is unhealthy")).to_be_visible()
    page.get_by_role("main").get_by_role("link", name="Registries", exact=True).click()
    expect_back_on(page, where)


def test_bulk_results_lead_back_to_the_same_view(signed_in, live_server):
    page = signed_in
    forty_mirrors()
    where = open_page_two_of_the_filtered_name_sorted_list(page, live_server)

    page.get_by_label("Select mirror-26").check()
    page.locator("#bulk-form button[name=action][value=check]").click()
    expect(page.get_by_role("heading", name="Check now: results")).to_be_visible()
    page.get_by_role("link", name="Back to Registries").click()
    expect_back_on(page, where)

    page.get_by_label("Select mirror-26").check()
    page.locator("#bulk-form button[name=action][value=delete]").click()
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("heading", name="Delete: results")).to_be_visible()
    page.get_by_role("link", name="Back to Registries").click()
    expect_back_on(page, where, first="mirror-25")
    expect(row(page, "mirror-26")).to_have_count(0)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_chosen_page_size_is_kept(browser, live_server, javascript):
    forty_mirrors()
    with browser_page(browser, javascript=javascript) as page:
        sign_in(page, live_server, make_user("ops", *ALL_PERMISSIONS))
        page.goto(f"{live_server.url}/registries/")
        expect(page.locator("table.registry-table tbody tr")).to_have_count(15)
        page.get_by_label("Page size").select_option("50")
        if not javascript:
            page.get_by_role("button", name="Apply").click()
        expect(page.locator("table.registry-table tbody tr")).to_have_count(41)

        # Leave the list, come back through the navigation bar: still 50 a page.
        page.goto(f"{live_server.url}/registries/{Registry.objects.get(name='other').pk}/")
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Registries").click()
        expect(page.locator("table.registry-table tbody tr")).to_have_count(41)
        expect(page.get_by_label("Page size")).to_have_value("50")
