"""POST, PUT and DELETE /registries: Harbor's status codes and bodies, harborreg's rules
(the same ones the pages use), the full diagnosis on failure, and the change log."""

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry

from endpoints.models import ConnectionAttempt, Registry
from tests.api.conftest import harbor_error, no_body
from tests.fixtures.local_servers import REGISTRY_HEADERS

pytestmark = pytest.mark.django_db


@pytest.fixture
def open_registry(serve_http):
    """A registry that lets anyone in: every test passes."""
    return serve_http(lambda request: request.reply(200, "{}", REGISTRY_HEADERS))


def create_body(url: str, **overrides) -> dict:
    body = {"name": "mirror", "type": "docker-registry", "url": url,
            "credential": {"type": "basic", "access_key": "", "access_secret": ""}}
    body.update(overrides)
    return body


# --- create ---------------------------------------------------------------------------


def test_create_answers_201_with_a_path_location_and_no_body(api, owner, recording_registry):
    response = api.post("/registries", create_body(recording_registry.url, credential={
        "type": "basic", "access_key": "ci", "access_secret": recording_registry.password}))

    assert response.status_code == 201, response.content
    no_body(response)
    registry = Registry.objects.get(name="mirror")
    assert response["Location"] == f"/api/v2.0/registries/{registry.pk}"
    assert registry.decrypt_secret() == recording_registry.password and registry.status == "healthy"
    assert len(recording_registry.credentialed) == 1  # the save-time test, with the secret given
    entry = LogEntry.objects.get(object_id=str(registry.pk))
    assert entry.action_flag == ADDITION and entry.user == owner
    attempt = ConnectionAttempt.objects.get()
    assert attempt.user == owner and attempt.kind == "test" and attempt.outcome == "ok"


def test_create_ignores_what_go_client_sends_besides(api, open_registry):
    body = {"id": 0, "name": "go", "type": "docker-registry", "url": open_registry.url + "/",
            "creation_time": "0001-01-01T00:00:00.000Z", "update_time": "0001-01-01T00:00:00.000Z",
            "status": "unhealthy", "credential": {}, "no_such_key": {"nested": [1, 2]}}

    response = api.post("/registries", body)

    assert response.status_code == 201, response.content
    registry = Registry.objects.get(name="go")
    assert registry.url == open_registry.url and registry.status == "healthy"


def test_create_accepts_null_everywhere_as_harbor_cli_sends_it(api, open_registry):
    body = {"url": open_registry.url, "name": "cli", "type": "docker-registry", "insecure": False,
            "description": None, "ca_certificate": None,
            "credential": {"type": None, "access_key": None, "access_secret": None}}

    assert api.post("/registries", body).status_code == 201
    assert api.post("/registries", {**body, "name": "cli2", "credential": None}).status_code == 201


def test_create_stores_terraforms_fields(api, open_registry):
    response = api.post("/registries", {
        "name": "tf", "type": "docker-registry", "url": open_registry.url, "insecure": True,
        "description": "from terraform", "credential": {"type": "basic", "access_key": "u",
                                                        "access_secret": "tf-secret"}})

    assert response.status_code == 201, response.content
    got = api.get(response["Location"]).json()
    assert got["insecure"] is True and got["description"] == "from terraform"
    assert got["credential"] == {"type": "basic", "access_key": "u", "access_secret": "*****"}


def test_a_failed_test_is_harbors_400_with_the_whole_diagnosis(api, recording_registry):
    response = api.post("/registries", create_body(recording_registry.url, credential={
        "access_key": "ci", "access_secret": "not-the-password"}))

    error = harbor_error(response, 400, "BAD_REQUEST")
    assert error["message"].startswith("the registry is unhealthy: auth: ")
    verdict = error["verdict"]
    assert verdict["ok"] is False and verdict["status"] == "unhealthy" and verdict["category"] == "auth"
    assert error["message"] == f"the registry is unhealthy: auth: {verdict['summary']}"
    assert [step["name"] for step in verdict["steps"]][0] == "Check input"
    assert {"name", "ok", "ms", "detail", "hint"} <= set(verdict["steps"][-1])
    assert not Registry.objects.exists()
    assert "not-the-password" not in response.content.decode()


