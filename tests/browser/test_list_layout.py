"""The Registries list on a phone (390 px) and with long URLs and descriptions at 1280 px:
nothing wider than the screen, every column and action reachable, URLs broken at `/`,
`.` and `:`, descriptions clamped with the full text on hover and on the endpoint's page."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from .page_helpers import PHONE, browser_page, make_user, page_width, right_edge, row, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_URL = "https://registry-mirror-for-the-eu-west-build-farm.internal.example.com:5000/team-platform/prefix"
LONG_DESCRIPTION = "A" * 300  # one token with no break opportunity


def seed(make_registry) -> None:
    now = timezone.now()
    make_registry(name="ecr-prod", provider="aws-ecr",
                  url="https://123456789012.dkr.ecr.eu-west-1.amazonaws.com", access_id="AKIAEXAMPLE",
                  secret="example", status="unhealthy", status_category="auth",
                  status_detail="AWS refused the access key.", last_checked_at=now - timedelta(minutes=12),
                  description="Production images, eu-west-1")
    make_registry(name="long-one", url=LONG_URL, description=LONG_DESCRIPTION, status="healthy",
                  last_checked_at=now - timedelta(minutes=3))


def test_the_list_fits_a_phone_with_every_column_and_action(browser, live_server, make_registry):
    seed(make_registry)
    with browser_page(browser, viewport=PHONE) as page:
        sign_in(page, live_server, make_user("ops", "view_registry", "change_registry", "delete_registry"))
        page.goto(f"{live_server.url}/registries/")

        assert page_width(page) <= PHONE["width"]
        ecr = row(page, "ecr-prod")
        for text in ("Unhealthy", "123456789012", "AWS ECR", "Production images"):
            expect(ecr.get_by_text(text, exact=False).first).to_be_visible()
        for name in ("Edit", "Check now", "Delete"):
            action = ecr.get_by_role("link", name=name).or_(ecr.get_by_role("button", name=name))
            expect(action).to_be_visible()
            assert right_edge(action) <= PHONE["width"], f"{name} is off-screen"
        # The labels of the hidden header row are said in each stacked row.
        expect(ecr.get_by_text("Endpoint URL")).to_be_visible()
        new = page.get_by_role("link", name="+ New Endpoint")
        expect(new).to_be_hidden()  # this user may not add endpoints
        expect(page.get_by_label("Page size")).to_be_visible()
        assert right_edge(page.get_by_label("Page size")) <= PHONE["width"]


def test_the_navbar_collapses_on_a_phone_and_opens_from_the_keyboard(browser, live_server, make_registry):
    with browser_page(browser, viewport=PHONE) as page:
        sign_in(page, live_server, make_user("ops", "view_registry"))
        page.goto(f"{live_server.url}/registries/")
        log_out = page.get_by_role("button", name="Log out")
        menu = page.get_by_role("button", name="Menu")
        expect(log_out).to_be_hidden()
        expect(menu).to_have_attribute("aria-expanded", "false")

        menu.focus()
        page.keyboard.press("Enter")
        expect(menu).to_have_attribute("aria-expanded", "true")
        expect(log_out).to_be_visible()
        assert right_edge(log_out) <= PHONE["width"]
        for _ in range(6):
            page.keyboard.press("Tab")
            if log_out.evaluate("e => e === document.activeElement"):
                break
        expect(log_out).to_be_focused()
        assert page_width(page) <= PHONE["width"]


def test_without_javascript_the_phone_navbar_shows_log_out(browser, live_server):
    with browser_page(browser, viewport=PHONE, javascript=False) as page:
        sign_in(page, live_server, make_user("maria.garcia-lopez", "view_registry"))
        page.goto(f"{live_server.url}/registries/")
        log_out = page.get_by_role("button", name="Log out")
        expect(log_out).to_be_visible()
        assert right_edge(log_out) <= PHONE["width"]
        expect(page.get_by_role("button", name="Menu")).to_be_hidden()
        assert page_width(page) <= PHONE["width"]


def url_line_breaks(page: Page, cell) -> list[str]:
    """The two characters around each place the browser wrapped the URL cell's text."""
    return cell.evaluate("""cell => {
        const breaks = [];
        let lastTop = null, previous = '';
        const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
        const range = document.createRange();
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            for (let i = 0; i < node.length; i++) {
                range.setStart(node, i); range.setEnd(node, i + 1);
                const rect = range.getClientRects()[0];
                if (!rect) continue;
                if (lastTop !== null && rect.top > lastTop + 2) breaks.push(previous + node.data[i]);
                lastTop = rect.top; previous = node.data[i];
            }
        }
        return breaks;
    }""")


def sensible(wrap: str) -> bool:
    """After a colon, a slash or a hyphen; before a dot or a slash."""
    before, after = wrap
    return before in ":/-" or after in "./"


def test_long_urls_break_at_separators_and_descriptions_are_clamped(signed_in, live_server, make_registry):
    page = signed_in
    seed(make_registry)
    page.goto(f"{live_server.url}/registries/")

    table = page.locator("table.registry-table")
    assert table.evaluate("t => t.scrollWidth <= t.parentElement.clientWidth"), "the table is too wide"
    assert page_width(page) <= 1280
    long_row = row(page, "long-one")
    delete = long_row.get_by_role("link", name="Delete")
    assert right_edge(delete) <= 1280

    url_cell = long_row.locator("td.col-url .url")
    expect(url_cell).to_have_text(LONG_URL)
    breaks = url_line_breaks(page, url_cell)
    assert breaks, "expected the long URL to wrap at this width"
    assert all(sensible(wrap) for wrap in breaks), f"the URL wrapped between {breaks}"

    description = long_row.locator("td.col-description .clamp")
    line_height = float(description.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)"))
    assert description.bounding_box()["height"] <= 2 * line_height + 1
    expect(description).to_have_attribute("title", LONG_DESCRIPTION)

    # Narrower windows: the table still fits (a card per row below 992 px).
    for width in (800, 1024, 1200):
        page.set_viewport_size({"width": width, "height": 800})
        assert page_width(page) <= width, f"the list is wider than a {width} px window"
        assert right_edge(delete) <= width

    # The endpoint's page shows all of it, and wraps it.
    page.set_viewport_size({"width": 1280, "height": 800})
    long_row.get_by_role("link", name="long-one").click()
    expect(page.get_by_text(LONG_DESCRIPTION)).to_be_visible()
    assert page_width(page) <= 1280
