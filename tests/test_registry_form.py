"""New / Edit Endpoint: labels, provider-driven fields, Test Connection, save-time test,
Save anyway, and the write-only secret rules."""

import re

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry

from endpoints.models import Registry
from endpoints.providers import PROVIDERS
from endpoints.validation import URL_CHANGED_MESSAGE
from tests.forms import registry_form

pytestmark = pytest.mark.django_db

CANARY = "canary-Secret-4711"


form_data = registry_form


def labels(html: str) -> list[str]:
    found = re.findall(r'<label\s+for="id_(\w+)"[^>]*>\s*([^<*]+?)\s*(?:<span|</label>)', html)
    return [text for _, text in found]


def test_it_shows_the_exact_labels_in_order_and_the_buttons(owner_client):
    html = owner_client.get("/registries/new/").content.decode()
    assert "New Registry Endpoint" in html
    assert labels(html) == [
        "Provider", "Name", "Description", "Endpoint URL", "Access ID", "Access Secret",
        "Verify Remote Cert", "CA Certificate",
    ]
    for button in (">Test Connection</button>", ">Cancel</a>", ">OK</button>"):
        assert button in html


def test_provider_options_are_the_provider_keys(owner_client):
    html = owner_client.get("/registries/new/").content.decode()
    values = re.findall(r'<option value="([^"]+)"', html.split('name="provider"')[1].split("</select>")[0])
    assert values == list(PROVIDERS)


def test_enabled_providers_limit_the_choice(owner_client, settings):
    settings.ENABLED_PROVIDERS = ["harbor", "quay"]
    html = owner_client.get("/registries/new/").content.decode()
    select = html.split('name="provider"')[1].split("</select>")[0]
    assert re.findall(r'<option value="([^"]+)"', select) == ["harbor", "quay"]


def test_google_gcr_fixes_the_access_id_and_asks_for_json(owner_client):
    html = owner_client.get("/registries/new/?provider=google-gcr").content.decode()
    access_id = re.search(r'<input[^>]*name="access_id"[^>]*>', html).group(0)
    assert 'value="_json_key"' in access_id and "readonly" in access_id
    assert re.search(r'<textarea[^>]*name="access_secret"', html)
    assert "https://gcr.io" in html  # URL suggestions


def test_quay_fixes_the_access_id_to_json_file(owner_client):
    html = owner_client.get("/registries/new/?provider=quay").content.decode()
    access_id = re.search(r'<input[^>]*name="access_id"[^>]*>', html).group(0)
    assert 'value="json_file"' in access_id and "readonly" in access_id


def test_docker_hub_has_a_fixed_url(owner_client):
    html = owner_client.get("/registries/new/?provider=docker-hub").content.decode()
    url = re.search(r'<input[^>]*name="url"[^>]*>', html).group(0)
    assert 'value="https://hub.docker.com"' in url and "readonly" in url