@pytest.mark.parametrize("body, field, words", [
    ({"type": None}, "type", "docker-registry"),
    ({"type": "nexus"}, "type", "docker-registry"),
    ({"name": ""}, "name", "required"),
    ({"name": None}, "name", "required"),
    ({"name": "x" * 65}, "name", "64"),
    ({"name": "p\u0430ypal"}, "name", "alphabet"),  # a Cyrillic а among Latin letters
    ({"url": "ftp://registry.example.com"}, "url", "http or https"),
    ({"url": ""}, "url", "required"),
    ({"url": "https://user:pw@registry.example.com"}, "url", "user name"),
    ({"type": "aws-ecr", "url": "https://api.ecr.us-east-7.amazonaws.com"}, "url", "region"),
    ({"ca_certificate": "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----"},
     "ca_certificate", "cannot be read"),
    ({"credential": {"access_key": "", "access_secret": "pw"}, "type": "harbor"},
     "credential.access_key", "Access ID"),
    ({"credential": {"access_secret": "x" * 70_000}}, "credential.access_secret", "too long"),
    ({"credential": {"access_secret": "*****"}}, "credential.access_secret", "*****"),
])
def test_invalid_input_is_a_400_saying_what_to_fix_before_any_connection(api, dialled, body, field, words):
    response = api.post("/registries", {**create_body("https://registry.example.com"), **body})

    harbor_error(response, 400, "BAD_REQUEST")
    errors = response.json()["errors"]
    assert any(e.get("field") == field and words in e["message"] for e in errors), errors
    assert dialled == [] and not Registry.objects.exists()


def test_a_taken_name_is_harbors_409_naming_the_holder(api, make_registry, dialled):
    make_registry(name="Mirror")

    error = harbor_error(api.post("/registries", create_body("https://r.example.com")), 409, "CONFLICT")

    assert error["message"].startswith("registry mirror already exists: ")
    assert "“Mirror”" in error["message"] and "not case-sensitive" in error["message"]
    assert dialled == []


# --- update ---------------------------------------------------------------------------


@pytest.fixture
def saved(make_registry, recording_registry):
    return make_registry(name="saved", url=recording_registry.url, access_id="ci",
                         secret=recording_registry.password)


def test_a_description_edit_is_saved_untested_and_logged(api, owner, saved, recording_registry):
    response = api.put(f"/registries/{saved.pk}", {"description": "new words"})

    assert response.status_code == 200, response.content
    no_body(response)
    saved.refresh_from_db()
    assert saved.description == "new words" and saved.decrypt_secret() == recording_registry.password
    assert recording_registry.requests == []  # the connection did not change: no test
    entry = LogEntry.objects.get(object_id=str(saved.pk), action_flag=CHANGE)
    assert entry.user == owner and entry.get_change_message() == "Changed Description."


def test_null_and_absent_mean_unchanged_as_harbor_cli_sends_them(api, saved, recording_registry):
    body = {"name": "saved", "description": None, "url": recording_registry.url, "insecure": None,
            "access_key": None, "access_secret": None, "ca_certificate": None, "credential_type": None}

    assert api.put(f"/registries/{saved.pk}", body).status_code == 200

    saved.refresh_from_db()
    assert (saved.access_id, saved.verify_remote_cert) == ("ci", True)
    assert saved.decrypt_secret() == recording_registry.password
    assert not LogEntry.objects.filter(action_flag=CHANGE).exists()  # nothing changed


def test_the_mask_sent_back_keeps_the_stored_secret(api, saved, recording_registry):
    """goharbor/harbor-cli's update: GET, then PUT every field, the secret as read ("*****")."""
    got = api.get(f"/registries/{saved.pk}").json()
    body = {"name": got["name"], "description": "renamed by the go cli", "url": got["url"],
            "credential_type": got["credential"]["type"], "access_key": got["credential"]["access_key"],
            "access_secret": got["credential"]["access_secret"], "insecure": False}

    assert api.put(f"/registries/{saved.pk}", body).status_code == 200

    saved.refresh_from_db()
    assert saved.decrypt_secret() == recording_registry.password  # Harbor would now store "*****"
    assert recording_registry.requests == []


def test_a_new_secret_is_tested_with_it_and_logged_by_name(api, make_registry, recording_registry):
    registry = make_registry(name="saved", url=recording_registry.url, access_id="ci", secret="old-one")

    response = api.put(f"/registries/{registry.pk}", {"access_secret": recording_registry.password})

    assert response.status_code == 200, response.content
    registry.refresh_from_db()
    assert registry.decrypt_secret() == recording_registry.password and registry.status == "healthy"
    assert len(recording_registry.credentialed) == 1
    entry = LogEntry.objects.get(object_id=str(registry.pk), action_flag=CHANGE)
    assert entry.get_change_message() == "Changed Access Secret."


def test_an_empty_string_clears_the_secret_as_terraform_sends_it(api, make_registry, open_registry):
    registry = make_registry(name="tf", url=open_registry.url, access_id="u", secret="gone-soon")
    body = {"name": "tf", "url": open_registry.url, "access_key": "", "access_secret": "", "insecure": False,
            "description": "", "ca_certificate": ""}

    assert api.put(f"/registries/{registry.pk}", body).status_code == 200

    registry.refresh_from_db()
    assert not registry.has_secret and registry.access_id == ""
    assert api.get(f"/registries/{registry.pk}").json()["credential"] == {}
    message = LogEntry.objects.get(object_id=str(registry.pk), action_flag=CHANGE).get_change_message()
    assert message == "Changed Access ID and Access Secret."


