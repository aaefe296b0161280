"""S15: deleting a registry that a replication rule or proxy-cache project uses is refused
with a message naming them, never a 500, and the registry is kept: also when the rule is
inserted between the ORM's PROTECT check and the DELETE, because the database's foreign
key is the real guard (Django's PROTECT is ORM-level). Runs on SQLite and PostgreSQL."""

import re
import threading

import pytest
from django.contrib.admin.models import DELETION, LogEntry
from django.db import connection, connections
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
    assert "Do you want to delete" not in html  # refused: nothing to ask
    assert "The endpoint hub cannot be deleted while it is in use" in html
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
def test_bulk_delete_confirms_then_reports_each_row(owner_client, make_registry, make_rule):
    used = make_registry(name="used")
    free = make_registry(name="free")
    make_rule("keeps-it", source=used)
    ids = [used.pk, free.pk]
    html = owner_client.post("/registries/bulk/", {"action": "delete", "ids": ids}).content.decode()
    assert "Do you want to delete the endpoint free?" in html  # only what can be deleted
    assert "will not be deleted: used by" in html and "keeps-it" in html
    assert Registry.objects.count() == 2

    html = owner_client.post(
        "/registries/bulk/", {"action": "delete_confirmed", "ids": [used.pk, free.pk]}, follow=True
    ).content.decode()
    rows = re.findall(
        r"<tr class=\"table-(success|danger)\">\s*<td class=\"col-name\">(?:<a [^>]*>)?(\w+)", html
    )
    assert sorted(rows) == [("danger", "used"), ("success", "free")]
    assert re.search(r"It is used by replication rule “<a href=\"[^\"]+\">keeps-it</a>”\.", html)
    assert list(Registry.objects.values_list("name", flat=True)) == ["used"]


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
    """A rule appears after the ORM's PROTECT check, just before the DELETE statement (in
    the same transaction): the database refuses; the user sees the refusal, never a 500."""
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


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/registries/{pk}/delete/", "/admin/endpoints/registry/{pk}/delete/"])
def test_a_rule_committed_by_another_connection_mid_delete_is_honoured(path, client, superuser,
                                                                       make_registry, monkeypatch):
    """The real race: after the PROTECT check, another session (its own database
    connection) commits a rule for the registry; then the DELETE runs. The insert commits
    and the foreign key refuses the delete at commit (seen on SQLite and PostgreSQL). Were
    the database to serialize the two transactions instead, the insert would be refused
    and the delete go through. Either way: no 500, no rule pointing at a deleted registry,
    and what the user reads is true."""
    registry = make_registry(name="racy")
    original_collect = deletion.Collector.collect
    outcome: dict = {}

    def insert_from_another_session() -> None:
        try:
            ReplicationRule.objects.create(name="concurrent", source_registry_id=registry.pk)
            outcome["inserted"] = True
        except Exception as exc:  # SQLite: the table is locked by the deleting transaction
            outcome["refused"] = type(exc).__name__
        finally:
            connections.close_all()

    def collect_then_race(self, objs, *args, **kwargs):
        result = original_collect(self, objs, *args, **kwargs)
        if not outcome and type(self) is deletion.Collector:  # the delete, not the admin's preview
            other = threading.Thread(target=insert_from_another_session)
            other.start()
            other.join(15)
            assert not other.is_alive(), "the other session hung"
        return result

    monkeypatch.setattr(deletion.Collector, "collect", collect_then_race)
    client.force_login(superuser)
    response = client.post(path.format(pk=registry.pk), {"post": "yes"}, follow=True)

    assert response.status_code in (200, 409)
    kept = Registry.objects.filter(pk=registry.pk).exists()
    rules = list(ReplicationRule.objects.values_list("name", "source_registry_id"))
    page = response.content.decode()
    if outcome.get("inserted"):
        assert kept and rules == [("concurrent", registry.pk)]
        assert "cannot be deleted" in page or "Cannot delete registry endpoint" in page
        assert "concurrent" in page  # the blocker is named
        assert not LogEntry.objects.filter(action_flag=DELETION).exists()
    else:
        assert connection.vendor == "sqlite", outcome  # PostgreSQL must let the insert through
        assert outcome.get("refused") and not kept and rules == []
