"""New / Edit Endpoint: what the fields say and offer — help texts with their <placeholders>,
the provider asked for in the link, the stored-secret line, the region picker, the name."""

import pytest
from playwright.sync_api import expect

from endpoints.models import Registry

from .registry_form_page import PHONE, fill_new, form_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ECR_URL = "https://api.ecr.us-east-1.amazonaws.com"
AWS_EXAMPLE_KEY_ID = "AKIAIOSFODNN7EXAMPLE"  # AWS's documentation example


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_an_edit_page_shows_the_help_texts_placeholders(
    browser, live_server, browser_owner, make_registry, javascript
):
    ecr = make_registry(name="ecr", provider="aws-ecr", url=ECR_URL, access_id=AWS_EXAMPLE_KEY_ID,
                        secret="example")
    swr = make_registry(name="swr", provider="huawei-SWR", url="https://swr.cn-north-4.myhuaweicloud.com")
    with form_page(browser, live_server, browser_owner, javascript=javascript) as page:
        page.goto(f"{live_server.url}/registries/{ecr.pk}/edit/")
        expect(page.locator("#id_url_helptext")).to_contain_text("https://api.ecr.<region>.amazonaws.com")
        expect(page.locator("#id_url_helptext")).to_contain_text("https://<12-digit account ID>.dkr.ecr.")
        page.goto(f"{live_server.url}/registries/{swr.pk}/edit/")
        expect(page.locator("#id_access_id_helptext")).to_contain_text("<region>@<AK>")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_provider_in_the_link_is_the_one_chosen_and_saved(
    browser, live_server, browser_owner, javascript
):
    with form_page(browser, live_server, browser_owner, javascript=javascript) as page:
        page.goto(f"{live_server.url}/registries/new/?provider=azure-acr")
        expect(page.get_by_label("Provider")).to_have_value("azure-acr")
        expect(page.locator("#provider-help")).to_contain_text("Azure ACR endpoints can back")
        page.locator("#id_name").fill("acr")
        page.locator("#id_url").fill("http://127.0.0.1:9")
        page.get_by_role("button", name="OK").click()
        page.get_by_role("button", name="Save anyway").click()
        page.wait_for_url("**/registries/")
        assert Registry.objects.get(name="acr").provider == "azure-acr"


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_an_edit_with_a_changed_host_says_one_thing_about_the_stored_secret(
    browser, live_server, browser_owner, make_registry, javascript
):
    registry = make_registry(name="ci", url="https://registry.example.com", access_id="ci", secret="pw")
    with form_page(browser, live_server, browser_owner, javascript=javascript) as page:
        page.goto(f"{live_server.url}/registries/{registry.pk}/edit/")
        status = page.locator("#secret-status")
        expect(status).to_contain_text("Leave blank to keep it.")

        page.locator("#id_url").fill("https://other.example.com")
        if javascript:  # said as soon as the URL changes
            expect(status).to_contain_text("Endpoint URL changed")
            expect(status).not_to_contain_text("Leave blank to keep it")
        page.get_by_role("button", name="OK").click()

        block = page.locator("#secret-block")
        expect(block).to_contain_text("The endpoint URL changed: enter the Access Secret again or clear it.")
        expect(block).not_to_contain_text("Leave blank to keep it")
        expect(page.locator("#secret-status")).to_contain_text("Endpoint URL changed")


def test_a_region_is_picked_from_a_visible_list(browser, live_server, browser_owner):
    with form_page(browser, live_server, browser_owner) as page:
        page.goto(f"{live_server.url}/registries/new/")
        page.get_by_label("Provider").select_option("aws-ecr")
        region = page.get_by_label("Region", exact=True)
        expect(region).to_be_visible()
        region.select_option(label="eu-west-1")
        expect(page.locator("#id_url")).to_have_value("https://api.ecr.eu-west-1.amazonaws.com")

        # Another provider: a URL the previous one suggested goes; its own list comes.
        page.get_by_label("Provider").select_option("google-gcr")
        expect(page.locator("#id_url")).to_have_value("")
        region.select_option(label="us.gcr.io")
        expect(page.locator("#id_url")).to_have_value("https://us.gcr.io")

        # A free-URL provider has no list.
        page.get_by_label("Provider").select_option("harbor")
        expect(page.locator("#id_url")).to_have_value("")
        expect(region).to_be_hidden()


def test_an_edit_page_shows_the_region_of_the_stored_url(browser, live_server, browser_owner, make_registry):
    registry = make_registry(name="ecr", provider="aws-ecr", url="https://api.ecr.eu-west-1.amazonaws.com")
    with form_page(browser, live_server, browser_owner) as page:
        page.goto(f"{live_server.url}/registries/{registry.pk}/edit/")
        expect(page.get_by_label("Region", exact=True)).to_have_value("https://api.ecr.eu-west-1.amazonaws.com")


def test_without_javascript_the_region_urls_are_listed(browser, live_server, browser_owner):
    with form_page(browser, live_server, browser_owner, javascript=False) as page:
        page.goto(f"{live_server.url}/registries/new/?provider=aws-ecr")
        listing = page.locator("#url-suggestion-list")
        listing.get_by_text("Region URLs").click()
        expect(listing).to_contain_text("eu-west-1")
        expect(listing.get_by_text("https://api.ecr.eu-west-1.amazonaws.com", exact=True)).to_be_visible()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_long_pasted_name_is_kept_whole_and_the_server_says_how_long(
    browser, live_server, browser_owner, javascript
):
    long_name = "replication-endpoint-for-the-production-cluster-in-frankfurt-am-main"  # 68
    with form_page(browser, live_server, browser_owner, viewport=PHONE, javascript=javascript) as page:
        fill_new(page, live_server)
        page.locator("#id_name").fill(long_name)
        expect(page.locator("#id_name")).to_have_value(long_name)
        page.get_by_role("button", name="OK").click()

        expect(page.locator("#id_name_error")).to_contain_text(
            f"at most 64 characters: it has {len(long_name)}")
        expect(page.locator("#id_name")).to_have_value(long_name)
        assert not Registry.objects.exists()
