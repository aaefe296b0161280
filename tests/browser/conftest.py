"""Playwright with Debian's Chromium against pytest-django's live_server."""

import os
from pathlib import Path

import pytest
from django.contrib.auth.models import User

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API + ORM

# README screenshots are refreshed on request (HARBORREG_SCREENSHOTS=1); otherwise they go
# to a temporary folder so a test run leaves the docs alone.
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
VIEWPORT = {"width": 1280, "height": 800}
OWNER_PASSWORD = "browser-owner-pass"
# Playwright's default is 30 s; everything here is local, so fail fast instead.
TIMEOUT_MS = 10_000


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": VIEWPORT, "locale": "en-US"}


@pytest.fixture
def page(page):
    page.set_default_timeout(TIMEOUT_MS)
    return page


@pytest.fixture
def browser_owner(db) -> User:
    """A superuser with a known password, logged in through the real form."""
    return User.objects.create_superuser("alice", "alice@example.com", OWNER_PASSWORD)


def log_in(page, live_server, user: User) -> None:
    page.goto(f"{live_server.url}/accounts/login/?next=/registries/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", OWNER_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/registries/")


@pytest.fixture
def signed_in(page, live_server, browser_owner):
    """The `page`, logged in as the owner and showing the Registries list."""
    log_in(page, live_server, browser_owner)
    return page


@pytest.fixture
def screenshot(tmp_path_factory):
    """Save a screenshot NAME.png: into docs/screenshots/ with HARBORREG_SCREENSHOTS=1."""
    folder = (
        DOCS_SCREENSHOTS if os.environ.get("HARBORREG_SCREENSHOTS") == "1"
        else tmp_path_factory.mktemp("screenshots")
    )

    def take(page, name: str, full_page: bool = True) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        # No hover or focus ring on whatever was clicked or typed into last.
        page.mouse.move(0, 0)
        page.evaluate("document.activeElement && document.activeElement.blur()")
        page.screenshot(path=str(path), full_page=full_page, animations="disabled", caret="hide")
        return path

    return take

