"""Statuses do not refresh by themselves: when any endpoint's last check is older than an
hour, the list says so and what to do (Check now, or schedule check_registries)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BANNER = "Statuses are from checks older than an hour"


def test_a_status_older_than_an_hour_is_pointed_out(signed_in, live_server, make_registry):
    page = signed_in
    now = timezone.now()
    make_registry(name="fresh", status="healthy", last_checked_at=now - timedelta(minutes=5))
    make_registry(name="stale", status="healthy", last_checked_at=now - timedelta(hours=3))
    page.goto(f"{live_server.url}/registries/")

    banner = page.locator("#stale-statuses")
    expect(banner).to_contain_text(BANNER)
    expect(banner).to_contain_text("1 endpoint")
    expect(banner).to_contain_text("Check now")
    expect(banner).to_contain_text("manage.py check_registries")
    expect(banner).to_contain_text("docs/scheduling.md")


def test_fresh_or_never_checked_statuses_need_no_banner(signed_in, live_server, make_registry):
    page = signed_in
    make_registry(name="fresh", status="healthy", last_checked_at=timezone.now() - timedelta(minutes=59))
    make_registry(name="new")  # Unknown, "never checked": the badge says it already
    page.goto(f"{live_server.url}/registries/")
    expect(page.get_by_role("link", name="fresh")).to_be_visible()
    expect(page.get_by_text(BANNER)).to_have_count(0)
