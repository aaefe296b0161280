"""Every state of the list, detail, delete, bulk, throttled, login and error pages, at
1280 px and 390 px: axe finds nothing, and nothing is wider than the screen. Keyboard
focus is drawn with a strong ring."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import trustme
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import Page, expect

from endpoints.models import ConnectionAttempt, HealthCheck, Registry
from endpoints.probe.result import Verdict
from tests.fixtures.registry_servers import free_port

from .page_helpers import (
    ALL_PERMISSIONS,
    PHONE,
    axe_violations,
    browser_page,
    make_user,
    page_width,
    sign_in,
)
from .test_pages_errors import lock_out
from .test_registries_journey import VIEWPORT, seed_realistic_list

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def seed_world(make_registry, make_rule) -> dict[str, Registry]:
    seed_realistic_list(make_registry, make_rule)
    ecr = Registry.objects.get(name="ecr-prod")
    for i in range(12):
        ok = i % 3 != 0
        HealthCheck.record(ecr, Verdict(ok, "ok" if ok else "auth", "AWS refused the access key." if not ok
                                        else "Authenticated.", elapsed_ms=(0, 35, 420)[i % 3]))
    Registry.objects.filter(pk=ecr.pk).update(ca_certificate=trustme.CA().cert_pem.bytes().decode())
    make_registry(name="stale-mirror", url="https://registry-mirror.eu-west.build-farm.example.com:5000/prefix",
                  description="Pull-through cache for the build farm in eu-west; " + "x" * 120,
                  status="healthy", last_checked_at=timezone.now() - timedelta(hours=5))
    free = make_registry(name="unused", url=f"http://127.0.0.1:{free_port()}")
    make_registry(name="local-down", url=f"http://127.0.0.1:{free_port()}")
    return {"ecr": ecr, "free": free, "hub": Registry.objects.get(name="docker-hub-mirror")}


def walk(page: Page, live_server, make_registry, make_rule) -> Iterator[str]:
    """Go to each page state in turn; yield its name once it is on screen."""
    base = live_server.url
    owner = make_user(f"owner{page.viewport_size['width']}", *ALL_PERMISSIONS)
    sign_in(page, live_server, owner)

    page.goto(f"{base}/registries/")
    yield "list, empty"
    world = seed_world(make_registry, make_rule)
    page.goto(f"{base}/registries/")
    yield "list, filled (with the stale-status banner)"
    page.goto(f"{base}/registries/?q=ecr")
    yield "list, filtered"
    page.goto(f"{base}/registries/?q=nothing-like-this")
    yield "list, filtered to nothing"
    page.get_by_role("link", name="Clear the filter").click()
    page.get_by_label("Select ecr-prod").check()
    page.get_by_label("Select unused").check()
    expect(page.locator("#bulk-form button[name=action][value=delete]")).to_be_enabled()
    yield "list, two rows selected"
    page.locator("#bulk-form button[name=action][value=delete]").click()
    expect(page.get_by_role("heading", name="Confirm Endpoint Deletion")).to_be_visible()
    yield "bulk delete, confirm"
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("heading", name="Delete: results")).to_be_visible()
    yield "bulk delete, results"
    page.get_by_role("link", name="Back to Registries").click()
    page.get_by_label("Select local-down").check()  # nothing listens: no network needed
    page.locator("#bulk-form button[name=action][value=check]").click()
    expect(page.get_by_role("heading", name="Check now: results")).to_be_visible()
    yield "bulk check, results"

    page.goto(f"{base}/registries/{world['ecr'].pk}/")
    yield "detail (CA, history, timeline, used by)"
    page.goto(f"{base}/registries/{world['ecr'].pk}/delete/")
    yield "delete, refused"
    free = make_registry(name=f"doomed{page.viewport_size['width']}")
    page.goto(f"{base}/registries/{free.pk}/delete/")
    yield "delete, confirm"
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_text("Deleted endpoint")).to_be_visible()
    yield "list, after a delete (message)"

    now = timezone.now()
    ConnectionAttempt.objects.bulk_create(
        ConnectionAttempt(user=owner, kind="check", started_at=now, finished_at=now, outcome="ok")
        for _ in range(settings.ENDPOINT_TESTS_PER_MINUTE + 1)
    )
    page.goto(f"{base}/registries/{world['hub'].pk}/")
    page.get_by_role("button", name="Check now").click()
    expect(page.get_by_role("heading", name="Too many connection tests")).to_be_visible()
    yield "throttled"

    page.context.clear_cookies()
    sign_in(page, live_server, make_user(f"viewer{page.viewport_size['width']}", "view_registry"))
    page.goto(f"{base}/registries/{world['hub'].pk}/delete/")
    yield "403, missing permission"
    page.goto(f"{base}/registries/999999/")
    yield "404"
    page.context.clear_cookies()
    sign_in(page, live_server, make_user(f"contractor{page.viewport_size['width']}", *ALL_PERMISSIONS,
                                         staff=False))
    page.goto(f"{base}/registries/")
    yield "403, not a staff account"

    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/?next=/registries/")
    yield "login"
    page.fill("#id_username", "nobody")
    page.fill("#id_password", "wrong")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    yield "login, wrong password"
    lock_out(page, live_server, f"locked{page.viewport_size['width']}")
    expect(page.get_by_role("heading", name="Too many failed logins")).to_be_visible()
    yield "lockout"


@pytest.mark.parametrize("viewport", [VIEWPORT, PHONE], ids=["1280px", "390px"])
def test_every_page_state_passes_axe_and_fits_the_screen(browser, live_server, make_registry, make_rule,
                                                        viewport):
    problems: dict[str, str] = {}
    seen = []
    with browser_page(browser, viewport=viewport) as page:
        for state in walk(page, live_server, make_registry, make_rule):
            seen.append(state)
            if report := axe_violations(page):
                problems[state] = report
            if (width := page_width(page)) > viewport["width"]:
                problems[state] = problems.get(state, "") + f"\npage is {width} px wide"
    assert len(seen) == 19
    assert problems == {}, "\n\n".join(f"== {state} ==\n{report}" for state, report in problems.items())


def focus_ring(page: Page) -> dict:
    return page.evaluate("""() => {
        const style = getComputedStyle(document.activeElement);
        return {style: style.outlineStyle, width: parseFloat(style.outlineWidth), color: style.outlineColor};
    }""")


def test_keyboard_focus_has_a_strong_ring(signed_in, live_server, make_registry):
    page = signed_in
    make_registry(name="hub")
    page.goto(f"{live_server.url}/registries/")
    for target in (page.get_by_label("Filter Endpoints"), page.get_by_role("button", name="Filter"),
                   page.get_by_label("Select hub"), page.get_by_role("link", name="hub")):
        target.focus()
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")  # focus from the keyboard, as :focus-visible needs
        expect(target).to_be_focused()
        ring = focus_ring(page)
        assert ring["style"] != "none" and ring["width"] >= 2, (target, ring)
