"""The Registries list stays current without a reload: the statuses, "checked N min ago"
and the warnings of the visible rows refresh by themselves (a small script, CSP-clean),
a change is announced politely, polling pauses while the tab is hidden, and the banner
says when the monitor is not running."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from endpoints.models import HealthCheck, Registry
from endpoints.probe.result import Verdict

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BANNER = "The health monitor is not running"


def status_cell(page, name: str):
    return page.locator("tr", has=page.get_by_role("link", name=name, exact=True)).locator("td.col-status")


def checked_by_someone(registry, browser_owner, ok=True):
    registry.record_verdict(Verdict(ok, "ok" if ok else "connect", "fine" if ok else "refused"),
                            checked_by=browser_owner)
    HealthCheck.objects.filter(registry=registry).update(checked_at=timezone.now() - timedelta(minutes=20))
    Registry.objects.filter(pk=registry.pk).update(last_checked_at=timezone.now() - timedelta(minutes=20))


def test_statuses_refresh_in_place_and_changes_are_announced(signed_in, live_server, make_registry,
                                                             browser_owner, settings):
    settings.HEALTH_LIST_REFRESH_SECONDS = 1
    page = signed_in
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    mirror = make_registry(name="mirror")
    checked_by_someone(mirror, browser_owner)
    page.goto(f"{live_server.url}/registries/")
    cell = status_cell(page, "mirror")
    expect(cell.locator(".badge")).to_have_text("Healthy")
    expect(cell).to_contain_text("checked 20 min ago")
    expect(page.locator("#monitor-banner")).to_contain_text(BANNER)
    page.evaluate("window.notReloaded = true")

    # The monitor stores a failed check, and what the TLS step learnt.
    not_after = datetime.now(UTC) + timedelta(days=5, hours=2)
    Registry.record_verdicts([(mirror, Verdict(False, "connect", "127.0.0.1:9 refused the connection.",
                                               facts={"certificate": {"host": "mirror.example.com",
                                                                      "not_after": not_after.isoformat()}}))])

    expect(cell.locator(".badge")).to_have_text("Unhealthy", timeout=5000)
    expect(cell.locator(".badge")).to_have_class("badge text-bg-danger")
    expect(cell.locator(".badge")).to_have_attribute(
        "title", "Cannot connect: 127.0.0.1:9 refused the connection.")
    expect(cell).to_contain_text("checked just now")
    expect(cell).to_contain_text("Certificate expires in 5 days")
    expect(page.locator("#status-changes")).to_have_text("mirror is now Unhealthy.")
    expect(page.locator("#monitor-banner")).to_be_hidden()  # a scheduled check just came in
    assert page.evaluate("window.notReloaded") is True
    assert errors == []


def test_polling_pauses_while_the_tab_is_hidden(signed_in, live_server, make_registry, settings):
    settings.HEALTH_LIST_REFRESH_SECONDS = 1
    page = signed_in
    make_registry(name="mirror")
    polls = []
    page.on("request",
            lambda request: polls.append(request.url) if "/registries/status/" in request.url else None)
    page.goto(f"{live_server.url}/registries/")
    page.wait_for_timeout(2500)
    assert len(polls) >= 1

    page.evaluate("""() => {
        Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true});
        document.dispatchEvent(new Event('visibilitychange'));
    }""")
    hidden_at = len(polls)
    page.wait_for_timeout(3000)
    assert len(polls) == hidden_at

    page.evaluate("""() => {
        Object.defineProperty(document, 'visibilityState', {value: 'visible', configurable: true});
        document.dispatchEvent(new Event('visibilitychange'));
    }""")
    page.wait_for_timeout(500)
    assert len(polls) == hidden_at + 1  # at once when the tab is back


def test_the_banner_appears_when_the_monitor_goes_quiet(signed_in, live_server, make_registry, settings):
    settings.HEALTH_LIST_REFRESH_SECONDS = 1
    settings.HEALTH_CHECK_INTERVAL = 2
    page = signed_in
    mirror = make_registry(name="mirror")
    Registry.record_verdicts([(mirror, Verdict(True, "ok", "fine"))])  # a scheduled check, now
    page.goto(f"{live_server.url}/registries/")
    expect(page.locator("#monitor-banner")).to_be_hidden()

    # Nothing stored for two intervals (4 s): the banner says so without a reload.
    expect(page.locator("#monitor-banner")).to_contain_text(BANNER, timeout=8000)
    expect(page.locator("#monitor-banner")).to_contain_text("manage.py monitor_registries")
