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
        "Verify Remote Cert", "CA Certificate", "Credential expires on",
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
    for field, message in (("name", "Endpoint name is required."), ("url", "Endpoint URL is required.")):
        # once by the field, once in the summary at the top
        assert html.count(message) == 2
        assert re.search(rf'id="id_{field}_error"[^>]*>\s*<p[^>]*><strong>{message}', html)


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

    save = services.save_endpoint

    def someone_else_first(registry, user, changed, verdict):
        Registry.objects.create(name="mirror", provider="docker-registry", url="https://x.example.com")
        return save(registry, user, changed, verdict)

    monkeypatch.setattr(services, "save_endpoint", someone_else_first)
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


# --- issue 10: what a newcomer and a Harbor administrator stumble on ---


def test_help_texts_keep_their_placeholders_when_the_server_renders_them(owner_client, make_registry):
    registry = make_registry(provider="aws-ecr", url="https://api.ecr.us-east-1.amazonaws.com")
    html = owner_client.get(f"/registries/{registry.pk}/edit/").content.decode()
    help_text = re.search(r'<div id="id_url_helptext"[^>]*>(.*?)</div>', html, re.S).group(1)
    assert "https://api.ecr.&lt;region&gt;.amazonaws.com" in help_text
    assert "<region>" not in help_text and "&amp;lt;" not in help_text  # escaped once


def test_the_provider_in_the_link_is_selected(owner_client):
    html = owner_client.get("/registries/new/?provider=google-gcr").content.decode()
    select = html.split('name="provider"')[1].split("</select>")[0]
    assert re.findall(r'<option value="([^"]+)"[^>]*selected', select) == ["google-gcr"]


def test_a_repeated_identical_create_lands_on_the_saved_endpoint(owner_client, recording_registry):
    data = form_data(url=recording_registry.url, access_id="ci", access_secret="ci-pass")
    first = owner_client.post("/registries/new/", data)
    assert first.status_code == 302
    again = owner_client.post("/registries/new/", data, follow=True)  # the second click
    page = again.content.decode()
    assert again.redirect_chain and "Created endpoint successfully." in page
    assert "already exists" not in page
    assert Registry.objects.count() == 1


def test_a_create_that_loses_the_race_to_its_own_double_click_succeeds(
    owner_client, owner, recording_registry, monkeypatch
):
    """The second click's save-time test runs while the first click's save commits."""
    from endpoints import services
    from endpoints.forms import RegistryForm

    data = form_data(url=recording_registry.url, access_id="ci", access_secret="ci-pass")
    save = services.save_endpoint

    def first_click_commits_first(registry, user, changed, verdict):
        monkeypatch.setattr(services, "save_endpoint", save)
        first = RegistryForm(data, instance=Registry())
        assert first.validate_for_save()
        save(first.save(commit=False), owner, first.changed_field_labels(), verdict)
        return save(registry, user, changed, verdict)

    monkeypatch.setattr(services, "save_endpoint", first_click_commits_first)
    response = owner_client.post("/registries/new/", data, follow=True)
    assert "Created endpoint successfully." in response.content.decode()
    assert Registry.objects.count() == 1


def test_a_create_with_another_endpoints_name_is_still_refused(owner_client, recording_registry):
    owner_client.post("/registries/new/", form_data(url=recording_registry.url, access_id="ci",
                                                     access_secret="ci-pass"))
    response = owner_client.post("/registries/new/", form_data(
        url=recording_registry.url, access_id="ci", access_secret="other-pass"))
    assert response.status_code == 400
    assert "already exists" in response.content.decode()
    assert Registry.objects.get().decrypt_secret() == "ci-pass"


def test_an_unchanged_edit_says_there_is_nothing_to_save(owner_client, make_registry, recording_registry):
    registry = make_registry(name="mirror", url=recording_registry.url, access_id="ci", secret="ci-pass",
                             description="d")
    before = registry.updated_at
    response = owner_client.post(f"/registries/{registry.pk}/edit/", form_data(
        url=recording_registry.url, access_id="ci", description="d"), follow=True)
    page = response.content.decode()
    assert "No changes to save." in page and "Updated endpoint successfully." not in page
    registry.refresh_from_db()
    assert registry.updated_at == before
    assert not LogEntry.objects.filter(object_id=str(registry.pk), action_flag=CHANGE).exists()
    assert recording_registry.requests == []


