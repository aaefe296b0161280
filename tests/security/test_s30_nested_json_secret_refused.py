"""S30: a JSON secret (Google GCR key, Quay secret) nested deeper than any key file is
refused with a message saying what to fix, on every way in: the page form, the JSON Test
Connection, the admin and `ping_endpoint`. Never a 500, never the typed secret echoed."""

import html
import io
import json
import logging

import pytest
from django.core.management import call_command

from endpoints.models import Registry
from tests.forms import registry_form
from tests.security.canary import find_canaries

pytestmark = pytest.mark.django_db

CANARY = "cAnary-Nested-4471-kk"
TOO_DEEP = "nested too deeply"
PROVIDERS = {  # provider: (URL, fixed Access ID)
    "google-gcr": ("https://gcr.io", "_json_key"),
    "quay": ("https://quay.io", "json_file"),
}
# 5000 levels: beyond Python's recursion limit wherever the parser is called from.
# 200 levels: parses, but no key file is nested like that.
DEPTHS = (5000, 200)


def nested_secret(depth: int) -> str:
    return json.dumps({"private_key": CANARY, "docker_cli_password": CANARY})[:-1] + (
        ', "x": ' + "[" * depth + "]" * depth + "}"
    )


def form_for(provider: str, depth: int, **overrides) -> dict:
    url, access_id = PROVIDERS[provider]
    return registry_form(provider=provider, name="deep", url=url, access_id=access_id,
                         access_secret=nested_secret(depth), **overrides)


def assert_no_error_logged(caplog) -> None:
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def access_secret_error(page: str) -> str:
    """The errors crispy-forms renders under the Access Secret field, unescaped."""
    start = page.index('<div id="id_access_secret_error"')
    return html.unescape(page[start:page.index("</div>", start)])


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_page_form_refuses_it_with_a_field_error(owner, client, provider, depth, caplog):
    client.raise_request_exception = False
    client.force_login(owner)

    response = client.post("/registries/new/", form_for(provider, depth, action="save"))

    assert response.status_code == 400
    page = response.content.decode()
    assert TOO_DEEP in access_secret_error(page)
    assert "paste" in access_secret_error(page)
    assert find_canaries(page, CANARY) == []
    assert not Registry.objects.exists()
    assert_no_error_logged(caplog)


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("provider", PROVIDERS)
def test_json_test_connection_answers_400_with_errors(owner, client, provider, depth, caplog):
    client.raise_request_exception = False
    client.force_login(owner)

    response = client.post("/registries/test/", form_for(provider, depth, action="test"),
                           HTTP_ACCEPT="application/json")

    assert response.status_code == 400
    body = response.json()
    assert any(TOO_DEEP in message for message in body["errors"]["access_secret"])
    assert find_canaries(response.content, CANARY) == []
    assert_no_error_logged(caplog)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_admin_shows_the_error_on_the_field(admin_client, provider, caplog):
    admin_client.raise_request_exception = False
    url, access_id = PROVIDERS[provider]

    response = admin_client.post("/admin/endpoints/registry/add/", {
        "provider": provider, "name": "deep", "url": url, "access_id": access_id,
        "access_secret": nested_secret(5000), "verify_remote_cert": "on",
    })

    assert response.status_code == 200  # the admin re-renders an invalid form with 200
    page = html.unescape(response.content.decode())
    assert TOO_DEEP in page
    assert find_canaries(response.content, CANARY) == []
    assert not Registry.objects.exists()
    assert_no_error_logged(caplog)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_ping_endpoint_exits_2_with_the_message(provider, tmp_path):
    url, access_id = PROVIDERS[provider]
    secret_file = tmp_path / "secret.json"
    secret_file.write_text(nested_secret(5000))
    out = io.StringIO()

    with pytest.raises(SystemExit) as exited:
        call_command("ping_endpoint", "--provider", provider, "--url", url, "--access-id", access_id,
                     "--access-secret-file", str(secret_file), stdout=out, stderr=out)

    assert exited.value.code == 2
    assert TOO_DEEP in out.getvalue() and "[invalid]" in out.getvalue()
    assert find_canaries(out.getvalue(), CANARY) == []
