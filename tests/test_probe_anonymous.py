"""No credentials (issue 10, item 3; SPEC §7): the check asks as an anonymous pull would.
A registry that refuses anonymous access is `auth`, Unhealthy, never a green Healthy; an
anonymous token that works is Healthy with the note that only public repositories can be
pulled. Against the real docker-registry, in Basic and token modes."""

from __future__ import annotations

import pytest

from endpoints.models import Registry
from tests.fixtures.probing import check, failed_step, shown
from tests.forms import registry_form

pytestmark = pytest.mark.registry

REFUSED = "requires credentials: anonymous access was refused"
ENTER = "Enter the Access ID and Access Secret"


def test_a_basic_registry_without_credentials_is_auth_and_unhealthy(registry_basic):
    verdict = check(registry_basic.url)

    assert not verdict.ok and verdict.status == "unhealthy"
    assert verdict.category == "auth"
    assert REFUSED in verdict.summary
    step = failed_step(verdict)
    assert step.name == f"GET {registry_basic.url}/v2/"
    assert step.detail == "HTTP 401, Basic challenge."
    assert step.hint.startswith(ENTER)
    assert "Connection tested successfully" not in shown(verdict)


def test_a_token_service_refusing_an_anonymous_token_is_auth(registry_token_login_required):
    server = registry_token_login_required.token_server
    before = len(server.requests)

    verdict = check(registry_token_login_required.url)

    assert verdict.category == "auth" and verdict.status == "unhealthy", verdict.as_json()
    assert REFUSED in verdict.summary
    step = failed_step(verdict)
    assert step.name == f"Token from {server.realm}"
    assert step.hint.startswith(ENTER)
    # Over the wire: one token request, as an anonymous pull makes it, without credentials.
    (asked,) = server.requests[before:]
    assert "Authorization" not in asked.headers


def test_an_anonymous_token_that_works_is_healthy_for_public_repositories(registry_token):
    server = registry_token.token_server
    before = len(server.requests)

    verdict = check(registry_token.url)

    assert verdict.ok and verdict.category == "ok", verdict.as_json()
    assert "only public repositories can be pulled" in verdict.summary
    assert any("only public repositories" in warning for warning in verdict.warnings)
    (asked,) = server.requests[before:]
    assert "Authorization" not in asked.headers
    assert [s.name for s in verdict.steps][-1] == f"GET {registry_token.url}/v2/ (anonymous token)"


def test_an_open_registry_is_still_healthy_without_credentials(registry_open):
    verdict = check(registry_open.url)

    assert verdict.ok and verdict.category == "ok"


@pytest.mark.parametrize("status", [401, 403])
def test_a_refusal_without_a_challenge_is_auth(serve_http, status):
    server = serve_http(lambda r: r.reply(status, "denied"))

    verdict = check(server.url)

    assert verdict.category == "auth" and not verdict.ok
    assert REFUSED in verdict.summary
    assert failed_step(verdict).hint.startswith(ENTER)


@pytest.mark.django_db
def test_an_edit_that_withholds_the_secret_says_it_tested_anonymously(owner_client, make_registry,
                                                                      registry_basic):
    registry = make_registry(url=registry_basic.url, access_id="ci", secret=registry_basic.password)
    moved = registry_basic.url.replace("127.0.0.1", "localhost")

    body = owner_client.post(f"/registries/{registry.pk}/test/", registry_form(
        name=registry.name, url=moved, access_id="ci",
    ), HTTP_ACCEPT="application/json").json()

    assert body["category"] == "auth" and body["status"] == "unhealthy", body
    assert REFUSED in body["summary"]
    assert body["warnings"][0].startswith(
        "Tested anonymously: the stored Access Secret was not sent because the Endpoint URL changed.")
    assert registry_basic.password not in str(body)
    assert Registry.objects.get(pk=registry.pk).status == "unknown"  # a test stores nothing