def test_a_long_name_is_not_cut_by_the_browser_and_the_server_says_how_long(owner_client):
    html = owner_client.get("/registries/new/").content.decode()
    name_input = re.search(r'<input[^>]*name="name"[^>]*>', html).group(0)
    assert "maxlength" not in name_input
    long_name = "n" * 70
    response = owner_client.post("/registries/new/", form_data(name=long_name))
    page = response.content.decode()
    assert response.status_code == 400
    assert "Shorten the name to at most 64 characters: it has 70." in page
    assert f'value="{long_name}"' in page


def test_without_javascript_a_provider_switch_drops_the_previous_providers_suggested_url(owner_client):
    response = owner_client.post("/registries/new/", form_data(
        provider="google-gcr", url="https://api.ecr.eu-west-1.amazonaws.com", action="switch_provider"))
    assert not re.search(r'name="url"[^>]*value="https://api.ecr', response.content.decode())
    typed = owner_client.post("/registries/new/", form_data(
        provider="google-gcr", url="https://mirror.example.com", action="switch_provider"))
    assert re.search(r'name="url"[^>]*value="https://mirror.example.com"', typed.content.decode())


def test_a_refused_save_sums_up_the_errors_with_links_to_the_fields(owner_client):
    html = owner_client.post("/registries/new/", form_data(name="", url="ftp://x")).content.decode()
    summary = html[html.index('id="error-summary"'):]
    summary = summary[:summary.index("</div>")]
    assert re.findall(r'<a href="#(id_\w+)"', summary) == ["id_name", "id_url"]
    assert "Endpoint name is required." in summary
    name_input = re.search(r'<input[^>]*name="name"[^>]*>', html).group(0)
    assert "autofocus" in name_input


def test_a_refused_test_without_javascript_is_said_by_the_buttons(owner_client, settings):
    settings.ENDPOINT_TESTS_PER_MINUTE = 0
    response = owner_client.post("/registries/test/", form_data())
    html = response.content.decode()
    assert response.status_code == 429 and response["Retry-After"]
    result = html[html.index('id="test-result"'):html.index('id="test-connection"')]
    assert "ENDPOINT_TESTS_PER_MINUTE" in result
    assert html.count("ENDPOINT_TESTS_PER_MINUTE") == 1


def test_the_stored_secret_line_agrees_with_the_re_entry_rule(owner_client, make_registry):
    registry = make_registry(url="https://registry.example.com", access_id="ci", secret=CANARY)
    html = owner_client.post(f"/registries/{registry.pk}/edit/", form_data(
        url="https://other.example.com", access_id="ci")).content.decode()
    assert URL_CHANGED_MESSAGE in html
    status = re.search(r'<p[^>]*id="secret-status"[^>]*>(.*?)</p>', html, re.S).group(1)
    assert "A secret is stored (set " in status and "the Endpoint URL changed" in status
    assert "Leave blank to keep it" not in status


# --- back to where the user was; what normalizing the URL did; the proxy-cache setting ---


def test_saving_returns_to_the_list_as_the_user_left_it(owner_client, make_registry, recording_registry):
    registry = make_registry(name="kept", url=recording_registry.url)
    owner_client.get("/registries/?sort=name&per_page=25&page=1&q=kep")

    saved = owner_client.post(f"/registries/{registry.pk}/edit/", registry_form(
        name="kept", description="now described", url=recording_registry.url))
    unchanged = owner_client.post(f"/registries/{registry.pk}/edit/", registry_form(
        name="kept", description="now described", url=recording_registry.url))

    for answer in (saved, unchanged):
        assert answer.status_code == 302
        assert "sort=name" in answer["Location"] and "per_page=25" in answer["Location"]
        assert "q=kep" in answer["Location"]


def test_the_cancel_link_leads_back_to_that_view(owner_client):
    owner_client.get("/registries/?sort=-name")

    page = owner_client.get("/registries/new/").content.decode()

    assert re.search(r'id="cancel-button" href="/registries/\?[^"]*sort=-name', page), page


