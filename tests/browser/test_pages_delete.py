"""The delete page: when deletion is refused it asks nothing, says why and names what uses
the endpoint, with links; when allowed, it asks, and Delete is reachable from the keyboard."""

import re

import pytest
from playwright.sync_api import expect

from endpoints.models import Registry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_refused_deletion_asks_no_question(signed_in, live_server, make_registry, make_rule, make_project):
    page = signed_in
    hub = make_registry(name="hub", provider="docker-hub", url="https://hub.docker.com")
    make_rule("nightly-sync", source=hub)
    make_project("dockerhub-cache", registry=hub)
    page.goto(f"{live_server.url}/registries/{hub.pk}/delete/")

    expect(page.get_by_role("heading", name="Confirm Endpoint Deletion")).to_be_visible()
    expect(page.get_by_text("Do you want to delete")).to_have_count(0)
    refusal = page.locator("#delete-refused")
    expect(refusal).to_contain_text("The endpoint hub cannot be deleted while it is in use")
    expect(refusal.get_by_role("link", name="nightly-sync")).to_have_class(re.compile(r"\balert-link\b"))
    expect(refusal.get_by_role("link", name="dockerhub-cache")).to_have_class(re.compile(r"\balert-link\b"))
    expect(page.get_by_role("button", name="Delete")).to_have_count(0)


def test_an_allowed_deletion_asks_and_deletes_from_the_keyboard(signed_in, live_server, make_registry):
    page = signed_in
    doomed = make_registry(name="old-mirror")
    page.goto(f"{live_server.url}/registries/{doomed.pk}/delete/")
    expect(page.get_by_text("Do you want to delete the endpoint old-mirror?")).to_be_visible()
    page.get_by_role("button", name="Delete").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/registries/")
    expect(page.get_by_text("Deleted endpoint “old-mirror”.")).to_be_visible()
    assert not Registry.objects.exists()
