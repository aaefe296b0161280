"""New / Edit Endpoint: the answer to Test Connection, to a failed save and to invalid input
shows where the user is looking, and focus goes where the user can act on it.

Each state is checked with JavaScript on and off, at 1280 and 390 px wide."""

import re

import pytest
from playwright.sync_api import expect

from endpoints.models import Registry

from .registry_form_page import DEAD_URL, WIDTH_IDS, WIDTHS, fill_new, focused_id, form_page, press_button

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport", WIDTHS, ids=WIDTH_IDS)
def test_it_shows_the_test_result_by_the_button_and_keeps_focus_there(
    browser, live_server, browser_owner, viewport
):
    with form_page(browser, live_server, browser_owner, viewport=viewport) as page:
        fill_new(page, live_server)
        press_button(page, "Test Connection")

        result = page.locator("#test-result[role=status]")
        expect(result).to_contain_text("Connection failed")
        expect(result.get_by_text("Connection failed", exact=True)).to_be_in_viewport()
        button = page.get_by_role("button", name="Test Connection")
        expect(button).to_be_enabled()
        expect(button).to_be_in_viewport()
        assert focused_id(page) == "test-connection"


@pytest.mark.parametrize("viewport", WIDTHS, ids=WIDTH_IDS)
def test_without_javascript_the_test_result_is_scrolled_to_and_focused(
    browser, live_server, browser_owner, viewport
):
    with form_page(browser, live_server, browser_owner, viewport=viewport, javascript=False) as page:
        fill_new(page, live_server)
        page.get_by_role("button", name="Test Connection").click()
        page.wait_for_url("**/registries/test/")

        expect(page.locator("#test-result[role=status]")).to_contain_text("Connection failed")
        expect(page.get_by_text("Connection failed", exact=True)).to_be_in_viewport()
        expect(page.get_by_role("button", name="Test Connection")).to_be_in_viewport()
        assert focused_id(page) == "test-result"
        # The next Tab reaches the buttons below the result, not the top of the form.
        page.keyboard.press("Tab")
        assert focused_id(page) == "test-connection"


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("viewport", WIDTHS, ids=WIDTH_IDS)
def test_a_failed_save_offers_save_anyway_in_the_failure_box(
    browser, live_server, browser_owner, viewport, javascript
):
    with form_page(browser, live_server, browser_owner, viewport=viewport, javascript=javascript) as page:
        fill_new(page, live_server)
        page.get_by_role("button", name="OK").click()

        result = page.locator("#test-result[role=status]")
        expect(result).to_contain_text("Connection failed")
        expect(result).to_contain_text("not saved")
        save_anyway = result.get_by_role("button", name="Save anyway")
        expect(result.get_by_text("Connection failed", exact=True)).to_be_in_viewport()
        expect(save_anyway).to_be_in_viewport()
        assert focused_id(page) == "test-result"
        assert not Registry.objects.exists()

        result.get_by_role("link", name="Edit the form").click()
        assert focused_id(page) == "id_provider"

        save_anyway.click()
        page.wait_for_url("**/registries/")
        expect(page.get_by_text("Created endpoint successfully.")).to_be_visible()
        assert Registry.objects.get().status == Registry.Status.UNHEALTHY


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_refused_save_focuses_the_first_invalid_field_and_sums_up_the_errors(
    browser, live_server, browser_owner, javascript
):
    with form_page(browser, live_server, browser_owner, javascript=javascript) as page:
        fill_new(page, live_server, name="", url="ftp://example.com")
        page.get_by_role("button", name="OK").click()

        summary = page.locator("#error-summary")
        expect(summary).to_contain_text("Endpoint name is required.")
        expect(summary).to_contain_text("must be http or https")
        assert focused_id(page) == "id_name"
        expect(page.locator("#id_name")).to_have_attribute("aria-invalid", "true")

        summary.get_by_role("link", name="must be http or https").click()
        assert focused_id(page) == "id_url"


@pytest.mark.parametrize("viewport", WIDTHS, ids=WIDTH_IDS)
def test_with_javascript_invalid_input_marks_its_field(browser, live_server, browser_owner, viewport):
    with form_page(browser, live_server, browser_owner, viewport=viewport) as page:
        fill_new(page, live_server, url="ftp://example.com")
        press_button(page, "Test Connection")

        url = page.locator("#id_url")
        expect(url).to_have_class(re.compile(r"\bis-invalid\b"))
        expect(url).to_have_attribute("aria-invalid", "true")
        error = page.locator("#id_url_error.invalid-feedback")
        expect(error).to_have_text("The URL scheme must be http or https, not “ftp”.")
        assert "id_url_error" in url.get_attribute("aria-describedby").split()
        expect(page.locator("#test-result")).to_contain_text("must be http or https")
        assert focused_id(page) == "test-connection"

        # A valid URL and another test: the mark goes away.
        url.fill(DEAD_URL)
        press_button(page, "Test Connection")
        expect(page.locator("#test-result")).to_contain_text("Connection failed")
        expect(url).not_to_have_attribute("aria-invalid", "true")
        expect(error).to_have_count(0)
