"""S14: every mutating URL, pages and admin: GET is refused (405) or only shows a form;
POST without CSRF is 403; anonymous users go to the login page; staff without the model
permission get 403 (Harbor CVE-2019-19025 had no CSRF at all). The URL list is checked
against the URLconf, so a new URL cannot skip these checks."""

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
    urls = ["/registries/", "/registries/new/", f"/registries/{registry.pk}/", "/registries/bulk/results/",
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


# --- every mutating URL, from the URLconf -----------------------------------------------
#
# The lists below must name every URL of the Registries pages: a new URL that is not
# classified here fails test_every_url_is_classified, so it cannot skip the checks.

READ_ONLY = {"endpoints:registry_list", "endpoints:registry_detail", "endpoints:registry_bulk_result",
             "endpoints:registry_status"}
# name → (permission, what a GET does: "405" or "form" (a page that changes nothing))
MUTATING = {
    "endpoints:registry_new": ("endpoints.add_registry", "form"),
    "endpoints:registry_test_new": ("endpoints.add_registry", "405"),
    "endpoints:registry_bulk": ("endpoints.view_registry", "405"),
    "endpoints:registry_edit": ("endpoints.change_registry", "form"),
    "endpoints:registry_test": ("endpoints.change_registry", "405"),
    "endpoints:registry_check": ("endpoints.change_registry", "405"),
    "endpoints:registry_delete": ("endpoints.delete_registry", "form"),
}
ADMIN_MODELS = ("registry", "replicationrule", "proxycacheproject")


def endpoint_url_names() -> set[str]:
    from django.urls import get_resolver

    resolver = get_resolver()
    namespace = resolver.namespace_dict["endpoints"][1]
    return {f"endpoints:{name}" for name in namespace.reverse_dict if isinstance(name, str)}


def page_url(name: str, pk: int) -> str:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(name)
    except NoReverseMatch:
        return reverse(name, args=[pk])


def admin_urls(registry, rule, project) -> list[str]:
    """Every admin URL that changes something: add, change, delete, and the changelist
    (where actions are POSTed), for each endpoints model."""
    from django.urls import reverse

    objects = {"registry": registry, "replicationrule": rule, "proxycacheproject": project}
    urls = []
    for model in ADMIN_MODELS:
        pk = objects[model].pk
        urls += [reverse(f"admin:endpoints_{model}_add"),
                 reverse(f"admin:endpoints_{model}_change", args=[pk]),
                 reverse(f"admin:endpoints_{model}_delete", args=[pk]),
                 reverse(f"admin:endpoints_{model}_changelist")]
    return urls


def state() -> tuple:
    """Everything a mutation could touch."""
    from django.contrib.admin.models import LogEntry

    from endpoints.models import HealthCheck, ProxyCacheProject, ReplicationRule

    return (
        list(Registry.objects.order_by("pk").values()),
        list(ReplicationRule.objects.order_by("pk").values()),
        list(ProxyCacheProject.objects.order_by("pk").values()),
        HealthCheck.objects.count(),
        LogEntry.objects.count(),
    )


@pytest.fixture
def world(make_registry, make_rule, make_project):
    hub = make_registry(name="hub", provider="docker-hub", url="https://hub.docker.com")
    free = make_registry(name="free", url="http://127.0.0.1:9")
    return free, make_rule("rule", source=hub), make_project("cache", registry=hub)


def test_every_url_is_classified():
    assert endpoint_url_names() == READ_ONLY | set(MUTATING)


def test_get_on_a_mutating_url_is_refused_or_changes_nothing(owner_client, world):
    registry = world[0]
    before = state()
    for name, (_perm, on_get) in MUTATING.items():
        response = owner_client.get(page_url(name, registry.pk))
        assert response.status_code == (405 if on_get == "405" else 200), name
    assert state() == before


def test_get_on_admin_urls_changes_nothing(admin_client, world):
    before = state()
    for url in admin_urls(*world):
        assert admin_client.get(url).status_code == 200, url
    assert state() == before


def test_logout_is_post_only(owner_client):
    assert owner_client.get("/accounts/logout/").status_code == 405
    assert owner_client.get("/registries/").status_code == 200  # still logged in


def test_every_mutating_url_needs_csrf(owner, superuser, world):
    registry = world[0]
    page = Client(enforce_csrf_checks=True)
    page.force_login(owner)
    admin = Client(enforce_csrf_checks=True)
    admin.force_login(superuser)
    before = state()
    for name in MUTATING:
        url = page_url(name, registry.pk)
        body = {"ids": [registry.pk], "action": "delete_confirmed", "name": "x"}
        assert page.post(url, body).status_code == 403, url
    for url in admin_urls(*world):
        body = {"action": "delete_selected", "_selected_action": [registry.pk], "post": "yes",
                "name": "x"}
        assert admin.post(url, body).status_code == 403, url
    assert page.post("/accounts/logout/").status_code == 403
    assert state() == before


def test_anonymous_users_go_to_the_login_page_everywhere(client, world):
    registry = world[0]
    before = state()
    for name in MUTATING:
        url = page_url(name, registry.pk)
        response = client.post(url, {"ids": [registry.pk], "action": "delete_confirmed"})
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url
    for url in admin_urls(*world):
        response = client.post(url, {"action": "delete_selected", "_selected_action": [registry.pk],
                                     "post": "yes"})
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/"), url
    assert state() == before


def test_staff_without_the_model_permission_get_403_everywhere(client, outsider, world):
    registry = world[0]
    client.force_login(outsider)
    before = state()
    for name in MUTATING:
        url = page_url(name, registry.pk)
        assert client.get(url).status_code in (403, 405), url
        assert client.post(url, {"ids": [registry.pk], "action": "delete_confirmed"}).status_code == 403, url
    for url in admin_urls(*world):
        assert client.get(url).status_code == 403, url
        response = client.post(url, {"action": "delete_selected", "_selected_action": [registry.pk],
                                     "post": "yes"})
        assert response.status_code == 403, url
    assert state() == before


@pytest.mark.parametrize("granted", ["view_registry", "add_registry", "change_registry"])
def test_each_permission_allows_only_its_own_actions(client, world, granted):
    """A user with one permission: every mutating URL needing another one answers 403."""
    from tests.conftest import _staff

    registry = world[0]
    user = _staff(f"only-{granted}", granted, *(["view_registry"] if granted != "view_registry" else []))
    client.force_login(user)
    before = state()
    for name, (perm, _on_get) in MUTATING.items():
        if perm.split(".")[1] in (granted, "view_registry"):
            continue
        url = page_url(name, registry.pk)
        assert client.post(url, {"name": "x"}).status_code == 403, url
    for action in ("delete_confirmed", "check"):
        if (action, granted) == ("check", "change_registry"):
            continue
        assert client.post("/registries/bulk/", {"ids": [registry.pk], "action": action}).status_code == 403
    assert state() == before


# --- the API (/api/v2.0), from the URLconf too ------------------------------------------
#
# Harbor's rules for an API: Basic-auth clients never meet CSRF, but a request carrying the
# session cookie does (Harbor's csrfSkipper); anonymous callers get 401 (not the login
# page); staff without the model permission get 403; a method the operation does not have
# is 405. Answers are JSON in Harbor's error shape.

API_READ_ONLY = {"api:registry_info", "api:adapters", "api:adapter_infos", "api:ping", "api:health",
                 "api:systeminfo", "api:current_user", "api:openapi", "api:docs"}
# name → {method: permission}; GET on these is a read (view_registry) or 405.
API_MUTATING = {
    "api:registries": {"POST": "endpoints.add_registry"},
    "api:registry": {"PUT": "endpoints.change_registry", "DELETE": "endpoints.delete_registry"},
    "api:registry_ping": {"POST": "endpoints.view_registry"},  # it connects out: Harbor's registry:read
}


def api_url_names() -> set[str]:
    from django.urls import get_resolver

    namespace = get_resolver().namespace_dict["api"][1]
    return {f"api:{name}" for name in namespace.reverse_dict if isinstance(name, str)}


def api_requests(pk: int) -> list[tuple[str, str, str]]:
    """(method, url, permission) for every mutating API operation."""
    from django.urls import reverse

    found = []
    for name, methods in API_MUTATING.items():
        url = reverse(name, kwargs={"id": pk}) if name == "api:registry" else reverse(name)
        found += [(method, url, perm) for method, perm in methods.items()]
    return found


def api_call(client: Client, method: str, url: str, pk: int, **extra):
    import json

    return client.generic(method, url, json.dumps({"id": pk, "name": "x", "description": "changed"}),
                          "application/json", **extra)


def harbor_code(response) -> str:
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    return response.json()["errors"][0]["code"]


def test_every_api_url_is_classified():
    assert api_url_names() == API_READ_ONLY | set(API_MUTATING)


def test_get_on_the_api_changes_nothing_or_is_405(owner_client, world):
    registry = world[0]
    before = state()
    for method, url, _perm in api_requests(registry.pk):
        response = owner_client.get(url)
        assert response.status_code in (200, 405), url
        if method == "POST" and "ping" in url:
            assert response.status_code == 405 and harbor_code(response) == "METHOD_NOT_ALLOWED"
    assert state() == before


def test_api_writes_with_the_session_cookie_need_csrf(owner, world):
    registry = world[0]
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    before = state()
    for method, url, _perm in api_requests(registry.pk):
        response = api_call(client, method, url, registry.pk)
        assert response.status_code == 403 and harbor_code(response) == "FORBIDDEN", (method, url)
        assert "CSRF" in response.json()["errors"][0]["message"]
    assert state() == before


def test_anonymous_api_callers_get_401_everywhere(client, world):
    registry = world[0]
    before = state()
    for method, url, _perm in api_requests(registry.pk):
        response = api_call(client, method, url, registry.pk)
        assert response.status_code == 401 and harbor_code(response) == "UNAUTHORIZED", (method, url)
        assert response["WWW-Authenticate"].startswith("Basic ")
    assert state() == before


def test_staff_without_the_model_permission_get_403_from_the_api(client, outsider, world):
    import base64

    registry = world[0]
    basic = "Basic " + base64.b64encode(b"outsider:pw-outsider").decode()
    before = state()
    for method, url, _perm in api_requests(registry.pk):
        response = api_call(client, method, url, registry.pk, HTTP_AUTHORIZATION=basic)
        assert response.status_code == 403 and harbor_code(response) == "FORBIDDEN", (method, url)
    assert state() == before


@pytest.mark.parametrize("granted", ["view_registry", "add_registry", "change_registry", "delete_registry"])
def test_each_permission_allows_only_its_own_api_operations(client, world, granted):
    import base64

    from tests.conftest import _staff

    registry = world[0]
    _staff(f"only-{granted}", granted)
    basic = "Basic " + base64.b64encode(f"only-{granted}:pw-only-{granted}".encode()).decode()
    before = state()
    for method, url, perm in api_requests(registry.pk):
        if perm.split(".")[1] == granted:
            continue
        response = api_call(client, method, url, registry.pk, HTTP_AUTHORIZATION=basic)
        assert response.status_code == 403, (granted, method, url)
    assert state() == before
