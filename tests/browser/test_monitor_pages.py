"""Recent events, an endpoint's events and expiries, the list's warnings and the monitor
banner, at 1280 px and 390 px: axe finds nothing and nothing is wider than the screen.
Screenshots for the docs (HARBORREG_SCREENSHOTS=1 writes them to docs/screenshots/)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from endpoints.models import Registry
from endpoints.probe.result import Verdict
from monitor.lease import Lease
from monitor.models import Delivery, Event, NotificationChannel

from .page_helpers import ALL_PERMISSIONS, PHONE, axe_violations, browser_page, make_user, page_width, sign_in
from .test_registries_journey import VIEWPORT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def seed(make_registry) -> dict[str, Registry]:
    now = datetime.now(UTC)
    mirror = make_registry(name="harbor-eu-mirror", provider="harbor", url="https://harbor.eu.example.com",
                           credential_expires_on=now.date() + timedelta(days=6))
    hub = make_registry(name="docker-hub-pulls", provider="docker-hub", url="https://hub.docker.com")
    Registry.record_verdicts([
        (mirror, Verdict(False, "connect", "harbor.eu.example.com:443 refused the connection.", facts={
            "certificate": {"host": "harbor.eu.example.com",
                            "not_after": (now + timedelta(days=5, hours=3)).isoformat()}})),
        (hub, Verdict(True, "ok", "Authenticated as ci.", facts={
            "pull_budget": {"limit": 100, "remaining": 8, "window_s": 21600}})),
    ])
    ops = NotificationChannel.objects.create(name="ops webhook", kind="webhook",
                                             url="https://hooks.example.com/x")
    mail = NotificationChannel.objects.create(name="on-call mail", kind="email",
                                              recipients="oncall@example.com")
    events = [
        Event(kind="unhealthy", registry=mirror, registry_name=mirror.name, old_state="healthy",
              new_state="unhealthy", category="connect", category_label="Cannot connect",
              summary="harbor.eu.example.com:443 refused the connection. Check that the registry is running.",
              created_at=timezone.now() - timedelta(minutes=3)),
        Event(kind="warning", registry=mirror, registry_name=mirror.name, old_state="unhealthy",
              new_state="unhealthy", category="certificate", category_label="Certificate expiry",
              summary=f"The certificate of harbor.eu.example.com expires on "
                      f"{now + timedelta(days=5, hours=3):%Y-%m-%d} (in 5 days).",
              created_at=timezone.now() - timedelta(minutes=2)),
        Event(kind="warning", registry=hub, registry_name=hub.name, old_state="healthy", new_state="healthy",
              category="pull_budget", category_label="Docker Hub pull budget",
              summary="Pulls left: 8 of 100 per 6 h (under 10 %).",
              created_at=timezone.now() - timedelta(minutes=1)),
        Event(kind="recovered", registry=hub, registry_name=hub.name, old_state="unhealthy",
              new_state="healthy",
              category="ok", category_label="Connection works", summary="Authenticated as ci.",
              created_at=timezone.now() - timedelta(hours=2)),
    ]
    Event.objects.bulk_create(events)
    for event in Event.objects.all():
        Delivery.objects.create(event=event, channel=ops, status="delivered", attempts=1, outcome="HTTP 204")
        Delivery.objects.create(event=event, channel=mail, status="failed", attempts=4, outcome="refused")
    return {"mirror": mirror, "hub": hub}


@pytest.mark.parametrize("viewport", [VIEWPORT, PHONE], ids=["1280px", "390px"])
def test_the_monitor_pages_pass_axe_and_fit_the_screen(browser, live_server, make_registry, viewport,
                                                       screenshot):
    world = seed(make_registry)
    problems = {}
    with browser_page(browser, viewport=viewport) as page:
        sign_in(page, live_server, make_user(f"viewer{viewport['width']}", *ALL_PERMISSIONS))
        suffix = "" if viewport is VIEWPORT else "-phone"
        page.goto(f"{live_server.url}/events/")  # no monitor yet: the page says so, and passes axe
        expect(page.locator("#monitor-status")).to_contain_text("The health monitor is not running")
        if report := axe_violations(page):
            problems["recent-events, no monitor"] = report
        assert Lease("vm:1:at-work", ttl=600).hold()  # then a monitor at work, as after make run
        for name, path in [("recent-events", "/events/"), ("registries-list-warnings", "/registries/"),
                           ("registry-detail-expiry", f"/registries/{world['mirror'].pk}/")]:
            page.goto(f"{live_server.url}{path}")
            if report := axe_violations(page):
                problems[name] = report
            if (width := page_width(page)) > viewport["width"]:
                problems[name] = problems.get(name, "") + f"\npage is {width} px wide"
            screenshot(page, name + suffix)
        html = page.content()
    assert problems == {}
    assert "Certificate expires" in html and "Credential expires" in html and "Events" in html