def test_without_javascript_changing_the_provider_rerenders_the_form(owner_client):
    response = owner_client.post(
        "/registries/new/",
        form_data(provider="google-gcr", name="keep-me", access_secret=CANARY, action="switch_provider"),
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="_json_key"' in html and 'value="keep-me"' in html
    assert CANARY not in html
    assert not Registry.objects.exists()


def test_it_creates_an_endpoint_after_a_successful_test(owner_client, owner, recording_registry):
    response = owner_client.post("/registries/new/", form_data(
        url=recording_registry.url, access_id="ci", access_secret="ci-pass",
    ), follow=True)
    assert "Created endpoint successfully." in response.content.decode()
    registry = Registry.objects.get(name="mirror")
    assert registry.status == "healthy" and registry.last_checked_at is not None
    assert registry.decrypt_secret() == "ci-pass"
    assert recording_registry.credentialed, "the save-time test authenticated"
    entry = LogEntry.objects.get(object_id=str(registry.pk))
    assert entry.action_flag == ADDITION and entry.user == owner


def test_a_failed_save_time_test_offers_save_anyway(owner_client):
    response = owner_client.post("/registries/new/", form_data(access_id="ci", access_secret=CANARY))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Connection failed" in html and 'role="status"' in html
    assert "Save anyway" in html
    assert CANARY not in html
    assert not Registry.objects.exists()

    verdict = re.search(r'name="verdict" value="([^"]+)"', html).group(1)
    pending = re.search(r'name="pending_secret" value="([^"]+)"', html).group(1)
    response = owner_client.post("/registries/new/", form_data(
        access_id="ci", access_secret="", pending_secret=pending, verdict=verdict, action="save_anyway",
    ), follow=True)
    page = response.content.decode()
    assert "Created endpoint successfully." in page and "saved as Unhealthy" in page
    registry = Registry.objects.get(name="mirror")
    assert registry.status == "unhealthy" and registry.status_category == "connect"
    assert "127.0.0.1" in registry.status_detail
    assert registry.decrypt_secret() == CANARY


def test_save_anyway_with_a_forged_verdict_runs_the_test_again(owner_client):
    response = owner_client.post("/registries/new/", form_data(verdict="forged", action="save_anyway"))
    assert "Save anyway" in response.content.decode()
    assert not Registry.objects.exists()


def test_test_connection_answers_json(owner_client, recording_registry):
    response = owner_client.post("/registries/test/", form_data(
        url=recording_registry.url, access_id="ci", access_secret="ci-pass", name="",
    ), HTTP_ACCEPT="application/json")
    body = response.json()
    assert set(body) >= {"ok", "status", "category", "summary", "steps", "elapsed_ms"}
    assert body["ok"] is True and body["status"] == "healthy" and body["category"] == "ok"
    assert all(set(step) == {"name", "ok", "ms", "detail", "hint"} for step in body["steps"])
    assert "ci-pass" not in response.content.decode()


def test_test_connection_renders_the_diagnosis_without_javascript(owner_client):
    response = owner_client.post("/registries/test/", form_data(access_id="ci", access_secret=CANARY))
    html = response.content.decode()
    assert "Connection failed" in html and "The connection to 127.0.0.1:9 was refused" in html
    assert "Check the port in Endpoint URL" in html  # the hint
    assert CANARY not in html
    assert not Registry.objects.exists()


def test_invalid_input_is_reported_before_any_network_call(owner_client):
    response = owner_client.post(
        "/registries/test/", form_data(url="ftp://example.com"), HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["category"] == "invalid"
    assert "must be http or https" in body["errors"]["url"][0]


def test_it_reports_required_fields(owner_client):
    response = owner_client.post("/registries/new/", form_data(name="", url=""))
    html = response.content.decode()
    assert response.status_code == 400
    assert html.count("Endpoint name is required.") == 1 and html.count("Endpoint URL is required.") == 1


def test_it_shows_the_assumed_scheme(owner_client, monkeypatch):
    response = owner_client.post("/registries/test/", form_data(url="127.0.0.1:9"))
    assert "https:// was assumed (https://127.0.0.1:9)" in response.content.decode()


def test_it_refuses_a_duplicate_name_in_another_case(owner_client, make_registry):
    make_registry(name="Mirror")
    response = owner_client.post("/registries/new/", form_data(name="MIRROR"))
    assert "already exists" in response.content.decode()


# --- editing and the write-only secret ---


def test_edit_never_sends_the_secret_to_the_browser(owner_client, make_registry):
    registry = make_registry(access_id="bob", secret=CANARY)
    html = owner_client.get(f"/registries/{registry.pk}/edit/").content.decode()
    assert "Edit Endpoint" in html
    assert CANARY not in html and registry.access_secret_encrypted not in html
    assert "A secret is stored (set " in html and "Clear stored secret" in html


def test_editing_only_the_name_keeps_the_secret_and_does_not_test(
    owner_client, make_registry, recording_registry
):
    registry = make_registry(url=recording_registry.url, access_id="ci", secret="ci-pass")
    before = registry.access_secret_encrypted
    response = owner_client.post(f"/registries/{registry.pk}/edit/", form_data(
        name="renamed", url=recording_registry.url, access_id="ci", description="now described",
    ), follow=True)
    assert "Updated endpoint successfully." in response.content.decode()
    registry.refresh_from_db()
    assert registry.name == "renamed"
    assert registry.access_secret_encrypted == before
    assert recording_registry.requests == []
    entry = LogEntry.objects.filter(object_id=str(registry.pk), action_flag=CHANGE).latest("action_time")
    assert "Name" in entry.get_change_message() and "Access Secret" not in entry.get_change_message()


def test_a_new_secret_is_tested_saved_and_logged_without_its_value(
    owner_client, make_registry, recording_registry
):
    registry = make_registry(url=recording_registry.url, access_id="ci", secret="old-pass")
    response = owner_client.post(f"/registries/{registry.pk}/edit/", form_data(
        url=recording_registry.url, access_id="ci", access_secret="ci-pass",
    ), follow=True)
    assert "Updated endpoint successfully." in response.content.decode()
    registry.refresh_from_db()
    assert registry.decrypt_secret() == "ci-pass"
    entry = LogEntry.objects.filter(object_id=str(registry.pk), action_flag=CHANGE).latest("action_time")
    assert "Access Secret" in entry.get_change_message()
    assert "ci-pass" not in entry.change_message


def test_clear_stored_secret(owner_client, make_registry):
    registry = make_registry(access_id="", secret=CANARY)
    owner_client.post(f"/registries/{registry.pk}/edit/", form_data(
        url=registry.url, clear_secret="on", verdict="", action="save",
    ))
    registry.refresh_from_db()
    # The save-time test fails (port 9), so the page offers Save anyway; nothing changed yet.
    assert registry.has_secret


def test_clear_stored_secret_with_save_anyway(owner_client, make_registry):
    registry = make_registry(access_id="", secret=CANARY)
    html = owner_client.post(f"/registries/{registry.pk}/edit/", form_data(
        url=registry.url, clear_secret="on",
    )).content.decode()
    verdict = re.search(r'name="verdict" value="([^"]+)"', html).group(1)
    owner_client.post(f"/registries/{registry.pk}/edit/", form_data(
        url=registry.url, clear_secret="on", verdict=verdict, action="save_anyway",
    ))
    registry.refresh_from_db()
    assert not registry.has_secret and registry.status == "unhealthy"


def test_the_provider_is_locked_while_the_endpoint_is_used(owner_client, make_registry, make_rule):
    registry = make_registry()
    make_rule(source=registry)
    html = owner_client.get(f"/registries/{registry.pk}/edit/").content.decode()
    select = re.search(r'<select[^>]*name="provider"[^>]*>', html).group(0)
    assert "disabled" in select
    assert "cannot change while replication rules" in html
    owner_client.post(f"/registries/{registry.pk}/edit/", form_data(
        provider="harbor", name="renamed", url=registry.url,
    ))
    registry.refresh_from_db()
    assert registry.provider == "docker-registry" and registry.name == "renamed"


def test_proxy_cache_support_is_shown_for_the_provider(owner_client):
    hub = owner_client.get("/registries/new/?provider=docker-hub").content.decode()
    assert "Docker Hub endpoints can back a proxy-cache project." in hub
    gitlab = owner_client.get("/registries/new/?provider=gitlab").content.decode()
    assert "cannot back a proxy-cache project" in gitlab and "Quay" in gitlab


def test_the_form_describes_the_ca_certificate(owner_client, make_registry):
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA(organization_name="Example Corp Root")
    registry = make_registry(ca_certificate=ca.cert_pem.bytes().decode())
    html = owner_client.get(f"/registries/{registry.pk}/edit/").content.decode()
    summary = html[html.index('id="ca-summary"'):]
    assert "O=Example Corp Root" in summary
    assert re.search(r"valid until \d{4}-\d{2}-\d{2}</li>", summary)


def test_a_test_connection_of_a_new_endpoint_reads_no_registry_rows(owner_client, make_registry):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_registry(name="mirror")  # a duplicate name must not matter for a test
    with CaptureQueriesContext(connection) as queries:
        response = owner_client.post(
            "/registries/test/", form_data(url="ftp://x.example.com"), HTTP_ACCEPT="application/json"
        )
    assert response.json()["errors"] == {"url": ["The URL scheme must be http or https, not “ftp”."]}
    assert [q["sql"] for q in queries if "endpoints_registry" in q["sql"]] == []


def test_an_edit_does_not_write_back_what_changed_meanwhile(owner_client, make_registry, monkeypatch):
    """Rotation or a check may update the row while a save is under way (the save-time test
    can take seconds): saving the form keeps their results."""
    from endpoints.forms import RegistryForm

    registry = make_registry(name="old-name", access_id="ci", secret="pw-1234")
    validate = RegistryForm.validate_for_save

    def meanwhile(form):
        Registry.objects.filter(pk=registry.pk).update(
            access_secret_encrypted="v1:rotated:token", status="unhealthy", status_detail="down"
        )
        return validate(form)

    monkeypatch.setattr(RegistryForm, "validate_for_save", meanwhile)
    owner_client.post(f"/registries/{registry.pk}/edit/", form_data(
        name="new-name", url=registry.url, access_id="ci",
    ))
    registry.refresh_from_db()
    assert registry.name == "new-name"
    assert registry.access_secret_encrypted == "v1:rotated:token"
    assert (registry.status, registry.status_detail) == ("unhealthy", "down")


def test_a_name_taken_during_the_save_is_an_error_not_a_500(owner_client, monkeypatch):
    from endpoints import services

    save = services.save_registry

    def someone_else_first(form, user, verdict):
        Registry.objects.create(name="mirror", provider="docker-registry", url="https://x.example.com")
        return save(form, user, verdict)

    monkeypatch.setattr(services, "save_registry", someone_else_first)
    response = owner_client.post("/registries/new/", form_data(verdict="", action="save_anyway"))
    # the save-time test fails first (port 9); Save anyway with its signed verdict:
    verdict = re.search(r'name="verdict" value="([^"]+)"', response.content.decode()).group(1)
    response = owner_client.post("/registries/new/", form_data(verdict=verdict, action="save_anyway"))
    assert response.status_code == 400
    assert "An endpoint named “mirror” already exists" in response.content.decode()
    assert Registry.objects.count() == 1


def test_clearing_wins_over_a_secret_carried_from_a_failed_test(owner_client, make_registry):
    registry = make_registry(access_id="", secret=CANARY)
    html = owner_client.post(f"/registries/{registry.pk}/edit/", form_data(
        url=registry.url, access_secret="typed-then-abandoned",
    )).content.decode()
    pending = re.search(r'name="pending_secret" value="([^"]+)"', html).group(1)
    html = owner_client.post(f"/registries/{registry.pk}/edit/", form_data(
        url=registry.url, clear_secret="on", pending_secret=pending,
    )).content.decode()
    assert "not both" not in html and "Save anyway" in html  # it tests without any secret
    assert 'name="pending_secret" value=""' in html


def test_without_javascript_a_provider_switch_keeps_what_was_typed(owner_client):
    data = form_data(provider="harbor", name="keep", url="https://harbor.example.com",
                     access_id="robot$ci", action="switch_provider")
    del data["verify_remote_cert"]  # unticked: a browser sends nothing
    response = owner_client.post("/registries/new/", data)
    html = response.content.decode()
    assert re.search(r'name="url"[^>]*value="https://harbor.example.com"', html)
    assert re.search(r'name="access_id"[^>]*value="robot\$ci"', html)
    assert not re.search(r'name="verify_remote_cert"[^>]*checked', html)
    # A value the previous provider fixed does not follow it.
    response = owner_client.post("/registries/new/", form_data(
        provider="docker-registry", url="https://hub.docker.com", access_id="_json_key",
        action="switch_provider",
    ))
    html = response.content.decode()
    assert not re.search(r'name="url"[^>]*value="https://hub.docker.com"', html)
    assert not re.search(r'name="access_id"[^>]*value="_json_key"', html)


def test_ecr_with_a_changed_url_is_not_tested_with_the_servers_own_identity(owner_client, make_registry):
    registry = make_registry(provider="aws-ecr", url="https://api.ecr.us-east-1.amazonaws.com",
                             access_id="AKIAIOSFODNN7EXAMPLE",  # AWS's documentation example
                             secret="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    response = owner_client.post(f"/registries/{registry.pk}/test/", form_data(
        provider="aws-ecr", url="https://api.ecr.eu-west-1.amazonaws.com", access_id="AKIAIOSFODNN7EXAMPLE",
    ), HTTP_ACCEPT="application/json")
    body = response.json()
    assert body["category"] == "invalid"
    assert body["summary"].startswith(URL_CHANGED_MESSAGE.rstrip("."))
    assert [step["name"] for step in body["steps"]] == ["Check input"]


def test_save_anyway_belongs_to_the_test_that_failed(owner_client, recording_registry):
    login = {"access_id": recording_registry.username, "access_secret": recording_registry.password}
    html = owner_client.post("/registries/new/",
                             form_data(url="http://127.0.0.1:9", **login)).content.decode()
    verdict = re.search(r'name="verdict" value="([^"]+)"', html).group(1)
    # The same token with another URL: that URL is tested instead of saved untested.
    response = owner_client.post("/registries/new/", form_data(
        url=recording_registry.url, verdict=verdict, action="save_anyway", **login,
    ), follow=True)
    assert recording_registry.requests, "the other URL was tested"
    registry = Registry.objects.get()
    assert registry.status == "healthy" and "127.0.0.1:9" not in registry.status_detail
    assert "Created endpoint successfully." in response.content.decode()
