"""S1: canary secrets appear in no page (pages, Test Connection results, admin, error
pages with DEBUG off) and in no log record."""

import logging

import pytest
from django.contrib.auth.models import User
from django.test import Client

from endpoints.models import Registry
from tests.security.canary import JSON_KEY, JSON_KEY_CANARY, PASSWORD_CANARY, find_canaries

pytestmark = pytest.mark.django_db
CANARIES = (PASSWORD_CANARY, JSON_KEY_CANARY)


@pytest.fixture
def seeded(make_registry, make_rule, recording_registry):
    recording_registry.password = PASSWORD_CANARY
    docker = make_registry(name="docker", url=recording_registry.url, access_id="ci", secret=PASSWORD_CANARY)
    gcr = make_registry(name="gcr", provider="google-gcr", url="https://gcr.io",
                        access_id="_json_key", secret=JSON_KEY)
    make_rule("uses-docker", source=docker)
    return docker, gcr


def test_no_page_and_no_log_record_contains_a_canary(superuser_client, seeded, caplog, settings):
    caplog.set_level(logging.DEBUG)
    docker, gcr = seeded
    client = superuser_client
    responses = []
    for registry in (docker, gcr):
        pk = registry.pk
        for url in (f"/registries/{pk}/", f"/registries/{pk}/edit/", f"/registries/{pk}/delete/",
                    f"/admin/endpoints/registry/{pk}/change/", f"/admin/endpoints/registry/{pk}/history/",
                    f"/admin/endpoints/registry/{pk}/delete/"):
            responses.append(client.get(url))
    for url in ("/registries/", "/admin/endpoints/registry/", "/admin/endpoints/replicationrule/",
                "/registries/new/?provider=google-gcr"):
        responses.append(client.get(url))
    # Test Connection and Check now with the stored secrets, HTML and JSON.
    form = {"provider": "docker-registry", "name": "docker", "url": docker.url, "access_id": "ci",
            "verify_remote_cert": "on", "action": "test"}
    responses.append(client.post(f"/registries/{docker.pk}/test/", form))
    responses.append(client.post(f"/registries/{docker.pk}/test/", form, HTTP_ACCEPT="application/json"))
    responses.append(client.post(f"/registries/{docker.pk}/check/", HTTP_ACCEPT="application/json"))
    responses.append(client.post(f"/registries/{gcr.pk}/check/", HTTP_ACCEPT="application/json"))
    # A typed secret that fails the save-time test is not echoed either.
    responses.append(client.post("/registries/new/", {**form, "name": "again", "action": "save",
                                                      "url": "http://127.0.0.1:9",
                                                      "access_secret": PASSWORD_CANARY}))
    # Error pages with DEBUG off.
    settings.DEBUG = False
    responses.append(client.get("/registries/999999/edit/"))
    responses.append(client.get("/no-such-page/"))

    assert all(r.status_code < 500 for r in responses)
    assert responses[0].status_code == 200
    for response in responses:
        body = response.content
        assert find_canaries(body, *CANARIES) == [], response.request["PATH_INFO"]
    logged = "\n".join(f"{r.getMessage()} {r.args!r} {getattr(r, 'exc_text', '')}" for r in caplog.records)
    assert find_canaries(logged, *CANARIES) == []
    assert Registry.objects.get(pk=docker.pk).status == "healthy"  # the checks really ran
    # Last, as the list then remembers the filter: searching for the secret finds nothing
    # (the page echoes only the query the user typed).
    found = client.get(f"/registries/?q={PASSWORD_CANARY}").content.decode()
    assert "find any endpoints!" in found
    found = client.get(f"/admin/endpoints/registry/?q={PASSWORD_CANARY}").content.decode()
    assert "0 registry endpoints" in found


