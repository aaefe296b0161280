"""New / Edit Endpoint: Enter means OK, and a request in flight shows and blocks the buttons.

"Save anyway" and "Change provider" are pressed only on purpose; a second click while a
save or a test runs does nothing."""

import pytest
from playwright.sync_api import expect

from endpoints.models import Registry

from .registry_form_page import fill_new, form_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_enter_in_a_text_field_presses_ok(browser, live_server, browser_owner, registry_basic, javascript):
    remote = registry_basic
    with form_page(browser, live_server, browser_owner, javascript=javascript) as page:
        fill_new(page, live_server, name="by-enter", url=remote.url, access_id=remote.username,
                 secret=remote.password)
        page.locator("#id_name").press("Enter")

        page.wait_for_url("**/registries/")
        expect(page.get_by_text("Created endpoint successfully.")).to_be_visible()
        registry = Registry.objects.get(name="by-enter")
        assert registry.status == Registry.Status.HEALTHY
        assert registry.decrypt_secret() == remote.password  # not dropped by "Change provider"


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_enter_after_a_failed_save_tests_again_instead_of_saving_anyway(
    browser, live_server, browser_owner, javascript
):
    with form_page(browser, live_server, browser_owner, javascript=javascript) as page:
        fill_new(page, live_server)
        page.get_by_role("button", name="OK").click()
        expect(page.get_by_role("button", name="Save anyway")).to_be_visible()

        page.locator("#id_description").fill("typed after the failure")
        page.locator("#id_name").press("Enter")
        page.wait_for_load_state()
        expect(page.locator("#test-result")).to_contain_text("Connection failed")
        expect(page.get_by_role("button", name="Save anyway")).to_be_visible()
        assert not Registry.objects.exists(), "Enter saved an Unhealthy endpoint nobody chose to save"


def test_ok_shows_saving_and_blocks_a_second_submit(browser, live_server, browser_owner):
    with form_page(browser, live_server, browser_owner) as page:
        fill_new(page, live_server)
        # Record whether the page let each submit through, then stop it here: the page stays
        # as it is while "the request runs", for as long as the test looks at it.
        page.evaluate("""() => {
            window.submits = [];
            document.addEventListener("submit", (event) => {
                window.submits.push(event.defaultPrevented ? "blocked" : "sent");
                event.preventDefault();
            });
        }""")
        ok = page.locator("#ok-button")
        ok.click()

        expect(ok).to_have_text("Saving…")
        expect(ok).to_be_disabled()
        expect(page.locator("#test-connection")).to_be_disabled()
        expect(page.locator("#test-result")).to_contain_text("Saving…")
        ok.click(force=True)  # a double click's second click
        page.locator("#id_name").press("Enter")
        assert page.evaluate("window.submits") == ["sent", "blocked", "blocked"]


def test_test_connection_shows_progress_and_blocks_ok(browser, live_server, browser_owner):
    with form_page(browser, live_server, browser_owner) as page:
        fill_new(page, live_server)
        held = []
        page.route("**/registries/test/", lambda route: held.append(route))
        test = page.locator("#test-connection")
        test.click()

        expect(test).to_have_text("Testing Connection…")
        expect(test).to_be_disabled()
        expect(page.locator("#ok-button")).to_be_disabled()
        expect(page.locator("#test-result")).to_contain_text("Testing the connection")
        assert page.evaluate("document.activeElement.id") == "test-connection"

        held[0].continue_()
        expect(page.locator("#test-result")).to_contain_text("Connection failed")
        expect(test).to_have_text("Test Connection")
        expect(test).to_be_enabled()
        expect(page.locator("#ok-button")).to_be_enabled()
        assert len(held) == 1
