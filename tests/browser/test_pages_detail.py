"""An endpoint's page: each CA certificate described (subject, issuer, expiry), IPv6 hosts
in brackets, a check timeline whose bars stay visible when checks took 0 ms, and a history
table that fits a phone."""

import pytest
import trustme
from django.utils import timezone
from playwright.sync_api import expect

from endpoints.models import HealthCheck
from endpoints.probe.result import Verdict

from .page_helpers import PHONE, browser_page, make_user, page_width, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def add_checks(registry, latencies, summary="s") -> None:
    for i, ms in enumerate(latencies):
        ok = i % 4 != 3
        HealthCheck.record(registry, Verdict(ok, "ok" if ok else "connect", summary, elapsed_ms=ms))


def test_the_ca_certificates_are_described(signed_in, live_server, make_registry):
    page = signed_in
    root, other = trustme.CA(organization_name="Acme Root"), trustme.CA(organization_name="Beta Root")
    pem = root.cert_pem.bytes().decode() + other.cert_pem.bytes().decode()
    registry = make_registry(name="private", url="https://registry.internal", ca_certificate=pem)
    page.goto(f"{live_server.url}/registries/{registry.pk}/")

    ca = page.locator("#ca-certificates li")
    expect(ca).to_have_count(2)
    expect(ca.nth(0)).to_contain_text("O=Acme Root")
    expect(ca.nth(0)).to_contain_text("issued by")
    expect(ca.nth(0)).to_contain_text("valid until")
    expect(ca.nth(1)).to_contain_text("O=Beta Root")


def test_ipv6_hosts_keep_their_brackets(signed_in, live_server, make_registry):
    page = signed_in
    registry = make_registry(name="v6", url="https://[fd00:1234::5]:5000/mirror")
    page.goto(f"{live_server.url}/registries/")
    expect(page.locator("table.registry-table td.col-url .url")).to_have_text("https://[fd00:1234::5]:5000/mirror")
    page.goto(f"{live_server.url}/registries/{registry.pk}/")
    expect(page.locator("#endpoint-url")).to_have_text("https://[fd00:1234::5]:5000/mirror")


def bar_heights(page) -> list[float]:
    return page.locator("svg.timeline rect").evaluate_all(
        "rects => rects.map(r => r.getBoundingClientRect().height)")


def test_the_timeline_keeps_0_ms_checks_visible(signed_in, live_server, make_registry):
    page = signed_in
    registry = make_registry(name="instant")
    add_checks(registry, [0] * 8)
    page.goto(f"{live_server.url}/registries/{registry.pk}/")
    svg_height = page.locator("svg.timeline").bounding_box()["height"]
    heights = bar_heights(page)
    assert len(heights) == 8
    assert min(heights) >= svg_height / 4, f"bars of {heights} px in a {svg_height} px chart"
    expect(page.locator("table.check-history tbody tr").first).to_contain_text("< 1 ms")


def test_the_timeline_scales_without_flattening_fast_checks(signed_in, live_server, make_registry):
    page = signed_in
    registry = make_registry(name="mixed")
    add_checks(registry, [0, 12, 40, 20000])  # oldest first
    page.goto(f"{live_server.url}/registries/{registry.pk}/")
    svg_height = page.locator("svg.timeline").bounding_box()["height"]
    heights = bar_heights(page)
    assert heights == sorted(heights) and len(set(heights)) == 4, heights
    assert heights[0] >= svg_height / 4
    assert heights[2] - heights[0] >= 4, "a 40 ms check looks the same as a 0 ms one"


def test_the_endpoint_page_fits_a_phone(browser, live_server, make_registry):
    registry = make_registry(name="flaky", url="https://registry-with-a-long-name.eu-west.example.com/prefix",
                             description="Mirror for the build farm", status="unhealthy",
                             status_detail="127.0.0.1:9 refused the connection: nothing listens on port 9.",
                             last_checked_at=timezone.now())
    add_checks(registry, range(20), summary="registry-with-a-long-name.eu-west.example.com:443 refused the "
                                            "connection: nothing listens on port 443. Check the port.")
    with browser_page(browser, viewport=PHONE) as page:
        sign_in(page, live_server, make_user("ops", "view_registry", "change_registry", "delete_registry"))
        page.goto(f"{live_server.url}/registries/{registry.pk}/")
        expect(page.get_by_role("heading", name="Recent checks")).to_be_visible()
        assert page_width(page) <= PHONE["width"]
        first = page.locator("table.check-history tbody tr").first
        expect(first).to_contain_text("Unhealthy")
        expect(first).to_contain_text("Latency")  # each stacked row says what its values are


def test_categories_are_said_in_words(signed_in, live_server, make_registry):
    page = signed_in
    reason = "The registry requires credentials."
    label = "Credentials refused or required"  # endpoints.probe.result.category_label("auth")
    registry = make_registry(name="locked", status="unhealthy", status_category="auth",
                             status_detail=reason, last_checked_at=timezone.now())
    HealthCheck.record(registry, Verdict(False, "auth", reason, elapsed_ms=7))
    page.goto(f"{live_server.url}/registries/")
    badge = page.locator("table.registry-table").get_by_text("Unhealthy", exact=True)
    expect(badge).to_have_attribute("title", f"{label}: {reason}")

    page.goto(f"{live_server.url}/registries/{registry.pk}/")
    expect(page.locator("#status-reason")).to_contain_text(label)
    expect(page.locator("table.check-history tbody tr").first).to_contain_text(label)
