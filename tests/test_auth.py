"""Permissions read in one query, with the same answers as Django's ModelBackend."""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from endpoints.auth import ModelPermissionsBackend

pytestmark = pytest.mark.django_db


def perm(codename: str) -> Permission:
    return Permission.objects.get(content_type__app_label="endpoints", codename=codename)


@pytest.fixture
def member() -> User:
    user = User.objects.create_user("member", is_staff=True)
    user.user_permissions.add(perm("view_registry"))
    group = Group.objects.create(name="editors")
    group.permissions.add(perm("change_registry"), perm("view_registry"))
    user.groups.add(group)
    return user


def test_one_query_gives_what_django_gives(member):
    fresh = User.objects.get(pk=member.pk)

    with CaptureQueriesContext(connection) as queries:
        ours = ModelPermissionsBackend().get_all_permissions(fresh)

    assert len(queries) == 1
    assert ours == ModelBackend().get_all_permissions(User.objects.get(pk=member.pk))
    assert {"endpoints.view_registry", "endpoints.change_registry"} <= ours
    assert "endpoints.delete_registry" not in ours


def test_a_request_checks_permissions_with_one_query(client, member, settings):
    client.force_login(member)
    client.get("/registries/")  # the session is cached from here on

    with CaptureQueriesContext(connection) as queries:
        assert client.get("/registries/").status_code == 200

    permission_queries = [q for q in queries if "auth_permission" in q["sql"]]
    assert len(permission_queries) == 1


def test_inactive_users_and_superusers(member):
    boss = User.objects.create_superuser("boss", password="x")
    assert "endpoints.delete_registry" in ModelPermissionsBackend().get_all_permissions(boss)
    member.is_active = False
    assert ModelPermissionsBackend().get_all_permissions(member) == set()
