"""Test Connection for the Azure ACR provider against an emulated login server
(myacr.azurecr.io: `/v2/` and `/oauth2/token`) over TLS."""

from __future__ import annotations

import base64

import pytest

from tests.fixtures.azure_emulator import ACR_HOST, AzureAcrEmulator
from tests.fixtures.emulators import Reply
from tests.fixtures.probing import check, failed_step, shown, step_named

pytestmark = pytest.mark.django_db

URL = f"https://{ACR_HOST}"
REALM = f"{URL}/oauth2/token"


@pytest.fixture
def acr(emulate) -> AzureAcrEmulator:
    registry = AzureAcrEmulator()
    registry.server = emulate([ACR_HOST], registry)
    return registry


def check_acr(acr: AzureAcrEmulator, username: str = "", password: str = "", url: str = URL):
    assert acr.server is not None
    return check(url, username, password, provider="azure-acr", ca_pem=acr.server.ca_pem)


def test_it_authenticates_the_admin_user_with_an_access_token(acr):
    verdict = check_acr(acr, acr.admin_user, acr.admin_password)

    assert verdict.ok and verdict.category == "ok", verdict.as_json()
    assert verdict.summary == f"Authenticated as myacr via token service {REALM}."
    assert step_named(verdict, f"Token from {REALM}").detail == f"Token issued for service {ACR_HOST}."
    assert acr.paths() == ["/v2/", "/oauth2/token", "/v2/"]
    _probe, token, v2 = acr.server.requests
    basic = base64.b64encode(f"myacr:{acr.admin_password}".encode()).decode()
    assert token.headers["authorization"] == f"Basic {basic}" and token.query == {"service": ACR_HOST}
    assert v2.headers["authorization"] == f"Bearer {acr.issued[0]}"
    assert acr.admin_password not in shown(verdict) and acr.issued[0] not in shown(verdict)


def test_it_authenticates_a_service_principal(acr):
    verdict = check_acr(acr, acr.app_id, acr.client_secret)

    assert verdict.ok, verdict.as_json()
    assert verdict.summary == f"Authenticated as {acr.app_id} via token service {REALM}."
    assert acr.client_secret not in shown(verdict)


def test_it_says_auth_with_acr_advice_when_the_secret_is_wrong(acr):
    verdict = check_acr(acr, acr.app_id, "wrong-client-secret-3")

    assert verdict.category == "auth"
    step = failed_step(verdict)
    assert step.name == f"Token from {REALM}"
    assert "401" in verdict.summary and f"“{acr.app_id}”" in verdict.summary
    assert "enable Admin user" in step.hint and "Service principal" in step.hint
    assert "AcrPull" in step.hint
    assert step.hint in verdict.reason
    assert acr.issued == []
    assert "wrong-client-secret-3" not in shown(verdict)


def test_it_says_auth_when_the_admin_user_is_disabled(acr):
    acr.admin_enabled = False

    verdict = check_acr(acr, acr.admin_user, acr.admin_password)

    assert verdict.category == "auth"
    assert failed_step(verdict).name == f"Token from {REALM}"
    assert "enable Admin user (registry → Settings → Access keys)" in failed_step(verdict).hint
    assert acr.admin_password not in shown(verdict)


def test_a_registry_without_anonymous_pull_is_auth_without_credentials(acr):
    verdict = check_acr(acr)

    assert verdict.category == "auth" and not verdict.ok, verdict.as_json()
    assert "requires credentials: anonymous access was refused" in verdict.summary
    # The ACR advice is about wrong credentials: without any, the hint asks for them.
    assert failed_step(verdict).hint.startswith("Enter the Access ID and Access Secret")
    assert acr.paths() == ["/v2/", "/oauth2/token"]  # the anonymous token a pull would ask for


def test_it_says_not_registry_with_the_login_server_when_the_url_is_another_azure_host(emulate):
    """A web app's address instead of the login server: its /v2/ is a 404 page."""
    page = Reply(404, "<h1>404 Web Site not found</h1>", {"Content-Type": "text/html"})
    webapp = emulate(["myacr.azurewebsites.net"], lambda request: page)

    verdict = check("https://myacr.azurewebsites.net", "myacr", "Acr-admin-password-1",
                    provider="azure-acr", ca_pem=webapp.ca_pem)

    assert verdict.category == "not_registry"
    step = failed_step(verdict)
    assert step.name == "GET https://myacr.azurewebsites.net/v2/"
    assert "404" in verdict.summary
    assert "login server, https://<registry name>.azurecr.io" in step.hint
    assert "https://myacr.azurewebsites.net" in step.hint
    assert "Acr-admin-password-1" not in shown(verdict)


def test_the_azure_portal_stops_at_input_without_any_request(acr):
    verdict = check("https://portal.azure.com", acr.admin_user, acr.admin_password, provider="azure-acr")

    assert verdict.category == "invalid"
    step = failed_step(verdict)
    assert step.name == "Check input"
    assert "login server" in verdict.summary and "https://myregistry.azurecr.io" in verdict.summary
    assert acr.server.requests == []
    assert acr.admin_password not in shown(verdict)
