"""Who may call the API: HTTP Basic against Django users (throttled by django-axes like the
login page), or the browser's session with CSRF whenever the session cookie is present;
Django's model permissions decide; 401 and 403 in Harbor's error shape."""

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.test import Client

from endpoints.models import Registry
from tests.api.conftest import Api, basic, harbor_error

pytestmark = pytest.mark.django_db


def test_anonymous_requests_get_401_with_a_basic_challenge(anonymous_api):
    response = anonymous_api.get("/registries")

    assert harbor_error(response, 401, "UNAUTHORIZED")["message"] == "unauthorized"
    assert response["WWW-Authenticate"] == 'Basic realm="harborreg"'


@pytest.mark.parametrize("authorization", [basic("owner", "wrong"), basic("nobody", "x"), "Basic !!!",
                                           "Basic " + "QQ==", "Bearer abc"])
def test_bad_credentials_get_401(owner, authorization):
    response = Api(Client(), authorization).get("/registries")

    assert response.status_code == 401 and response["Content-Type"].startswith("application/json")
    assert harbor_error(response, 401, "UNAUTHORIZED")["message"].startswith("unauthorized")


def test_an_inactive_user_gets_401(api_as, owner):
    owner.is_active = False
    owner.save()

    harbor_error(api_as(owner).get("/registries"), 401, "UNAUTHORIZED")


def test_a_viewer_may_read_and_ping_but_not_change(api_as, viewer, make_registry):
    registry = make_registry(name="seen")
    api = api_as(viewer)

    assert api.get("/registries").status_code == 200
    assert api.get(f"/registries/{registry.pk}").status_code == 200
    assert api.get(f"/registries/{registry.pk}/info").status_code == 200
    assert api.get("/replication/adapters").status_code == 200
    for response in (api.post("/registries", {"name": "x", "type": "docker-registry", "url": "https://r.example"}),
                     api.put(f"/registries/{registry.pk}", {"description": "x"}),
                     api.delete(f"/registries/{registry.pk}")):
        error = harbor_error(response, 403, "FORBIDDEN")
        assert error["message"].startswith("viewer: ")
    assert list(Registry.objects.values_list("name", "description")) == [("seen", "")]


def test_the_403_names_the_missing_permission(api_as, viewer):
    error = harbor_error(api_as(viewer).post("/registries", {}), 403, "FORBIDDEN")

    assert "endpoints.add_registry" in error["message"]


def test_staff_without_permissions_get_403_everywhere(api_as, outsider, make_registry):
    registry = make_registry(name="hidden")
    api = api_as(outsider)

    for path in ("/registries", f"/registries/{registry.pk}", f"/registries/{registry.pk}/info",
                 "/replication/adapters", "/replication/adapterinfos"):
        harbor_error(api.get(path), 403, "FORBIDDEN")
    harbor_error(api.post("/registries/ping", {"id": registry.pk}), 403, "FORBIDDEN")


def test_non_staff_users_are_refused_even_with_permissions(api_as, owner):
    owner.is_staff = False
    owner.save()

    error = harbor_error(api_as(owner).get("/registries"), 403, "FORBIDDEN")

    assert "not a staff account" in error["message"]


def test_superusers_may_do_everything(api_as, db):
    root = User.objects.create_superuser("root", password="pw-root")

    assert api_as(root).get("/registries").status_code == 200


# --- the browser's session --------------------------------------------------------------


def test_a_session_may_read(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)

    assert client.get("/api/v2.0/registries").status_code == 200


def test_a_session_write_without_the_csrf_token_is_403(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)

    for method in ("post", "put", "delete"):
        response = getattr(client, method)("/api/v2.0/registries/ping", data="{}",
                                           content_type="application/json")
        error = harbor_error(response, 403, "FORBIDDEN") if method == "post" else None
        if method == "post":
            assert "CSRF" in error["message"]
        else:
            assert response.status_code in (403, 405)


def test_a_session_write_with_the_csrf_token_passes(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    client.get("/api/v2.0/docs/?script=")  # the docs page's script hands out the CSRF token
    token = client.cookies["csrftoken"].value

    response = client.post("/api/v2.0/registries/ping", data="{}", content_type="application/json",
                           HTTP_X_CSRFTOKEN=token)

    assert harbor_error(response, 400, "BAD_REQUEST")["message"] == "type or url cannot be empty"


def test_basic_auth_with_the_session_cookie_present_still_needs_csrf(owner):
    """Harbor's rule: the session cookie, not the way of authenticating, turns CSRF on."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)

    response = Api(client, basic("owner", "pw-owner")).post("/registries/ping", {})

    assert "CSRF" in harbor_error(response, 403, "FORBIDDEN")["message"]


def test_basic_auth_without_a_session_cookie_needs_no_csrf(owner):
    response = Api(Client(enforce_csrf_checks=True), basic("owner", "pw-owner")).post("/registries/ping", {})

    assert harbor_error(response, 400, "BAD_REQUEST")["message"] == "type or url cannot be empty"


# --- brute force ------------------------------------------------------------------------


def test_failed_basic_logins_count_and_lock_out_like_the_login_page(owner, settings):
    attacker = {"REMOTE_ADDR": "203.0.113.9"}
    wrong = Api(Client(), basic("owner", "guess"))
    statuses = [wrong.get("/registries", **attacker).status_code for _ in range(settings.AXES_FAILURE_LIMIT)]

    right = Api(Client(), basic("owner", "pw-owner")).get("/registries", **attacker)

    assert statuses[:-1] == [401] * (settings.AXES_FAILURE_LIMIT - 1)
    assert AccessAttempt.objects.get(username="owner").failures_since_start >= settings.AXES_FAILURE_LIMIT
    error = harbor_error(right, 429, "TOO_MANY_REQUEST")
    assert "locked" in error["message"].lower() and int(right["Retry-After"]) > 0
    # The same lock holds on the login page, and other addresses are not affected.
    page = Client().post("/accounts/login/", {"username": "owner", "password": "pw-owner"}, **attacker)
    assert page.status_code == 429
    assert Api(Client(), basic("owner", "pw-owner")).get("/registries").status_code == 200


def test_drf_throttling_caps_requests_per_user_in_harbors_shape(api, monkeypatch):
    from rest_framework.throttling import UserRateThrottle

    monkeypatch.setattr(UserRateThrottle, "rate", "2/minute", raising=False)
    answers = [api.get("/registries") for _ in range(3)]

    assert [a.status_code for a in answers[:2]] == [200, 200]
    harbor_error(answers[2], 429, "TOO_MANY_REQUEST")
    assert 1 <= int(answers[2]["Retry-After"]) <= 60


def test_a_forged_forwarded_for_does_not_dodge_the_anonymous_count(anonymous_api, monkeypatch):
    from rest_framework.throttling import AnonRateThrottle

    monkeypatch.setattr(AnonRateThrottle, "rate", "2/minute", raising=False)
    answers = [anonymous_api.get("/ping", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}") for n in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 429]
