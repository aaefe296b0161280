"""The Registries list: columns, search, sort, page sizes, empty state, Used by."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from endpoints.models import Registry
from endpoints.probe.result import Verdict

pytestmark = pytest.mark.django_db


def names_in(response) -> list[str]:
    html = response.content.decode()
    return re.findall(r'<a href="/registries/\d+/">([^<]+)</a>', html)


def test_it_shows_the_heading_columns_and_new_button(owner_client, make_registry):
    make_registry(name="alpha", description="eu mirror")
    html = owner_client.get("/registries/").content.decode()
    assert "<h1" in html and ">Registries</h1>" in html
    assert "+ New Endpoint" in html
    headers = re.findall(r'<th scope="col"[^>]*>(?:<a [^>]*>)?([^<▲▼]+)', html)
    assert [h.strip() for h in headers] == [
        "Name", "Status", "Endpoint URL", "Provider", "Verify Remote Cert", "Used by",
        "Creation Time", "Description",
    ]
    assert 'placeholder="Filter Endpoints"' in html
    assert "eu mirror" in html


def test_it_shows_the_empty_state(owner_client):
    html = owner_client.get("/registries/").content.decode()
    assert "We couldn&#x27;t find any endpoints!" in html or "We couldn't find any endpoints!" in html
    assert 'href="/registries/new/"' in html


def test_it_filters_by_name_url_and_description(owner_client, make_registry):
    make_registry(name="alpha", url="https://a.example.com")
    make_registry(name="beta", url="https://mirror.example.org")
    make_registry(name="gamma", url="https://g.example.com", description="Tokyo mirror")
    assert names_in(owner_client.get("/registries/?q=ALP")) == ["alpha"]
    assert names_in(owner_client.get("/registries/?q=example.org")) == ["beta"]
    assert names_in(owner_client.get("/registries/?q=tokyo")) == ["gamma"]
    empty = owner_client.get("/registries/?q=nothing-matches").content.decode()
    assert "find any endpoints!" in empty and "Clear the filter" in empty


def test_it_never_matches_the_secret(owner_client, make_registry):
    make_registry(name="alpha", secret="findme-canary-9137")
    assert names_in(owner_client.get("/registries/?q=findme-canary")) == []


def test_it_sorts_newest_first_by_default_and_by_name_and_status(owner_client, make_registry):
    now = timezone.now()
    for offset, (name, status) in enumerate([("b", "healthy"), ("a", "unhealthy"), ("c", "unknown")]):
        registry = make_registry(name=name, status=status)
        Registry.objects.filter(pk=registry.pk).update(created_at=now + timedelta(minutes=offset))
    assert names_in(owner_client.get("/registries/")) == ["c", "a", "b"]
    assert names_in(owner_client.get("/registries/?sort=created")) == ["b", "a", "c"]
    assert names_in(owner_client.get("/registries/?sort=name")) == ["a", "b", "c"]
    assert names_in(owner_client.get("/registries/?sort=-name")) == ["c", "b", "a"]
    assert names_in(owner_client.get("/registries/?sort=status")) == ["b", "a", "c"]
    assert names_in(owner_client.get("/registries/?sort=bogus")) == ["c", "a", "b"]


@pytest.mark.parametrize(("per_page", "expected"), [(None, 15), ("25", 25), ("50", 40), ("7", 15)])
def test_it_pages_with_the_allowed_sizes(owner_client, make_registry, per_page, expected):
    Registry.objects.bulk_create(
        Registry(name=f"r{i:03}", provider="docker-registry", url=f"https://r{i}.example.com")
        for i in range(40)
    )
    query = f"?per_page={per_page}" if per_page else ""
    response = owner_client.get("/registries/" + query)
    assert len(names_in(response)) == expected
    html = response.content.decode()
    assert f"1 - {expected} of 40 items" in html
    assert all(f'<option value="{size}"' in html for size in (15, 25, 50, 100))


def test_it_shows_status_reason_and_last_check(owner_client, make_registry):
    make_registry(
        name="down", status="unhealthy", status_detail="cannot connect to 10.0.0.5",
        last_checked_at=timezone.now() - timedelta(minutes=7),
    )
    make_registry(name="fresh")
    html = owner_client.get("/registries/").content.decode()
    assert 'title="cannot connect to 10.0.0.5">Unhealthy</span>' in html
    assert "checked 7 min ago" in html
    assert ">Unknown</span>" in html and "never checked" in html


def test_it_shows_used_by_counts(owner_client, make_registry, make_rule, make_project):
    hub = make_registry(name="hub", provider="docker-hub", url="https://hub.docker.com")
    make_rule("r1", source=hub)
    make_project("p1", registry=hub)
    html = owner_client.get("/registries/").content.decode()
    assert f'href="/registries/{hub.pk}/#used-by">2</a>' in html


def test_verify_remote_cert_shows_tick_and_cross(owner_client, make_registry):
    make_registry(name="strict")
    make_registry(name="lax", verify_remote_cert=False)
    html = owner_client.get("/registries/").content.decode()
    assert "✓" in html and "✗" in html


def test_the_query_count_does_not_grow_with_rows(owner_client, make_registry, make_rule):
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert owner_client.get("/registries/?per_page=100").status_code == 200
        return len(queries)

    for i in range(3):
        make_rule(f"rule{i}", source=make_registry(name=f"small{i}"))
    few = count_queries()
    for i in range(30):
        make_rule(f"more{i}", destination=make_registry(name=f"big{i}"))
    assert count_queries() == few
    assert few <= 8


# --- where the list was: page, sort, filter and page size (signed cookies, per user) ---


def test_actions_return_to_the_list_as_it_was_left(owner_client, make_registry):
    doomed = make_registry(name="doomed")
    owner_client.get("/registries/?q=d&sort=name&page=2&per_page=25&junk=1")
    response = owner_client.post(f"/registries/{doomed.pk}/delete/")
    assert response["Location"] == "/registries/?page=2&per_page=25&q=d&sort=name"
    # The plain list again: back to the plain list (the page size stays chosen).
    owner_client.get("/registries/")
    registry = make_registry(name="another")
    assert owner_client.post(f"/registries/{registry.pk}/delete/")["Location"] == "/registries/"


def test_the_remembered_list_belongs_to_one_user(client, owner, make_registry):
    client.force_login(owner)
    client.get("/registries/?q=secret-project&per_page=50")
    other = User.objects.create_user("other", is_staff=True, is_superuser=True)
    client.force_login(other)  # the same browser and cookies, another user
    registry = make_registry(name="doomed")
    assert client.post(f"/registries/{registry.pk}/delete/")["Location"] == "/registries/"
    assert '<option value="15" selected>' in client.get("/registries/").content.decode()


def test_the_chosen_page_size_is_kept_and_a_forged_one_ignored(owner_client):
    Registry.objects.bulk_create(
        Registry(name=f"r{i:03}", provider="docker-registry", url=f"https://r{i}.example.com")
        for i in range(60)
    )
    owner_client.get("/registries/?per_page=50")
    assert len(names_in(owner_client.get("/registries/"))) == 50
    assert len(names_in(owner_client.get("/registries/?per_page=25"))) == 25
    assert len(names_in(owner_client.get("/registries/?q=r0"))) == 25
    owner_client.cookies["registries_page_size"] = "100"  # unsigned: not ours
    assert len(names_in(owner_client.get("/registries/"))) == 15


# --- the monitor's banner (more in tests/monitor/test_pages.py) ---


def test_it_says_when_no_scheduled_check_was_stored_for_two_intervals(owner_client, make_registry, settings):
    settings.HEALTH_CHECK_INTERVAL = 300
    make_registry(name="never")
    assert "The health monitor is not running</strong>" in owner_client.get("/registries/").content.decode()
    fresh = make_registry(name="fresh")
    fresh.record_verdict(Verdict(True, "ok", "fine"))  # no user: a scheduled check
    html = owner_client.get("/registries/?q=never").content.decode()  # about all endpoints
    assert "The health monitor is not running</strong>" not in html


# --- what each permission is offered ---


def test_viewers_get_no_checkboxes_or_bulk_actions(client, viewer, make_registry):
    make_registry(name="hub")
    client.force_login(viewer)
    html = client.get("/registries/").content.decode()
    assert 'type="checkbox"' not in html and "With selected" not in html and 'id="bulk-form"' not in html
