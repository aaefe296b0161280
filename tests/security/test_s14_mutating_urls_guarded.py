"""Every page needs a logged-in staff user with the model permission; every mutation is a
CSRF-protected POST (GET is refused)."""

import pytest
from django.test import Client

from endpoints.models import Registry

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry(make_registry) -> Registry:
    return make_registry(name="target")


def mutating_urls(pk: int) -> list[str]:
    return [
        "/registries/test/",
        "/registries/bulk/",
        f"/registries/{pk}/test/",
        f"/registries/{pk}/check/",
    ]


def test_post_only_urls_refuse_get(owner_client, registry):
    for url in mutating_urls(registry.pk):
        assert owner_client.get(url).status_code == 405, url


def test_get_on_forms_changes_nothing(owner_client, registry):
    for url in ("/registries/new/", f"/registries/{registry.pk}/edit/", f"/registries/{registry.pk}/delete/"):
        assert owner_client.get(url).status_code == 200
    assert Registry.objects.filter(pk=registry.pk, name="target").exists()


def test_anonymous_users_are_sent_to_login(client, registry):
    urls = ["/registries/", "/registries/new/", f"/registries/{registry.pk}/",
            f"/registries/{registry.pk}/edit/", f"/registries/{registry.pk}/delete/"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url
    for url in mutating_urls(registry.pk) + [f"/registries/{registry.pk}/delete/"]:
        response = client.post(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    assert Registry.objects.count() == 1


def test_staff_without_permission_get_403(client, outsider, registry):
    client.force_login(outsider)
    for url in ["/registries/", "/registries/new/", f"/registries/{registry.pk}/edit/",
                f"/registries/{registry.pk}/delete/", f"/registries/{registry.pk}/"]:
        assert client.get(url).status_code == 403, url
    for url in mutating_urls(registry.pk) + [f"/registries/{registry.pk}/delete/", "/registries/new/"]:
        assert client.post(url, {"ids": [registry.pk], "action": "delete_confirmed"}).status_code == 403, url
    assert Registry.objects.count() == 1


def test_viewers_can_look_but_not_change(client, viewer, registry):
    client.force_login(viewer)
    html = client.get("/registries/").content.decode()
    assert "target" in html and "+ New Endpoint" not in html and ">Edit</a>" not in html
    assert client.get("/registries/new/").status_code == 403
    assert client.post(f"/registries/{registry.pk}/check/").status_code == 403
    delete = {"ids": [registry.pk], "action": "delete_confirmed"}
    assert client.post("/registries/bulk/", delete).status_code == 403
    assert client.post("/registries/bulk/", {"ids": [registry.pk], "action": "check"}).status_code == 403
    assert Registry.objects.count() == 1


def test_non_staff_users_with_permissions_are_refused(client, owner, registry):
    owner.is_staff = False
    owner.save()
    client.force_login(owner)
    assert client.get("/registries/").status_code == 403


def test_posts_without_csrf_are_refused(owner, registry):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    for url in mutating_urls(registry.pk) + ["/registries/new/", f"/registries/{registry.pk}/edit/",
                                             f"/registries/{registry.pk}/delete/"]:
        assert client.post(url, {"name": "x"}).status_code == 403, url
    assert Registry.objects.filter(name="target").count() == 1


def test_root_redirects_to_the_list(owner_client):
    response = owner_client.get("/")
    assert response.status_code == 302 and response["Location"] == "/registries/"
