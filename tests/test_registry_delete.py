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
    html = owner_client.post("/registries/bulk/", {"action": "check", "ids": ids}).content.decode()
    assert "Check now: results" in html
    assert "✓ OK" in html and "✗ Failed (connect)" in html
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
    assert f"(timeout, {oldest_kept[1]} ms)" in svg  # i=6 failed: kept, labelled
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
