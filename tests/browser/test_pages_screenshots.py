"""The README's screenshots of the list and delete pages, at 1280 px and on a phone
(HARBORREG_SCREENSHOTS=1 writes them to docs/screenshots/)."""

import pytest
from playwright.sync_api import expect

from endpoints.models import Registry
from endpoints.probe.result import Verdict

from .page_helpers import ALL_PERMISSIONS, PHONE, browser_page, make_user, page_width, row, sign_in
from .test_registries_journey import seed_realistic_list

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_list_empty_filled_and_on_a_phone(signed_in, live_server, browser, make_registry, make_rule,
                                              screenshot):
    page = signed_in
    expect(page.get_by_text("We couldn't find any endpoints!")).to_be_visible()
    screenshot(page, "registries-list-empty", full_page=False)

    seed_realistic_list(make_registry, make_rule)
    make_registry(name="ci-registry", url="http://127.0.0.1:5000", description="The CI pull-through registry",
                  status="healthy", status_detail="The registry answered.")
    Registry.objects.filter(name="ci-registry").update(last_checked_at=Registry.objects.get(
        name="docker-hub-mirror").last_checked_at)
    # The monitor's latest round, as after `make run`: the list has no banner to show.
    Registry.record_verdicts([(Registry.objects.get(name="ci-registry"),
                               Verdict(True, "ok", "The registry answered.", [], 12))])
    page.reload()
    expect(page.locator("table.registry-table tbody tr")).to_have_count(4)
    expect(page.locator("#monitor-banner")).to_be_hidden()
    screenshot(page, "registries-list")

    with browser_page(browser, viewport=PHONE) as phone:
        sign_in(phone, live_server, make_user("maria.garcia", *ALL_PERMISSIONS))
        phone.goto(f"{live_server.url}/registries/")
        expect(row(phone, "ecr-prod")).to_contain_text("AWS ECR")
        assert page_width(phone) <= PHONE["width"]
        screenshot(phone, "registries-list-phone", full_page=False)


def test_a_refused_deletion(signed_in, live_server, make_registry, make_rule, screenshot):
    page = signed_in
    doomed = make_registry(name="old-mirror", url="https://old.example.com")
    make_rule(name="nightly-sync", source=doomed)
    make_rule(name="push-to-dr", destination=doomed, enabled=False)
    page.goto(f"{live_server.url}/registries/{doomed.pk}/delete/")
    expect(page.locator("#delete-refused")).to_contain_text("cannot be deleted while it is in use")
    screenshot(page, "delete-refused", full_page=False)