def test_a_server_error_page_shows_no_canary(superuser_client, seeded, monkeypatch, caplog):
    """A crash while handling a request with a secret in the POST: the 500 page and the log
    carry neither the value nor its encodings."""
    from endpoints.views import registry_form as views

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(views.services, "test_endpoint", explode)
    client = Client(raise_request_exception=False)
    client.force_login(User.objects.get(username="root"))
    response = client.post("/registries/test/", {
        "provider": "docker-registry", "name": "x", "url": "http://127.0.0.1:9", "access_id": "ci",
        "access_secret": PASSWORD_CANARY,
    })
    assert response.status_code == 500
    assert find_canaries(response.content, PASSWORD_CANARY) == []
    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert "boom" in logged
    assert find_canaries(logged, PASSWORD_CANARY) == []


def test_a_typed_json_key_is_never_rendered_back(superuser_client, emulate):
    """A JSON secret (GCR, Quay) is a textarea: it must not echo what was typed, neither on
    a form with errors, nor on a Test Connection result, nor on the Save anyway page."""
    from tests.fixtures.emulators import Reply

    down = emulate(["gcr.io"], lambda request: Reply(503, b"maintenance"))
    form = {"provider": "google-gcr", "name": "", "url": "https://gcr.io", "access_id": "_json_key",
            "access_secret": JSON_KEY, "verify_remote_cert": "on"}
    pages = [
        superuser_client.post("/registries/new/", {**form, "action": "save"}),  # name missing
        superuser_client.post("/registries/test/", form),  # no JavaScript: a full page
        superuser_client.post("/registries/new/", {**form, "name": "gcr", "action": "save",
                                                   "ca_certificate": down.ca_pem}),  # Save anyway
    ]
    assert [p.status_code for p in pages] == [400, 200, 200]
    assert "Save anyway" in pages[2].content.decode()
    for page in pages:
        assert find_canaries(page.content, JSON_KEY_CANARY) == []
        assert 'name="access_secret"' in page.content.decode()


def test_no_api_answer_and_no_log_record_contains_a_canary(seeded, caplog, second_recording_registry,
                                                           monkeypatch):
    """The Harbor-compatible API (/api/v2.0): reads, pings with the stored secrets, creates
    and updates carrying a canary (accepted, refused, failing their test, malformed), and
    a crash while a canary is in the body."""
    import base64
    import json

    from api import views as api_views

    caplog.set_level(logging.DEBUG)
    docker, gcr = seeded
    User.objects.create_superuser("apiroot", password="apiroot-pw")
    client = Client(raise_request_exception=False)
    auth = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"apiroot:apiroot-pw").decode()}

    def call(method, path, body=None, raw=None):
        data = raw if raw is not None else ("" if body is None else json.dumps(body))
        return client.generic(method, f"/api/v2.0{path}", data, "application/json", **auth)

    responses = []
    for registry in (docker, gcr):
        responses += [call("GET", f"/registries/{registry.pk}"),
                      call("GET", f"/registries/{registry.pk}/info"),
                      call("POST", "/registries/ping", {"id": registry.pk})]
    responses += [call("GET", path) for path in ("/registries", "/registries?page_size=1", "/systeminfo",
                                                 "/users/current", "/replication/adapterinfos")]
    responses.append(call("GET", f"/registries?q=name=~{PASSWORD_CANARY}"))
    # The stored secret is withheld from another origin: the ping says so without it.
    elsewhere = second_recording_registry.url
    responses.append(call("POST", "/registries/ping", {"id": docker.pk, "url": elsewhere}))
    responses.append(call("PUT", f"/registries/{docker.pk}", {"url": elsewhere}))
    # Canaries sent in: saved (and tested), failing the test, refused by the rules, malformed.
    responses.append(call("PUT", f"/registries/{docker.pk}", {"access_secret": PASSWORD_CANARY}))
    new = {"name": "again", "type": "docker-registry", "url": "http://127.0.0.1:9",
           "credential": {"access_key": "ci", "access_secret": PASSWORD_CANARY}}
    responses.append(call("POST", "/registries", new))
    responses.append(call("POST", "/registries", {**new, "type": "google-gcr", "url": "https://gcr.io",
                                                  "credential": {"access_secret": JSON_KEY + "}"}}))
    responses.append(call("POST", "/registries", {**new, "name": 5}))
    responses.append(call("POST", "/registries", raw='{"credential": {"access_secret": "' + PASSWORD_CANARY))
    responses.append(call("POST", "/registries/ping", {"type": "google-gcr", "url": "https://gcr.io",
                                                       "access_key": "_json_key", "access_secret": JSON_KEY}))
    monkeypatch.setattr(api_views.edits, "edit_for_create", lambda body: 1 / 0)
    crashed = call("POST", "/registries", new)
    responses.append(crashed)

    assert crashed.status_code == 500 and crashed.json()["errors"][0]["message"] == "internal server error"
    assert {r.status_code for r in responses} <= {200, 400, 422, 500}
    for response in responses:
        assert find_canaries(response.content, *CANARIES) == [], response.request["PATH_INFO"]
        assert find_canaries(str(response.headers), *CANARIES) == []
    logged = "\n".join(f"{r.getMessage()} {r.args!r} {getattr(r, 'exc_text', '')}" for r in caplog.records)
    assert "ZeroDivisionError" in logged  # the crash was logged, without the body
    assert find_canaries(logged, *CANARIES) == []


