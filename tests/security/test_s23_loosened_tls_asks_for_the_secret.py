"""S23: unticking Verify Remote Cert, or pasting another CA Certificate, on edit without
typing the secret is handled like a URL change (S13): the stored secret is never sent, not
by Test Connection, not by the save-time test, not by a later check, and saving asks for it.

The scene: a saved endpoint whose stored secret is meant for the real registry, trusted
through its CA. At the same host and port answers an impostor whose certificate comes from
the attacker's own CA. A user with only view + change permission, who never sees the
secret, loosens the TLS trust; the impostor must see no credentials."""

from __future__ import annotations

import base64
import ssl

import pytest
import trustme
from django.contrib.auth.models import Permission, User
from django.contrib.messages import get_messages
from django.urls import reverse

from endpoints.models import Registry
from endpoints.validation import URL_CHANGED_MESSAGE, secret_reentry_reason
from tests.fixtures.local_servers import REGISTRY_HEADERS
from tests.forms import registry_form

pytestmark = pytest.mark.django_db

PASSWORD = "pw-S23-stored-canary"
VERIFY_OFF_MESSAGE = "Verify Remote Cert was turned off: enter the Access Secret again or clear it."
CA_CHANGED_MESSAGE = "The CA Certificate changed: enter the Access Secret again or clear it."
NOT_SENT = ("Tested anonymously: the stored Access Secret was not sent because {}. Enter it again to test "
            "with credentials.")
LOOSENINGS = {
    # name: (what the form posts instead of the stored trust, the message, the test's warning)
    "verify unticked": ("verify_off", VERIFY_OFF_MESSAGE, "Verify Remote Cert was turned off"),
    "another CA pasted": ("attacker_ca", CA_CHANGED_MESSAGE, "the CA Certificate changed"),
}


@pytest.fixture
def editor(db) -> User:
    """Staff with view and change permission only: never shown the stored secret."""
    user = User.objects.create_user("editor", password="pw-editor", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(
        content_type__app_label="endpoints", codename__in=["view_registry", "change_registry"],
    ))
    return user


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture(scope="module")
def attacker_ca() -> trustme.CA:
    return trustme.CA(organization_name="Impostor CA")


def registry_reply(request) -> None:
    """A registry: 200 with the expected Basic credentials, else a Basic challenge."""
    expected = "Basic " + base64.b64encode(f"ci:{PASSWORD}".encode()).decode()
    if request.headers.get("Authorization") == expected:
        request.reply(200, "{}", REGISTRY_HEADERS)
    else:
        request.reply(401, "", {"WWW-Authenticate": 'Basic realm="registry"'})


