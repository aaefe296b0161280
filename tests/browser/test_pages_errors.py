"""Refusals are pages of the site: the navigation, Log out, and why and what to do: not a
staff account, a missing permission (which one), an unknown address, a login lockout
(for how many minutes)."""

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from playwright.sync_api import Page, expect

from endpoints.models import Registry

from .conftest import OWNER_PASSWORD
from .page_helpers import ALL_PERMISSIONS, make_user, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def expect_site_frame(page: Page, *, signed_in: bool = True) -> None:
    main_nav = page.get_by_role("navigation", name="Main")
    expect(main_nav.get_by_role("link", name="harborreg")).to_be_visible()
    if signed_in:
        expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_a_non_staff_account_is_told_it_is_not_a_staff_account(page, live_server):
    sign_in(page, live_server, make_user("contractor", *ALL_PERMISSIONS, staff=False))
    response = page.goto(f"{live_server.url}/registries/")
    assert response.status == 403
    expect(page.get_by_role("heading", name="Access denied")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("contractor is not a staff account")
    expect(page.get_by_role("main")).to_contain_text("Ask an administrator")
    expect_site_frame(page)
    # Nothing in the navigation leads to another refusal.
    main_nav = page.get_by_role("navigation", name="Main")
    expect(main_nav.get_by_role("link", name="Registries")).to_have_count(0)


def test_a_missing_permission_is_named(page, live_server, make_registry):
    registry = make_registry(name="hub")
    sign_in(page, live_server, make_user("viewer", "view_registry"))
    response = page.goto(f"{live_server.url}/registries/{registry.pk}/delete/")
    assert response.status == 403
    main = page.get_by_role("main")
    expect(page.get_by_role("heading", name="Access denied")).to_be_visible()
    expect(main).to_contain_text("Can delete registry endpoint")
    expect(main).to_contain_text("endpoints.delete_registry")
    expect(main).to_contain_text("Ask an administrator")
    expect_site_frame(page)
    main.get_by_role("link", name="Back to Registries").click()
    expect(page.get_by_role("heading", name="Registries")).to_be_visible()


def test_an_unknown_endpoint_is_a_page_of_the_site(page, live_server, make_registry):
    registry = make_registry(name="gone")
    pk = registry.pk
    Registry.objects.filter(pk=pk).delete()
    sign_in(page, live_server, make_user("ops", *ALL_PERMISSIONS))
    response = page.goto(f"{live_server.url}/registries/{pk}/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("may have been deleted")
    expect_site_frame(page)
    page.get_by_role("main").get_by_role("link", name="Back to Registries").click()
    expect(page.get_by_role("heading", name="Registries")).to_be_visible()


def lock_out(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        page.fill("#id_username", username)
        page.fill("#id_password", "not-the-password")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state()
        if page.get_by_role("heading", name="Too many failed logins").count():
            return


def test_a_login_lockout_says_for_how_long(page, live_server, browser_owner):
    lock_out(page, live_server, browser_owner.username)
    minutes = round(settings.AXES_COOLOFF_TIME * 60)
    expect(page.get_by_role("heading", name="Too many failed logins")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(f"Try again in {minutes} minutes")
    expect(page.get_by_role("main")).to_contain_text(browser_owner.username)
    expect_site_frame(page, signed_in=False)
    expect(page.get_by_role("main")).to_contain_text("even with the right password, starts the wait again")
    # As the page says: the right password does not get in, and the wait starts again.
    locked_at = AccessAttempt.objects.get(username=browser_owner.username).attempt_time
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", browser_owner.username)
    page.fill("#id_password", OWNER_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Too many failed logins")).to_be_visible()
    assert AccessAttempt.objects.get(username=browser_owner.username).attempt_time > locked_at
