"""POST /registries/ping: a saved endpoint at its stored URL with its stored secret, or
unsaved values; the stored secret never goes to another origin (over real sockets)."""

import pytest

from endpoints.models import ConnectionAttempt, Registry
from tests.api.conftest import basic, harbor_error, no_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def saved(make_registry, recording_registry):
    return make_registry(name="saved", url=recording_registry.url, access_id="ci",
                         secret=recording_registry.password)


def test_ping_by_id_uses_the_stored_url_and_secret(api, saved, recording_registry):
    response = api.post("/registries/ping", {"id": saved.pk})

    assert response.status_code == 200, response.content
    no_body(response)
    assert len(recording_registry.credentialed) == 1
    assert Registry.objects.get(pk=saved.pk).status == "unknown"  # a ping is a test, not a stored check


@pytest.mark.parametrize("secret", [None, "*****"])
def test_ping_by_id_at_another_origin_sends_no_stored_secret(
    api, saved, recording_registry, second_recording_registry, secret
):
    body = {"id": saved.pk, "url": second_recording_registry.url}
    if secret is not None:
        body["access_secret"] = secret

    error = harbor_error(api.post("/registries/ping", body), 400, "BAD_REQUEST")

    assert second_recording_registry.requests, "the new URL was tested (anonymously)"
    assert second_recording_registry.credentialed == [] and recording_registry.credentialed == []
    assert error["message"].startswith("the registry is unhealthy: auth: ")
    assert error["verdict"]["warnings"][0].startswith(
        "Tested anonymously: the stored Access Secret was not sent because the Endpoint URL changed.")


def test_ping_by_id_with_a_new_secret_for_the_new_origin(api, saved, second_recording_registry):
    response = api.post("/registries/ping", {"id": saved.pk, "url": second_recording_registry.url,
                                             "access_secret": second_recording_registry.password})

    assert response.status_code == 200, response.content
    assert len(second_recording_registry.credentialed) == 1


def test_ping_by_id_with_an_empty_secret_tests_without_it(api, saved, recording_registry):
    error = harbor_error(api.post("/registries/ping", {"id": saved.pk, "access_secret": ""}), 400,
                         "BAD_REQUEST")

    stored = basic("ci", recording_registry.password)
    assert recording_registry.requests
    assert stored not in [r.authorization for r in recording_registry.requests]
    assert "auth" in error["message"]


def test_ping_of_unsaved_values(api, viewer, api_as, recording_registry):
    body = {"type": "docker-registry", "url": recording_registry.url, "credential_type": "basic",
            "access_key": "ci", "access_secret": recording_registry.password, "insecure": False,
            "name": "the ui sends it", "description": "and this"}

    response = api_as(viewer).post("/registries/ping", body)

    assert response.status_code == 200, response.content
    attempt = ConnectionAttempt.objects.get()
    assert attempt.user == viewer and attempt.url == recording_registry.url and attempt.registry is None


@pytest.mark.parametrize("body", [{}, {"type": "docker-registry"}, {"url": "https://r.example.com"},
                                  {"type": None, "url": None}, {"type": "", "url": ""}])
def test_ping_without_type_or_url_is_harbors_400(api, body):
    error = harbor_error(api.post("/registries/ping", body), 400, "BAD_REQUEST")

    assert error["message"] == "type or url cannot be empty"


def test_ping_of_an_unknown_type_says_which_exist(api):
    error = harbor_error(api.post("/registries/ping", {"type": "nexus", "url": "https://r.example.com"}),
                         400, "BAD_REQUEST")

    assert "docker-registry" in error["message"]


def test_ping_of_an_unknown_id_is_404(api):
    error = harbor_error(api.post("/registries/ping", {"id": 99}), 404, "NOT_FOUND")

    assert error["message"] == "registry 99 not found"


def test_ping_of_invalid_values_says_what_to_fix_without_connecting(api, dialled):
    error = harbor_error(api.post("/registries/ping", {"type": "aws-ecr", "url": "https://api.ecr.nowhere-1"
                                                       ".amazonaws.com"}), 400, "BAD_REQUEST")

    assert error["verdict"]["category"] == "invalid" and dialled == []


def test_pings_take_a_slot_of_the_users_test_limit(api, saved, settings, recording_registry):
    settings.ENDPOINT_TESTS_PER_MINUTE = 1
    assert api.post("/registries/ping", {"id": saved.pk}).status_code == 200
    contacted = len(recording_registry.requests)

    response = api.post("/registries/ping", {"id": saved.pk})

    error = harbor_error(response, 429, "TOO_MANY_REQUEST")
    assert "ENDPOINT_TESTS_PER_MINUTE" in error["message"]
    assert 1 <= int(response["Retry-After"]) <= 60
    assert len(recording_registry.requests) == contacted  # the refused ping contacted nothing


def test_creates_take_a_slot_too(api, settings, recording_registry):
    settings.ENDPOINT_TESTS_PER_MINUTE = 0
    body = {"name": "n", "type": "docker-registry", "url": recording_registry.url}

    harbor_error(api.post("/registries", body), 429, "TOO_MANY_REQUEST")

    assert recording_registry.requests == [] and not Registry.objects.exists()