@pytest.fixture
def impostor(serve_http, attacker_ca):
    """What answers at the saved host:port: a certificate from the attacker's CA."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    attacker_ca.issue_cert("127.0.0.1").configure_cert(context)
    return serve_http(registry_reply, tls=context)


def credentialed(server) -> list[str]:
    return [seen.headers["Authorization"] for seen in server.seen if "Authorization" in seen.headers]


@pytest.fixture
def saved(make_registry, impostor, registry_ca) -> Registry:
    """Saved for the real registry: verify on, its CA pasted, the secret stored."""
    return make_registry(url=impostor.url, access_id="ci", secret=PASSWORD, verify_remote_cert=True,
                         ca_certificate=registry_ca.cert_pem.bytes().decode())


def loosened(kind: str, attacker_ca: trustme.CA, registry_ca: trustme.CA) -> dict:
    if kind == "verify_off":
        return {"verify_remote_cert": None, "ca_certificate": registry_ca.cert_pem.bytes().decode()}
    return {"verify_remote_cert": "on", "ca_certificate": attacker_ca.cert_pem.bytes().decode()}


def page_form(registry: Registry, **overrides) -> dict:
    return registry_form(name=registry.name, url=registry.url, access_id="ci", **overrides)


def stored(registry: Registry) -> tuple:
    return Registry.objects.values_list(
        "verify_remote_cert", "ca_certificate", "access_secret_encrypted").get(pk=registry.pk)


# --- the pages ---


@pytest.mark.parametrize("change", LOOSENINGS)
def test_test_connection_sends_no_stored_secret_after_loosening(
    change, editor_client, saved, impostor, attacker_ca, registry_ca
):
    kind, _message, reason = LOOSENINGS[change]

    answer = editor_client.post(f"/registries/{saved.pk}/test/", page_form(
        saved, action="test", **loosened(kind, attacker_ca, registry_ca),
    ), HTTP_ACCEPT="application/json").json()

    assert impostor.seen, "the loosened settings were tested (anonymously)"
    assert credentialed(impostor) == []
    assert answer["warnings"][0] == NOT_SENT.format(reason)


@pytest.mark.parametrize("action", ["save", "save_anyway"])
@pytest.mark.parametrize("change", LOOSENINGS)
def test_saving_a_loosened_trust_asks_for_the_secret(
    change, action, editor_client, saved, impostor, attacker_ca, registry_ca
):
    kind, message, _reason = LOOSENINGS[change]
    before = stored(saved)

    response = editor_client.post(f"/registries/{saved.pk}/edit/", page_form(
        saved, action=action, **loosened(kind, attacker_ca, registry_ca),
    ))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert credentialed(impostor) == []
    assert stored(saved) == before


def test_the_secret_typed_again_is_sent_and_saved(editor_client, saved, impostor):
    """The control: the same loosening with the secret typed again goes through, so the
    tests above fail for the rule and not for the setup."""
    response = editor_client.post(f"/registries/{saved.pk}/edit/", page_form(
        saved, verify_remote_cert=None, access_secret=PASSWORD,
    ), follow=True)

    assert "Updated endpoint successfully." in response.content.decode()
    assert len(credentialed(impostor)) == 1
    assert Registry.objects.get(pk=saved.pk).verify_remote_cert is False


# --- the admin ---


@pytest.mark.parametrize("change", LOOSENINGS)
def test_the_admin_asks_for_the_secret_and_a_later_check_sends_none(
    change, editor_client, saved, impostor, attacker_ca, registry_ca
):
    kind, message, _reason = LOOSENINGS[change]
    before = stored(saved)
    data = {"provider": saved.provider, "name": saved.name, "description": "", "url": saved.url,
            "access_id": "ci", "access_secret": "", **loosened(kind, attacker_ca, registry_ca)}

    response = editor_client.post(reverse("admin:endpoints_registry_change", args=[saved.pk]),
                                  {k: v for k, v in data.items() if v is not None})
    checked = editor_client.post(reverse("admin:endpoints_registry_changelist"), {
        "action": "check_connection", "_selected_action": [saved.pk],
    }, follow=True)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert stored(saved) == before
    reports = [str(m) for m in get_messages(checked.wsgi_request)]
    assert any(r.startswith(f"{saved.name}: Unhealthy (TLS or certificate problem)")
               for r in reports), reports
    assert credentialed(impostor) == []


# --- what does not loosen the trust ---


def test_ticking_verify_again_and_removing_the_ca_keep_the_stored_secret(
    editor_client, make_registry, recording_registry
):
    """Tightening is no reason to ask: the stored secret is sent (to its own host)."""
    registry = make_registry(url=recording_registry.url, access_id="ci",
                             secret=recording_registry.password, verify_remote_cert=False)

    answer = editor_client.post(f"/registries/{registry.pk}/test/", page_form(
        registry, action="test", verify_remote_cert="on", ca_certificate="",
    ), HTTP_ACCEPT="application/json").json()

    assert answer["ok"] is True, answer
    assert not any("was not sent" in warning for warning in answer["warnings"])
    assert len(recording_registry.credentialed) == 1


def test_the_same_ca_pasted_again_with_other_line_ends_is_no_change(
    editor_client, make_registry, serve_http, server_tls, registry_ca
):
    real = serve_http(registry_reply, tls=server_tls("127.0.0.1"))
    pem = registry_ca.cert_pem.bytes().decode()
    registry = make_registry(url=real.url, access_id="ci", secret=PASSWORD, ca_certificate=pem)

    answer = editor_client.post(f"/registries/{registry.pk}/test/", page_form(
        registry, action="test", ca_certificate="\r\n".join(pem.splitlines()) + "\r\n\r\n",
    ), HTTP_ACCEPT="application/json").json()

    assert answer["ok"] is True, answer
    assert len(credentialed(real)) == 1


def test_ecr_with_verify_unticked_is_not_tested_with_the_servers_own_identity(
    editor_client, make_registry
):
    """Without the stored keys ECR would test with the server's default AWS credentials."""
    registry = make_registry(provider="aws-ecr", url="https://api.ecr.us-east-1.amazonaws.com",
                             access_id="AKIAIOSFODNN7EXAMPLE",  # AWS's documentation example
                             secret="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")

    body = editor_client.post(f"/registries/{registry.pk}/test/", registry_form(
        provider="aws-ecr", url=registry.url, access_id="AKIAIOSFODNN7EXAMPLE",
        verify_remote_cert=None, action="test",
    ), HTTP_ACCEPT="application/json").json()

    assert (body["category"], body["summary"]) == ("invalid", VERIFY_OFF_MESSAGE)
    assert [step["name"] for step in body["steps"]] == ["Check input"]


# --- the rule itself, with plain values (what a future REST API calls) ---

URL = "https://registry.example.com"
CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
OTHER_CA = "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n"


@pytest.mark.parametrize("stored, new, expected", [
    ((URL, True, ""), (URL, True, ""), None),
    ((URL, True, ""), ("https://other.example.com", True, ""), URL_CHANGED_MESSAGE),
    ((URL, True, CA), ("https://other.example.com", False, OTHER_CA), URL_CHANGED_MESSAGE),
    ((URL, True, CA), (URL, False, CA), VERIFY_OFF_MESSAGE),
    ((URL, True, ""), (URL, False, ""), VERIFY_OFF_MESSAGE),
    ((URL, True, ""), (URL, True, CA), CA_CHANGED_MESSAGE),
    ((URL, True, CA), (URL, True, OTHER_CA), CA_CHANGED_MESSAGE),
    ((URL, True, CA), (URL, True, CA + OTHER_CA), CA_CHANGED_MESSAGE),
    ((URL, True, CA), (URL, True, "  " + CA.replace("\n", "\r\n") + "\n\n"), None),
    ((URL, True, CA), (URL, True, ""), None),        # removing the CA tightens
    ((URL, False, ""), (URL, True, ""), None),       # ticking verify again tightens
    ((URL, False, ""), (URL, True, OTHER_CA), None),  # from "anything goes" to one CA
    ((URL, False, CA), (URL, False, OTHER_CA), None),  # unused while verify is off
])
def test_the_rule_with_plain_values(stored, new, expected):
    reason = secret_reentry_reason(*stored, *new)
    assert (reason.message if reason else None) == expected