def test_a_url_with_v2_is_saved_without_it_and_the_user_is_told(owner_client, recording_registry):
    answer = owner_client.post("/registries/new/", registry_form(
        name="v2-pasted", url=f"{recording_registry.url}/v2/", access_id="ci",
        access_secret=recording_registry.password), follow=True)

    assert Registry.objects.get(name="v2-pasted").url == recording_registry.url
    page = answer.content.decode()
    assert "Created endpoint successfully." in page
    assert "/v2" in page and "removed" in page.lower()


def test_a_provider_outside_the_proxy_cache_list_names_the_setting(owner_client, settings):
    settings.PROXY_CACHE_PROVIDERS = ["harbor"]

    page = owner_client.get("/registries/new/?provider=gitlab").content.decode()

    assert "GitLab endpoints cannot back a proxy-cache project here: PROXY_CACHE_PROVIDERS (a server " \
           "setting) allows" in page


def test_saved_as_unhealthy_says_what_to_do(owner_client):
    first = owner_client.post("/registries/new/", registry_form(name="down", url="http://127.0.0.1:9"))
    token = re.search(r'name="verdict" value="([^"]+)"', first.content.decode()).group(1)

    saved = owner_client.post("/registries/new/", registry_form(
        name="down", url="http://127.0.0.1:9", action="save_anyway", verdict=token), follow=True)

    warning = re.search(r"“down” was saved as Unhealthy: ([^<]*)", saved.content.decode()).group(1)
    assert "127.0.0.1:9" in warning and "Check" in warning  # the failure and the hint, not only the summary


def test_the_credential_date_is_set_on_the_edit_page_without_a_test(
    owner_client, make_registry, recording_registry
):
    registry = make_registry(url=recording_registry.url, access_id="ci", secret="ci-pass")
    response = owner_client.post(f"/registries/{registry.pk}/edit/", form_data(
        url=recording_registry.url, access_id="ci", credential_expires_on="2027-03-31",
    ), follow=True)
    assert "Updated endpoint successfully." in response.content.decode()
    registry.refresh_from_db()
    assert str(registry.credential_expires_on) == "2027-03-31"
    assert registry.decrypt_secret() == "ci-pass"
    assert recording_registry.requests == []  # a date is not a connection setting
    entry = LogEntry.objects.filter(object_id=str(registry.pk), action_flag=CHANGE).latest("action_time")
    assert "Credential expires on" in entry.get_change_message()

    html = owner_client.get(f"/registries/{registry.pk}/edit/").content.decode()
    assert re.search(r'<input type="date" name="credential_expires_on" value="2027-03-31"', html)


def test_a_new_secret_clears_the_old_date_unless_a_new_one_is_typed(
    owner_client, make_registry, recording_registry
):
    registry = make_registry(url=recording_registry.url, access_id="ci", secret="old-pass")
    Registry.objects.filter(pk=registry.pk).update(credential_expires_on="2027-01-01")
    owner_client.post(f"/registries/{registry.pk}/edit/", form_data(
        url=recording_registry.url, access_id="ci", access_secret="ci-pass",
        credential_expires_on="2027-01-01",
    ))
    registry.refresh_from_db()
    assert registry.decrypt_secret() == "ci-pass" and registry.credential_expires_on is None

    owner_client.post(f"/registries/{registry.pk}/edit/", form_data(
        url=recording_registry.url, access_id="ci", access_secret="ci-pass",
        credential_expires_on="2027-06-30",
    ))
    registry.refresh_from_db()
    assert str(registry.credential_expires_on) == "2027-06-30"


def test_a_mistyped_credential_date_says_how_to_write_it_and_keeps_the_rest(owner_client, make_registry):
    registry = make_registry(name="mirror", description="kept")
    response = owner_client.post(f"/registries/{registry.pk}/edit/", form_data(
        url=registry.url, description="typed", credential_expires_on="31/03/2027"))
    html = response.content.decode()
    assert response.status_code == 400
    assert "Enter the date the secret expires as YYYY-MM-DD" in html
    assert "typed" in html