def test_a_robot_secret_is_shown_once_and_then_in_no_page_api_answer_or_log(superuser_client, seeded, caplog):
    """Robot accounts (issue 11): the secret is on the page answering the add, and nowhere
    after: not in the admin's pages, the change log, API answers (right, wrong, disabled)
    or any log record, plain or as the Basic header that carried it."""
    import base64
    import re

    from django.contrib.admin.models import LogEntry

    from api.models import RobotAccount

    caplog.set_level(logging.DEBUG)
    added = superuser_client.post("/admin/api/robotaccount/add/", {
        "name": "canary", "permissions": ["view_registry", "add_registry"], "duration": "7"})
    secret = re.search(r'<code class="robot-secret"[^>]*>([^<]+)</code>', added.content.decode()).group(1)
    robot = RobotAccount.objects.get()
    header = base64.b64encode(f"robot$canary:{secret}".encode()).decode()
    forms = (secret, header.rstrip("="))

    def api(secret_given: str, path="/registries", method="GET", body=""):
        token = base64.b64encode(f"robot$canary:{secret_given}".encode()).decode()
        return Client(raise_request_exception=False).generic(
            method, f"/api/v2.0{path}", body, "application/json", HTTP_AUTHORIZATION=f"Basic {token}")

    responses = [api(secret), api(secret, "/users/current"), api(secret, "/systeminfo"),
                 api(secret, f"/registries/{seeded[0].pk}"), api(secret + "x"),
                 api(secret, "/registries", "POST", '{"name": 1}'),
                 api(secret, f"/registries/{seeded[0].pk}", "DELETE")]
    superuser_client.post("/admin/api/robotaccount/",
                          {"action": "disable_robots", "_selected_action": [robot.pk]})
    responses.append(api(secret))
    for url in ("/admin/api/robotaccount/", f"/admin/api/robotaccount/{robot.pk}/change/",
                f"/admin/api/robotaccount/{robot.pk}/history/", "/admin/", "/admin/auth/user/"):
        responses.append(superuser_client.get(url))

    assert [r.status_code for r in responses[:8]] == [200, 200, 200, 200, 401, 422, 403, 401]
    for response in responses:
        for form in forms:
            assert form not in response.content.decode() and form not in str(response.headers)
    logged = "\n".join(f"{r.getMessage()} {r.args!r} {getattr(r, 'exc_text', '')}" for r in caplog.records)
    assert find_canaries(logged, secret) == [] and header.rstrip("=") not in logged
    assert find_canaries(str(list(LogEntry.objects.values())), secret) == []
