"""What the list offers each single permission: no checkboxes or bulk bar for a user who
can neither check nor delete; only the bulk action a user may take."""

import pytest
from playwright.sync_api import expect

from .page_helpers import make_user, row, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(("permissions", "bulk_actions"), [
    (("view_registry",), []),
    (("view_registry", "change_registry"), ["check"]),
    (("view_registry", "delete_registry"), ["delete"]),
    (("view_registry", "add_registry"), []),
], ids=["view", "view+change", "view+delete", "view+add"])
def test_only_actions_the_user_can_take_are_offered(page, live_server, make_registry, permissions,
                                                     bulk_actions):
    make_registry(name="hub")
    sign_in(page, live_server, make_user("someone", *permissions))
    page.goto(f"{live_server.url}/registries/")
    expect(row(page, "hub")).to_have_count(1)

    boxes = page.get_by_role("checkbox")
    expect(boxes).to_have_count(2 if bulk_actions else 0)  # select-all and the row
    expect(page.get_by_text("With selected:")).to_have_count(1 if bulk_actions else 0)
    offered = page.locator("#bulk-form button[name=action]").evaluate_all("bs => bs.map(b => b.value)")
    assert offered == bulk_actions
    if not bulk_actions:
        expect(page.locator("table.registry-table thead th").first).to_have_text("Name")
