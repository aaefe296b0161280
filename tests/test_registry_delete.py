"""Delete: the confirmation page names every user of the endpoint; the database's foreign
keys refuse the delete even when a rule appears after the page was shown."""

import re
import threading

import pytest
from django.contrib.admin.models import DELETION, LogEntry
from django.db import connection
from django.db.models import deletion

from endpoints.models import Registry, ReplicationRule


@pytest.mark.django_db
def test_the_confirmation_page_lists_every_user_and_refuses(
    owner_client, make_registry, make_rule, make_project
):
    hub = make_registry(name="hub", provider="docker-hub", url="https://hub.docker.com")
    make_rule("pull-from-hub", source=hub)
    make_rule("push-to-hub", destination=hub, enabled=False)
    make_project("dockerhub-cache", registry=hub)
    html = owner_client.get(f"/registries/{hub.pk}/delete/").content.decode()
    assert "Confirm Endpoint Deletion" in html
    assert "Do you want to delete the endpoint hub?" in html
    assert "pull-from-hub</a> (source, enabled)" in html
    assert "push-to-hub</a> (destination, disabled)" in html
    assert "dockerhub-cache</a>" in html
    assert "cannot be deleted while it is in use" in html
    assert '<button type="submit" class="btn btn-danger">Delete</button>' not in html


@pytest.mark.django_db
def test_post_refuses_with_the_names_and_keeps_the_registry(
    owner_client, make_registry, make_rule, make_project
):
    hub = make_registry(name="hub", provider="docker-hub", url="https://hub.docker.com")
    make_rule("pull-from-hub", source=hub)
    make_project("dockerhub-cache", registry=hub)
    response = owner_client.post(f"/registries/{hub.pk}/delete/")
    html = response.content.decode()
    assert response.status_code == 409
    assert "cannot be deleted" in html
    assert "replication rule “pull-from-hub”" in html and "proxy-cache project “dockerhub-cache”" in html
    assert Registry.objects.filter(pk=hub.pk).exists()
    assert not LogEntry.objects.filter(action_flag=DELETION).exists()


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


@pytest.mark.django_db(transaction=True)
def test_a_rule_created_after_the_confirmation_page_blocks_the_delete(owner_client, make_registry):
    registry = make_registry(name="racy")
    page = owner_client.get(f"/registries/{registry.pk}/delete/").content.decode()
    assert '<button type="submit" class="btn btn-danger">Delete</button>' in page

    def create_rule_elsewhere() -> None:  # another session, committed
        try:
            ReplicationRule.objects.create(name="sneaky", source_registry_id=registry.pk)
        finally:
            connection.close()

    other = threading.Thread(target=create_rule_elsewhere)
    other.start()
    other.join()
    response = owner_client.post(f"/registries/{registry.pk}/delete/")
    assert response.status_code == 409
    assert "replication rule “sneaky”" in response.content.decode()
    assert Registry.objects.filter(pk=registry.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_the_foreign_key_refuses_what_the_orm_check_missed(owner_client, make_registry, monkeypatch):
    """A rule appears after the ORM's PROTECT check, just before the DELETE statement:
    the database refuses; the user sees the refusal, never a 500, and nothing is lost."""
    registry = make_registry(name="racy")
    original_collect = deletion.Collector.collect

    def collect_then_insert(self, objs, *args, **kwargs):
        result = original_collect(self, objs, *args, **kwargs)
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO endpoints_replicationrule (name, description, source_registry_id, enabled)"
                " VALUES (%s, '', %s, %s)",
                ["sneaky", registry.pk, True],
            )
        return result

    monkeypatch.setattr(deletion.Collector, "collect", collect_then_insert)
    response = owner_client.post(f"/registries/{registry.pk}/delete/")
    assert response.status_code == 409
    assert "cannot be deleted" in response.content.decode()
    assert Registry.objects.filter(pk=registry.pk, name="racy").exists()
    assert not LogEntry.objects.filter(action_flag=DELETION).exists()


@pytest.mark.django_db
def test_bulk_delete_confirms_then_reports_each_row(owner_client, make_registry, make_rule):
    used = make_registry(name="used")
    free = make_registry(name="free")
    make_rule("keeps-it", source=used)
    ids = [used.pk, free.pk]
    html = owner_client.post("/registries/bulk/", {"action": "delete", "ids": ids}).content.decode()
    assert "Do you want to delete the endpoints" in html
    assert "will not be deleted: used by" in html and "keeps-it" in html
    assert Registry.objects.count() == 2

    html = owner_client.post(
        "/registries/bulk/", {"action": "delete_confirmed", "ids": [used.pk, free.pk]}
    ).content.decode()
    rows = re.findall(r"<tr class=\"table-(success|danger)\">\s*<td>(\w+)</td>", html)
    assert sorted(rows) == [("danger", "used"), ("success", "free")]
    assert "Not deleted. It is used by replication rule “keeps-it”." in html
    assert list(Registry.objects.values_list("name", flat=True)) == ["used"]


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
