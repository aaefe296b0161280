"""S25: Test Connection makes this server connect wherever a user points it, so it is also
an internal port scanner. Per user, tests and checks are capped in rate
(ENDPOINT_TESTS_PER_MINUTE) and in how many run at once (ENDPOINT_TESTS_CONCURRENT), across
worker processes; past the cap the answer is 429 saying when to retry, and nothing is
contacted. Every test of an unsaved endpoint leaves a record (who, which URL, the verdict's
category) that administrators see in the admin."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from endpoints.models import ConnectionAttempt
from tests.fixtures.local_servers import REGISTRY_HEADERS
from tests.forms import registry_form

JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def registry_server(serve_http):
    return serve_http(lambda r: r.reply(200, "{}", REGISTRY_HEADERS))


@pytest.fixture
def adder(client, db):
    """A staff user who may only add endpoints: enough to run Test Connection."""
    from tests.conftest import _staff

    user = _staff("adder", "add_registry")
    client.force_login(user)
    return user


def test_it_caps_the_tests_a_user_starts_per_minute(client, adder, registry_server, settings):
    settings.ENDPOINT_TESTS_PER_MINUTE = 3

    answers = [client.post("/registries/test/", registry_form(url=registry_server.url), **JSON)
               for _ in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    refused = answers[-1]
    assert 1 <= int(refused["Retry-After"]) <= 60
    body = refused.json()
    assert body["category"] == "throttled" and body["retry_after"] == int(refused["Retry-After"])
    assert "ENDPOINT_TESTS_PER_MINUTE" in body["summary"] and "try again in" in body["summary"]
    assert len(registry_server.seen) == 3  # the refused test contacted nothing


def test_it_caps_the_tests_a_user_runs_at_once(client, adder, registry_server, settings):
    settings.ENDPOINT_TESTS_CONCURRENT = 2
    for _ in range(2):  # two tests of this user still running (in other workers)
        ConnectionAttempt.objects.create(user=adder, kind="test", url="http://10.0.0.7:22")

    refused = client.post("/registries/test/", registry_form(url=registry_server.url), **JSON)

    assert refused.status_code == 429
    assert "ENDPOINT_TESTS_CONCURRENT" in refused.json()["summary"]
    assert registry_server.seen == []


def test_running_tests_of_other_users_and_stale_ones_do_not_count(client, adder, registry_server,
                                                                   settings):
    settings.ENDPOINT_TESTS_CONCURRENT = 1
    other = User.objects.create_user("other", is_staff=True)
    ConnectionAttempt.objects.create(user=other, kind="test", url="http://10.0.0.7:22")
    long_ago = timezone.now() - timedelta(seconds=settings.ENDPOINT_TEST_DEADLINE + 60)
    ConnectionAttempt.objects.create(user=adder, kind="test", url="http://10.0.0.7:23", started_at=long_ago)

    answer = client.post("/registries/test/", registry_form(url=registry_server.url), **JSON)

    assert answer.status_code == 200


def test_without_javascript_the_refused_test_keeps_what_was_typed(client, adder, registry_server,
                                                                 settings):
    settings.ENDPOINT_TESTS_PER_MINUTE = 0

    refused = client.post("/registries/new/", registry_form(
        name="typed-name", url=registry_server.url, description="typed description", action="test"))

    assert refused.status_code == 429
    page = refused.content.decode()
    assert "ENDPOINT_TESTS_PER_MINUTE" in page
    assert 'value="typed-name"' in page and "typed description" in page
    assert registry_server.seen == []


def test_check_now_is_capped_too(owner_client, owner, make_registry, registry_server, settings):
    settings.ENDPOINT_TESTS_PER_MINUTE = 1
    registry = make_registry(url=registry_server.url)

    first = owner_client.post(f"/registries/{registry.pk}/check/")
    second = owner_client.post(f"/registries/{registry.pk}/check/")

    assert first.status_code == 302
    assert second.status_code == 429 and "try again in" in second.content.decode()
    assert len(registry_server.seen) == 1


def test_every_test_of_an_unsaved_endpoint_is_recorded(client, adder, registry_server, admin_client):
    answer = client.post("/registries/test/", registry_form(url=f"{registry_server.url}/mirror"), **JSON)

    assert answer.status_code == 200
    record = ConnectionAttempt.objects.get()
    assert (record.user, record.kind, record.registry) == (adder, "test", None)
    assert record.url == f"{registry_server.url}/mirror"
    assert record.outcome == "ok" and record.finished_at is not None
    # Administrators see who tested what, and how it ended.
    listing = admin_client.get("/admin/endpoints/connectionattempt/").content.decode()
    assert "adder" in listing and f"{registry_server.url}/mirror" in listing


def test_a_refused_test_is_recorded_as_throttled(client, adder, registry_server, settings):
    settings.ENDPOINT_TESTS_PER_MINUTE = 0

    client.post("/registries/test/", registry_form(url="http://10.1.2.3:6379"), **JSON)

    assert list(ConnectionAttempt.objects.values_list("url", "outcome")) == [
        ("http://10.1.2.3:6379", "throttled")]


def test_the_record_cannot_be_edited_in_the_admin(admin_client, adder):
    record = ConnectionAttempt.objects.create(user=adder, kind="test", url="http://10.0.0.7:22")

    page = admin_client.get(f"/admin/endpoints/connectionattempt/{record.pk}/change/")

    assert page.status_code == 200
    assert 'name="url"' not in page.content.decode()  # shown, not editable
    assert admin_client.get("/admin/endpoints/connectionattempt/add/").status_code == 403
