"""What the New / Edit Endpoint browser tests share: a signed-in page at a given width, with
JavaScript on or off, and the ways a user fills and submits the form."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from playwright.sync_api import Page

from .conftest import TIMEOUT_MS

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
WIDTHS = [DESKTOP, PHONE]
WIDTH_IDS = ["1280px", "390px"]
# Nothing listens on the discard port: a connection test fails at once ("connect").
DEAD_URL = "http://127.0.0.1:9"


@contextmanager
def form_page(browser, live_server, user: User, *, viewport: dict = DESKTOP,
              javascript: bool = True) -> Iterator[Page]:
    """A fresh browser context signed in as `user` (the login form has its own tests)."""
    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport=viewport, java_script_enabled=javascript, locale="en-US",
                                  reduced_motion="reduce")  # no mid-transition colours for axe
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "url": live_server.url,
                          "value": client.cookies[settings.SESSION_COOKIE_NAME].value}])
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        yield page
    finally:
        context.close()


def fill_new(page: Page, live_server, *, provider: str = "docker-registry", name: str = "mirror",
             url: str = DEAD_URL, access_id: str = "", secret: str = "") -> None:
    """Open New Endpoint and type an endpoint into it (JavaScript on or off)."""
    page.goto(f"{live_server.url}/registries/new/")
    page.get_by_label("Provider").select_option(provider)
    page.locator("#id_name").fill(name)
    page.locator("#id_url").fill(url)
    if access_id:
        page.locator("#id_access_id").fill(access_id)
    if secret:
        page.locator("[name=access_secret]").fill(secret)


def focused_id(page: Page) -> str:
    return page.evaluate("document.activeElement ? document.activeElement.id : ''")


def press_button(page: Page, name: str) -> None:
    """Focus a button by keyboard-like means and press it with the keyboard."""
    page.get_by_role("button", name=name, exact=True).focus()
    page.keyboard.press("Enter")


SCRIPT_TAG = re.compile(r'<script src="[^"]*"[^>]*></script>')


def render_as_without_javascript(page: Page) -> None:
    """Serve this page's documents as a browser without JavaScript shows them: the page's
    own scripts left out and <noscript> content shown. axe needs JavaScript to run (in a
    context with it off it never finishes), so its JS-off checks run on such a page."""

    def without_scripts(route) -> None:
        if route.request.resource_type != "document":
            route.continue_()
            return
        response = route.fetch()
        body = response.text()
        if "text/html" in response.headers.get("content-type", ""):
            body = SCRIPT_TAG.sub("", body).replace("<noscript>", "").replace("</noscript>", "")
        route.fulfill(response=response, body=body)

    page.route("**/*", without_scripts)
