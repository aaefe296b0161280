"""The API's docs page in a real browser: Swagger UI renders the OpenAPI document from
local files only, under the site's Content Security Policy (no violation reported), and
"Try it out" works with the browser's session (CSRF token included)."""

import pytest

from tests.browser.conftest import (  # noqa: F401 (fixtures)
    browser_context_args,
    browser_owner,
    browser_type_launch_args,
    log_in,
    page,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_docs_page_renders_offline_under_the_csp(page, live_server, browser_owner, make_registry):  # noqa: F811
    make_registry(name="seen-through-the-docs")
    requested, problems = [], []
    page.on("request", lambda request: requested.append(request.url))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    log_in(page, live_server, browser_owner)

    page.goto(f"{live_server.url}/api/v2.0/docs/")
    page.wait_for_selector(".swagger-ui .info .title")

    assert "harborreg API" in page.inner_text(".swagger-ui .info .title")
    assert page.locator("#operations-registry-listRegistries").count() == 1
    assert [url for url in requested if not url.startswith((live_server.url, "data:"))] == []
    assert [p for p in problems if "Content Security Policy" in p] == []

    operation = "#operations-registry-listRegistries"
    page.click(f"{operation} .opblock-summary")
    page.click(f"{operation} .try-out__btn")
    page.click(f"{operation} .execute")
    page.wait_for_selector(f"{operation} .live-responses-table .response-col_status")
    assert "seen-through-the-docs" in page.inner_text(f"{operation} .responses-wrapper")