@pytest.mark.parametrize("secret", [None, "*****"])
def test_a_new_origin_without_a_new_secret_is_refused_and_nothing_is_sent(
    api, saved, recording_registry, second_recording_registry, secret
):
    body = {"url": second_recording_registry.url}
    if secret is not None:
        body["access_secret"] = secret

    error = harbor_error(api.put(f"/registries/{saved.pk}", body), 400, "BAD_REQUEST")

    assert error["message"] == ('The Endpoint URL changed: enter access_secret again or send "" to clear it '
                                "(a stored secret never follows a new address or a looser TLS trust).")
    assert error["field"] == "access_secret"
    assert second_recording_registry.requests == [] and recording_registry.requests == []
    saved.refresh_from_db()
    assert saved.url == recording_registry.url and saved.decrypt_secret() == recording_registry.password


@pytest.mark.parametrize("body, cause", [
    ({"insecure": True}, "Verify Remote Cert was turned off"),
    ({"ca_certificate": "CA"}, "The CA Certificate changed"),
])
def test_a_looser_tls_trust_without_a_new_secret_is_refused(api, saved, registry_ca, body, cause):
    if body.get("ca_certificate"):
        body = {"ca_certificate": registry_ca.cert_pem.bytes().decode()}

    error = harbor_error(api.put(f"/registries/{saved.pk}", body), 400, "BAD_REQUEST")

    assert error["message"].startswith(f'{cause}: enter access_secret again or send "" to clear it')


def test_a_new_origin_with_the_secret_given_again_is_tested_there_and_saved(
    api, saved, second_recording_registry
):
    response = api.put(f"/registries/{saved.pk}", {"url": second_recording_registry.url,
                                                   "access_secret": second_recording_registry.password})

    assert response.status_code == 200, response.content
    assert len(second_recording_registry.credentialed) == 1
    message = LogEntry.objects.get(object_id=str(saved.pk), action_flag=CHANGE).get_change_message()
    assert message == "Changed Endpoint URL and Access Secret."


def test_a_failed_update_test_changes_nothing(api, saved, recording_registry):
    response = api.put(f"/registries/{saved.pk}", {"access_secret": "wrong-password", "description": "x"})

    error = harbor_error(response, 400, "BAD_REQUEST")
    assert error["message"].startswith("the registry is unhealthy: auth: ")
    saved.refresh_from_db()
    assert saved.decrypt_secret() == recording_registry.password and saved.description == ""


def test_a_nested_credential_in_a_put_is_ignored(api, saved, recording_registry):
    response = api.put(f"/registries/{saved.pk}", {"credential": {"access_key": "someone-else"}})

    assert response.status_code == 200
    saved.refresh_from_db()
    assert saved.access_id == "ci"


def test_an_update_to_a_taken_name_is_409(api, saved, make_registry):
    make_registry(name="other")

    error = harbor_error(api.put(f"/registries/{saved.pk}", {"name": "OTHER"}), 409, "CONFLICT")

    assert error["message"].startswith("registry OTHER already exists")


def test_update_of_an_unknown_id_is_404(api):
    assert harbor_error(api.put("/registries/99", {"description": "x"}), 404, "NOT_FOUND")["message"] == (
        "registry 99 not found")


def test_invalid_update_values_say_what_to_fix(api, saved):
    response = api.put(f"/registries/{saved.pk}", {"url": "registry.example.com?x=1", "name": ""})

    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert response.status_code == 400 and set(errors) == {"url", "name"}
    assert "query string" in errors["url"]


# --- delete ---------------------------------------------------------------------------


def test_delete_answers_200_without_a_body_and_is_logged(api, owner, make_registry):
    registry = make_registry(name="gone")

    response = api.delete(f"/registries/{registry.pk}")

    assert response.status_code == 200
    no_body(response)
    assert not Registry.objects.exists()
    entry = LogEntry.objects.get(object_id=str(registry.pk))
    assert entry.action_flag == DELETION and entry.user == owner


def test_a_referenced_registry_is_412_naming_who_uses_it(api, make_registry, make_rule, make_project):
    hub = make_registry(name="hub", provider="docker-hub", url="https://hub.docker.com")
    make_rule("nightly", destination=hub)
    make_project("cache", registry=hub)

    error = harbor_error(api.delete(f"/registries/{hub.pk}"), 412, "PRECONDITION")

    assert error["message"] == (f"the registry {hub.pk} is referenced by replication rule “nightly” and "
                                "proxy-cache project “cache”, cannot delete it")
    assert error["rules"] == ["nightly"] and error["projects"] == ["cache"]
    assert Registry.objects.filter(pk=hub.pk).exists()


def test_several_users_are_listed(api, make_registry, make_rule):
    registry = make_registry(name="src")
    for name in ("a", "b", "c"):
        make_rule(name, source=registry)

    error = harbor_error(api.delete(f"/registries/{registry.pk}"), 412, "PRECONDITION")

    assert "replication rules “a”, “b” and “c”, cannot delete it" in error["message"]


def test_delete_of_an_unknown_id_is_404(api):
    assert harbor_error(api.delete("/registries/99"), 404, "NOT_FOUND")["message"] == "registry 99 not found"
