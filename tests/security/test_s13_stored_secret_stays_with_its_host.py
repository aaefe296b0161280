"""S13: stored credentials never go to a URL the admin did not save them for. Changing the
Endpoint URL's scheme, host or port without typing the secret again: Test Connection and
the save-time test send no credentials to the new host, and saving asks for the secret
(Harbor #23463, #23671). The admin's form has the same rule (tests/test_admin.py)."""

import base64
import re

import pytest

from endpoints.forms import URL_CHANGED_MESSAGE
from endpoints.models import Registry
from tests.forms import registry_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def saved(make_registry, recording_registry):
    return make_registry(url=recording_registry.url, access_id="ci", secret=recording_registry.password)


def other_origins(first, second) -> dict[str, str]:
    """New URLs that all reach the second recording server (or nothing), never the first."""
    port = second.url.rsplit(":", 1)[1]
    return {
        "port": second.url,                                  # 127.0.0.1:<other port>
        "host": f"http://localhost:{port}",                  # same server, another host name
        "scheme": first.url.replace("http://", "https://"),  # the first server, over https
    }


@pytest.mark.parametrize("change", ["port", "host", "scheme"])
def test_test_connection_sends_no_stored_credentials_to_a_new_origin(
    change, owner_client, saved, recording_registry, second_recording_registry
):
    new_url = other_origins(recording_registry, second_recording_registry)[change]

    answer = owner_client.post(f"/registries/{saved.pk}/test/", registry_form(
        url=new_url, access_id="ci", action="test",
    ), HTTP_ACCEPT="application/json").json()

    assert "was not sent because the Endpoint URL changed" in answer["warnings"][0]
    assert second_recording_registry.credentialed == []
    assert recording_registry.credentialed == []
    if change != "scheme":
        assert second_recording_registry.requests, "the new URL was tested (anonymously)"


@pytest.mark.parametrize("action", ["save", "save_anyway"])
def test_saving_a_new_origin_asks_for_the_secret(action, owner_client, saved, recording_registry,
                                                 second_recording_registry):
    before = saved.access_secret_encrypted
    new_url = second_recording_registry.url
    data = registry_form(url=new_url, access_id="ci", action=action)
    if action == "save_anyway":  # a genuine "Save anyway" token from an earlier failed test
        page = owner_client.post(f"/registries/{saved.pk}/edit/", registry_form(
            url="http://127.0.0.1:9", access_id="ci", access_secret="typed-for-port-9",
        )).content.decode()
        data["verdict"] = re.search(r'name="verdict" value="([^"]+)"', page).group(1)

    response = owner_client.post(f"/registries/{saved.pk}/edit/", data)

    assert URL_CHANGED_MESSAGE in response.content.decode()
    assert second_recording_registry.credentialed == []
    saved.refresh_from_db()
    assert saved.url == recording_registry.url and saved.access_secret_encrypted == before


def test_a_new_origin_with_the_secret_typed_again_is_saved(owner_client, saved, second_recording_registry):
    response = owner_client.post(f"/registries/{saved.pk}/edit/", registry_form(
        url=second_recording_registry.url, access_id="ci", access_secret=second_recording_registry.password,
    ), follow=True)

    assert "Updated endpoint successfully." in response.content.decode()
    assert len(second_recording_registry.credentialed) == 1  # the save-time test, with the typed secret
    assert Registry.objects.get(pk=saved.pk).url == second_recording_registry.url


def test_a_changed_path_on_the_same_host_keeps_the_secret(owner_client, saved, recording_registry):
    response = owner_client.post(f"/registries/{saved.pk}/test/", registry_form(
        url=recording_registry.url + "/", access_id="ci", action="test",
    ), HTTP_ACCEPT="application/json")

    assert response.json()["ok"] is True
    assert recording_registry.credentialed


@pytest.mark.django_db
def test_a_stored_ciphertext_cannot_pose_as_a_typed_secret(
    owner_client, make_registry, second_recording_registry
):
    """The form carries a typed secret across re-renders as `e1:` ciphertext. A stored `v1:`
    envelope relabelled `e1:` must not decrypt, or anyone with a database dump could send a
    stored secret to a host of their choice."""
    registry = make_registry(url="https://registry.example.com", access_id="ci", secret="stored-pass-1234")
    forged = "e1:" + registry.access_secret_encrypted.split(":", 1)[1]
    response = owner_client.post("/registries/test/", {
        "provider": "docker-registry", "name": "", "url": second_recording_registry.url,
        "access_id": "ci", "verify_remote_cert": "on", "pending_secret": forged,
    }, HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert second_recording_registry.requests, "the new URL was tested"
    sent = [base64.b64decode(r.authorization.split()[1]).decode()
            for r in second_recording_registry.credentialed]
    assert all("stored-pass-1234" not in credentials for credentials in sent), sent
