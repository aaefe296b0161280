"""What the browser tests of the list, detail, delete, result, login and error pages share:
personas signed in without the login form, a phone-sized browser, widths and axe."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.contrib.auth.models import Permission, User
from django.test import Client
from playwright.sync_api import Page, expect

from .conftest import OWNER_PASSWORD, TIMEOUT_MS, VIEWPORT

PHONE = {"width": 390, "height": 844}
ALL_PERMISSIONS = ("view_registry", "add_registry", "change_registry", "delete_registry")


def make_user(username: str, *codenames: str, staff: bool = True) -> User:
    """A user with the given `endpoints` permissions (password OWNER_PASSWORD)."""
    user = User.objects.create_user(username, password=OWNER_PASSWORD, is_staff=staff)
    if codenames:
        user.user_permissions.set(
            Permission.objects.filter(content_type__app_label="endpoints", codename__in=codenames)
        )
    return user


def sign_in(page: Page, live_server, user: User) -> None:
    """Give the browser a session for `user` (the login form has its own tests)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie,
                               "url": live_server.url}])


@contextmanager
def browser_page(browser, *, viewport: dict | None = None, javascript: bool = True) -> Iterator[Page]:
    """A page in a fresh context: another size, or JavaScript off."""
    context = browser.new_context(viewport=viewport or VIEWPORT, java_script_enabled=javascript,
                                  locale="en-US")
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        yield page
    finally:
        context.close()


def page_width(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def right_edge(locator) -> float:
    box = locator.bounding_box()
    assert box is not None, f"{locator} is not rendered"
    return box["x"] + box["width"]


def axe_violations(page: Page) -> str:
    """'' when axe finds nothing on the page as it is now, else its report."""
    results = Axe().run(page)
    return "" if results.violations_count == 0 else results.generate_report()


def row(page: Page, name: str):
    """The list row whose Name cell is `name`."""
    return page.locator("table.registry-table tbody tr").filter(
        has=page.get_by_role("link", name=name, exact=True)
    )


def press_test_connection(page: Page):
    """Click Test Connection and wait for the verdict; the result box."""
    page.get_by_role("button", name="Test Connection").click()
    result = page.locator("#test-result[role=status]")
    expect(result).to_contain_text("Took")  # the verdict has arrived
    return result
