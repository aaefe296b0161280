"""Shared fixtures: personas (owner / viewer / outsider), registry factory, key reset."""

import os

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from endpoints import secrets
from endpoints.models import ProxyCacheProject, Registry, ReplicationRule

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API + ORM

pytest_plugins = [
    "tests.fixtures.registry_servers",
    "tests.fixtures.recording_registry",
    "tests.fixtures.emulators",
]


@pytest.fixture(autouse=True)
def _fresh_secret_keys():
    secrets.reset_key_cache()
    yield
    secrets.reset_key_cache()


def _staff(username: str, *codenames: str) -> User:
    user = User.objects.create_user(username, password="pw-" + username, is_staff=True)
    if codenames:
        user.user_permissions.set(
            Permission.objects.filter(content_type__app_label="endpoints", codename__in=codenames)
        )
    return user


@pytest.fixture
def owner(db) -> User:
    """A staff user with every registry permission."""
    return _staff(
        "owner", "view_registry", "add_registry", "change_registry", "delete_registry"
    )


@pytest.fixture
def viewer(db) -> User:
    return _staff("viewer", "view_registry")


@pytest.fixture
def outsider(db) -> User:
    """Staff, but without any registry permission."""
    return _staff("outsider")


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def make_registry(db):
    def make(name="reg", provider="docker-registry", url="https://registry.example.com",
             access_id="", secret="", **extra) -> Registry:
        registry = Registry(name=name, provider=provider, url=url, access_id=access_id, **extra)
        if secret:
            registry.set_secret(secret)
        registry.full_clean()
        registry.save()
        return registry

    return make


@pytest.fixture
def make_rule(db):
    def make(name="rule", source=None, destination=None, enabled=True) -> ReplicationRule:
        return ReplicationRule.objects.create(
            name=name, source_registry=source, destination_registry=destination, enabled=enabled
        )

    return make


@pytest.fixture
def make_project(db):
    def make(name="proj", registry=None) -> ProxyCacheProject:
        return ProxyCacheProject.objects.create(name=name, registry=registry)

    return make


@pytest.fixture
def server_short(monkeypatch):
    """The check engine hits this server's open-file limit (bench and test_probe_resources
    show the real thing; here the answer around it is what is tested)."""
    from endpoints import services
    from endpoints.probe.errors import LocalResourceError

    def exhausted(target, deadline_s=None):
        raise LocalResourceError("Too many open files")

    monkeypatch.setattr(services, "run_check", exhausted)


@pytest.fixture
def superuser(db) -> User:
    """A superuser (the admin's operator)."""
    return User.objects.create_superuser("root", password="root-pw-S3cure")


@pytest.fixture
def superuser_client(superuser) -> Client:
    client = Client()
    client.force_login(superuser)
    return client
