"""Delete and Check now on the pages. Refusing to delete a referenced endpoint (S15) is
in tests/security/test_s15_referenced_delete_refused.py."""

import pytest
from django.contrib.admin.models import DELETION, LogEntry

from endpoints.models import Registry


@pytest.mark.django_db
def test_an_unused_endpoint_is_deleted_and_logged(owner_client, owner, make_registry):
    registry = make_registry(name="old")
    html = owner_client.get(f"/registries/{registry.pk}/delete/").content.decode()
    assert '<button type="submit" class="btn btn-danger">Delete</button>' in html
    response = owner_client.post(f"/registries/{registry.pk}/delete/", follow=True)
    assert "Deleted endpoint “old”." in response.content.decode()
    assert not Registry.objects.exists()
    entry = LogEntry.objects.get(action_flag=DELETION)
    assert entry.object_repr == "old" and entry.user == owner


@pytest.mark.django_db
def test_bulk_check_reports_each_row_and_stores_the_status(owner_client, make_registry, recording_registry):
    good = make_registry(name="good", url=recording_registry.url, access_id="ci", secret="ci-pass")
    bad = make_registry(name="bad", url="http://127.0.0.1:9")
    ids = [good.pk, bad.pk]
    response = owner_client.post("/registries/bulk/", {"action": "check", "ids": ids})
    assert response.status_code == 302 and response["Location"] == "/registries/bulk/results/"
    html = owner_client.get(response["Location"]).content.decode()
    assert "Check now: results" in html
    assert "✓ OK" in html and "✗ Failed (Cannot connect)" in html
    good.refresh_from_db()
    bad.refresh_from_db()
    assert (good.status, bad.status) == ("healthy", "unhealthy")
    assert bad.status_category == "connect" and bad.last_checked_at is not None


@pytest.mark.django_db
def test_check_now_answers_json_and_keeps_history(owner_client, make_registry, recording_registry):
    registry = make_registry(url=recording_registry.url, access_id="ci", secret="ci-pass")
    for _ in range(2):
        response = owner_client.post(f"/registries/{registry.pk}/check/", HTTP_ACCEPT="application/json")
    assert response.json()["status"] == "healthy"
    assert registry.checks.count() == 2
    html = owner_client.get(f"/registries/{registry.pk}/").content.decode()
    assert "Recent checks" in html and html.count(">Healthy</span>") >= 2
    assert "ci-pass" not in html


@pytest.mark.django_db
def test_check_now_on_failure_stores_unhealthy_with_the_reason(owner_client, make_registry):
    registry = make_registry(url="http://127.0.0.1:9", status="healthy")
    response = owner_client.post(f"/registries/{registry.pk}/check/", follow=True)
    assert "is unhealthy (connect)" in response.content.decode()
    registry.refresh_from_db()
    assert registry.status == "unhealthy" and "127.0.0.1" in registry.status_detail


@pytest.mark.django_db
def test_the_registry_page_draws_the_last_checks_as_a_timeline(owner_client, make_registry):
    from endpoints.models import HealthCheck
    from endpoints.probe.result import Verdict

    registry = make_registry(name="flaky")
    for i in range(25):
        ok = i % 3 != 0
        HealthCheck.record(registry, Verdict(ok, "ok" if ok else "timeout", "s", elapsed_ms=10 * (i + 1)))
    html = owner_client.get(f"/registries/{registry.pk}/").content.decode()
    svg = html[html.index("<svg"):html.index("</svg>")]
    assert svg.count("<rect") == HealthCheck.HISTORY_SIZE == registry.checks.count()
    oldest_kept = [10 * (i + 1) for i in range(5, 25)]
    assert svg.count('class="mark-failed"') == sum(1 for i in range(5, 25) if i % 3 == 0)
    assert f"(Timed out, {oldest_kept[1]} ms)" in svg  # i=6 failed: kept, labelled
    assert 'height="48"' in svg  # the slowest check is the tallest bar
    assert "13 healthy, 7 unhealthy" in svg


@pytest.mark.django_db
def test_bulk_actions_ignore_malformed_ids(owner_client, make_registry):
    registry = make_registry(name="kept")
    response = owner_client.post(
        "/registries/bulk/", {"action": "delete", "ids": ["²", "9" * 30, "-1", str(registry.pk)]}
    )
    assert response.status_code == 200
    assert "Do you want to delete the endpoint kept?" in response.content.decode()


@pytest.mark.django_db
def test_bulk_delete_redirects_to_its_results_and_a_reload_deletes_nothing(owner_client, make_registry,
                                                                          make_rule):
    used, free = make_registry(name="used"), make_registry(name="free")
    make_rule("keeps-it", source=used)
    confirmed = {"action": "delete_confirmed", "ids": [used.pk, free.pk]}
    response = owner_client.post("/registries/bulk/", confirmed)
    assert response.status_code == 302 and response["Location"] == "/registries/bulk/results/"
    for _ in range(2):  # the first view and a reload
        html = owner_client.get("/registries/bulk/results/").content.decode()
        assert "Delete: results" in html
        assert f'<a href="/registries/{used.pk}/">used</a>' in html  # still there: a link
        assert "<td class=\"col-name\">free</td>" in html  # gone: plain text
        assert "keeps-it</a>" in html
    assert list(Registry.objects.values_list("name", flat=True)) == ["used"]
    assert LogEntry.objects.filter(action_flag=DELETION).count() == 1


@pytest.mark.django_db
def test_the_results_page_without_results_says_so(owner_client):
    html = owner_client.get("/registries/bulk/results/").content.decode()
    assert "There are no results to show" in html


@pytest.mark.django_db
def test_a_refused_deletion_asks_no_question_and_names_the_users(owner_client, make_registry, make_rule):
    hub = make_registry(name="hub")
    make_rule("nightly", source=hub)
    html = owner_client.get(f"/registries/{hub.pk}/delete/").content.decode()
    assert "Do you want to delete" not in html
    assert "The endpoint hub cannot be deleted while it is in use" in html
    assert 'class="alert-link"' in html and ">nightly</a>" in html


@pytest.mark.django_db
def test_bulk_delete_of_only_used_endpoints_offers_no_delete_button(owner_client, make_registry, make_rule):
    hub = make_registry(name="hub")
    make_rule("nightly", source=hub)
    html = owner_client.post("/registries/bulk/", {"action": "delete", "ids": [hub.pk]}).content.decode()
    assert "Do you want to delete" not in html and "None of the selected endpoints can be deleted" in html
    assert 'value="delete_confirmed"' not in html


@pytest.mark.django_db
def test_refusals_say_why(client, viewer, owner, make_registry):
    registry = make_registry(name="hub")
    client.force_login(viewer)
    response = client.get(f"/registries/{registry.pk}/delete/")
    html = response.content.decode()
    assert response.status_code == 403
    assert "“Can delete registry endpoint” (endpoints.delete_registry)" in html
    assert "Ask an administrator" in html and "Log out" in html
    response = client.post("/registries/bulk/", {"action": "check", "ids": [registry.pk]})
    assert response.status_code == 403 and "endpoints.change_registry" in response.content.decode()

    owner.is_staff = False
    owner.save()
    client.force_login(owner)
    html = client.get("/registries/").content.decode()
    assert "The account owner is not a staff account" in html


@pytest.mark.django_db
def test_a_missing_page_is_a_page_of_the_site(owner_client):
    response = owner_client.get("/registries/987654/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "Page not found" in html and "may have been deleted" in html and "Log out" in html
