"""New / Edit Endpoint: axe finds nothing in any state of the page, at 1280 and 390 px, with
JavaScript on and off; the keyboard focus is plain to see."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from endpoints.providers import PROVIDERS

from .registry_form_page import (
    DEAD_URL,
    WIDTH_IDS,
    WIDTHS,
    fill_new,
    form_page,
    press_button,
    render_as_without_javascript,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
AXE = Axe()
JS = pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])


@contextmanager
def checked_page(browser, live_server, user, viewport, javascript: bool) -> Iterator[Page]:
    with form_page(browser, live_server, user, viewport=viewport) as page:
        if not javascript:
            render_as_without_javascript(page)
        yield page
WIDTH = pytest.mark.parametrize("viewport", WIDTHS, ids=WIDTH_IDS)


def assert_accessible(page: Page, state: str) -> None:
    results = AXE.run(page)
    assert results.violations_count == 0, f"{state}:\n{results.generate_report()}"


@JS
@WIDTH
def test_new_endpoint_for_each_provider(browser, live_server, browser_owner, viewport, javascript):
    with checked_page(browser, live_server, browser_owner, viewport, javascript) as page:
        page.goto(f"{live_server.url}/registries/new/")
        for key in PROVIDERS:
            if javascript:  # the form the script builds
                page.get_by_label("Provider").select_option(key)
            else:
                page.goto(f"{live_server.url}/registries/new/?provider={key}")
            expect(page.get_by_label("Provider")).to_have_value(key)
            assert_accessible(page, f"New Endpoint, {key}")


@JS
@WIDTH
def test_edit_endpoint(browser, live_server, browser_owner, make_registry, viewport, javascript):
    registry = make_registry(name="ecr", provider="aws-ecr", url="https://api.ecr.eu-west-1.amazonaws.com",
                             access_id="AKIAIOSFODNN7EXAMPLE", secret="example")
    with checked_page(browser, live_server, browser_owner, viewport, javascript) as page:
        page.goto(f"{live_server.url}/registries/{registry.pk}/edit/")
        assert_accessible(page, "Edit Endpoint")


@JS
@WIDTH
def test_after_test_connection(browser, live_server, browser_owner, registry_basic, viewport, javascript):
    remote = registry_basic
    with checked_page(browser, live_server, browser_owner, viewport, javascript) as page:
        cases = [
            ("success", remote.url, "Connection tested successfully."),
            ("failure", DEAD_URL, "Connection failed"),
            ("invalid input", "ftp://example.com", "must be http or https"),
        ]
        for state, url, says in cases:
            fill_new(page, live_server, url=url, access_id=remote.username, secret=remote.password)
            press_button(page, "Test Connection")
            expect(page.locator("main")).to_contain_text(says)
            assert_accessible(page, f"after Test Connection: {state}")


@JS
@WIDTH
def test_after_a_failed_save(browser, live_server, browser_owner, viewport, javascript):
    with checked_page(browser, live_server, browser_owner, viewport, javascript) as page:
        fill_new(page, live_server)
        page.get_by_role("button", name="OK").click()
        expect(page.get_by_role("button", name="Save anyway")).to_be_visible()
        assert_accessible(page, "after a failed save")

        fill_new(page, live_server, name="", url="ftp://example.com")
        page.get_by_role("button", name="OK").click()
        expect(page.locator("#error-summary")).to_be_visible()
        assert_accessible(page, "after a refused save")


@JS
@WIDTH
def test_when_tests_are_throttled(browser, live_server, browser_owner, settings, viewport, javascript):
    settings.ENDPOINT_TESTS_PER_MINUTE = 0
    with checked_page(browser, live_server, browser_owner, viewport, javascript) as page:
        fill_new(page, live_server)
        press_button(page, "Test Connection")
        result = page.locator("#test-result")
        expect(result).to_contain_text("ENDPOINT_TESTS_PER_MINUTE")
        expect(result).to_be_in_viewport()
        assert_accessible(page, "Test Connection throttled")


@JS
def test_the_focus_ring_is_plain_to_see(browser, live_server, browser_owner, javascript):
    with form_page(browser, live_server, browser_owner, javascript=javascript) as page:
        page.goto(f"{live_server.url}/registries/new/")
        page.get_by_label("Provider").focus()
        seen = []
        while not seen or seen[-1]["id"] != "ok-button":  # through the fields and buttons, by keyboard
            page.keyboard.press("Tab")
            seen.append(page.evaluate("""() => {
                const e = document.activeElement, s = getComputedStyle(e);
                return {id: e.id || e.tagName, style: s.outlineStyle, width: parseFloat(s.outlineWidth)};
            }"""))
            assert len(seen) < 20 and seen[-1]["id"] != "BODY", seen
        faint = [ring for ring in seen if ring["style"] == "none" or ring["width"] < 2]
        assert not faint, faint
        assert {"id_name", "id_url", "test-connection", "cancel-button"} <= {ring["id"] for ring in seen}
