"""The Django admin (SPEC §4 "Django admin", SECURITY S1, S4, S15, S19)."""

import base64
import html
import json
import logging
from urllib.parse import quote, quote_plus

import pytest
from cryptography.fernet import Fernet
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.messages import get_messages
from django.db.models.deletion import Collector
from django.urls import reverse

from endpoints import audit, secrets
from endpoints.admin import RegistryAdmin
from endpoints.models import HealthCheck, ProxyCacheProject, Registry, ReplicationRule

pytestmark = pytest.mark.django_db

CANARY = "canary-Admin-Pw/7f3a+9&x=1"
CANARY_JSON = json.dumps(
    {
        "type": "service_account",
        "project_id": "canary-project",
        "client_email": "ci@canary-project.iam.gserviceaccount.com",
        "private_key": "-----BEGIN PRIVATE KEY-----\\ncanary-json-key-91c2\\n-----END PRIVATE KEY-----",
    }
)
CANARIES = [CANARY, "canary-json-key-91c2", CANARY_JSON]

REGISTRY_CHANGELIST = reverse("admin:endpoints_registry_changelist")
REGISTRY_ADD = reverse("admin:endpoints_registry_add")


def change_url(registry) -> str:
    return reverse("admin:endpoints_registry_change", args=[registry.pk])


def delete_url(registry) -> str:
    return reverse("admin:endpoints_registry_delete", args=[registry.pk])


def history_url(registry) -> str:
    return reverse("admin:endpoints_registry_history", args=[registry.pk])


def encodings(value: str) -> list[str]:
    raw = value.encode()
    return [
        value,
        html.escape(value),
        html.escape(value, quote=False),
        quote(value, safe=""),
        quote_plus(value),
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode(),
        json.dumps(value)[1:-1],
    ]


def assert_no_canary(text: str) -> None:
    for canary in CANARIES:
        for form in encodings(canary):
            assert form not in text, f"a form of a canary secret leaked: {form[:20]}…"


def form_data(registry: Registry, **overrides) -> dict:
    data = {
        "provider": registry.provider,
        "name": registry.name,
        "description": registry.description,
        "url": registry.url,
        "access_id": registry.access_id,
        "access_secret": "",
        "ca_certificate": registry.ca_certificate,
    }
    if registry.verify_remote_cert:
        data["verify_remote_cert"] = "on"
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def stored_secret(registry: Registry) -> str:
    return Registry.objects.values_list("access_secret_encrypted", flat=True).get(pk=registry.pk)


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def use_other_key(settings) -> None:
    settings.REGISTRY_SECRET_KEYS = [f"other={Fernet.generate_key().decode()}"]
    secrets.reset_key_cache()


@pytest.fixture
def canary_registries(make_registry):
    password = make_registry(
        name="canary-harbor",
        provider="harbor",
        url="https://harbor.example.com",
        access_id="robot$ci",
        secret=CANARY,
        description="the password canary",
    )
    json_key = make_registry(
        name="canary-gcr",
        provider="google-gcr",
        url="https://gcr.io",
        access_id="_json_key",
        secret=CANARY_JSON,
    )
    return password, json_key


@pytest.fixture
def referenced(make_registry, make_rule, make_project):
    registry = make_registry(
        name="busy", provider="harbor", url="https://busy.example.com", access_id="robot$ci", secret=CANARY
    )
    make_rule(name="nightly-push", destination=registry)
    make_rule(name="disabled-pull", source=registry, enabled=False)
    make_project(name="dockerhub-cache", registry=registry)
    return registry


# --- pages never show a secret (S1) ---


def test_it_renders_every_registry_page_without_a_secret(admin_client, canary_registries, caplog):
    caplog.set_level(logging.DEBUG)
    password, json_key = canary_registries
    pages = [REGISTRY_CHANGELIST, REGISTRY_ADD, f"{REGISTRY_ADD}?provider=google-gcr"]
    for registry in canary_registries:
        pages += [change_url(registry), history_url(registry), delete_url(registry)]

    for page in pages:
        response = admin_client.get(page)
        assert response.status_code == 200, page
        body = response.content.decode()
        assert_no_canary(body)
        assert stored_secret(password) not in body
        assert stored_secret(json_key) not in body
    assert_no_canary(caplog.text)


def test_it_lists_registries_with_status_and_usage(admin_client, referenced, make_registry):
    make_registry(name="idle", url="https://idle.example.com")
    Registry.objects.filter(pk=referenced.pk).update(
        status=Registry.Status.UNHEALTHY, status_detail="cannot connect"
    )

    response = admin_client.get(REGISTRY_CHANGELIST)

    body = response.content.decode()
    assert "busy" in body and "idle" in body
    assert "https://busy.example.com" in body
    assert "✘ Unhealthy" in body
    assert 'title="cannot connect"' in body
    rows = {r.name: r for r in response.context["cl"].result_list}
    assert rows["busy"].used_by_count == 3
    assert rows["idle"].used_by_count == 0
    assert '<td class="field-used_by_total">3</td>' in body


def test_it_searches_name_url_and_description_but_never_the_secret(admin_client, canary_registries):
    def found(query: str) -> list[str]:
        response = admin_client.get(REGISTRY_CHANGELIST, {"q": query})
        assert response.status_code == 200
        return [r.name for r in response.context["cl"].result_list]

    assert found("canary-harbor") == ["canary-harbor"]
    assert found("gcr.io") == ["canary-gcr"]
    assert found("password canary") == ["canary-harbor"]
    assert found(CANARY) == []
    assert found("canary-json-key-91c2") == []
    assert found("v1:test1:") == []


def test_its_search_matches_non_ascii_names_whatever_their_case(admin_client, make_registry):
    make_registry(name="Ärzte-Mirror")
    make_registry(name="other")

    response = admin_client.get(REGISTRY_CHANGELIST, {"q": "ärzte"})

    assert [r.name for r in response.context["cl"].result_list] == ["Ärzte-Mirror"]


def test_it_filters_by_provider(admin_client, canary_registries):
    response = admin_client.get(REGISTRY_CHANGELIST, {"provider__exact": "google-gcr"})

    assert [r.name for r in response.context["cl"].result_list] == ["canary-gcr"]


def test_it_uses_a_textarea_that_renders_nothing_for_json_secrets(admin_client, canary_registries):
    _, json_key = canary_registries

    body = admin_client.get(change_url(json_key)).content.decode()

    assert '<textarea name="access_secret"' in body
    assert_no_canary(body)


def test_it_shows_whether_a_secret_is_stored(admin_client, canary_registries, make_registry):
    password, _ = canary_registries
    anonymous = make_registry(name="anonymous", url="https://anon.example.com")

    stored_page = admin_client.get(change_url(password)).content.decode()
    empty_page = admin_client.get(change_url(anonymous)).content.decode()

    set_at = Registry.objects.get(pk=password.pk).secret_updated_at.strftime("%Y-%m-%d %H:%M")
    assert f"A secret is stored (set {set_at}" in stored_page
    assert "No secret stored." in empty_page
    assert 'type="password"' in stored_page
    assert "Clear stored secret" in stored_page


# --- write-only secret ---


def test_it_adds_a_registry_with_an_encrypted_secret(admin_client):
    response = admin_client.post(
        REGISTRY_ADD,
        {
            "provider": "harbor",
            "name": "new-harbor",
            "url": "harbor.example.com/",
            "access_id": "admin",
            "access_secret": CANARY,
            "verify_remote_cert": "on",
        },
    )

    assert response.status_code == 302
    registry = Registry.objects.get(name="new-harbor")
    assert registry.url == "https://harbor.example.com"
    assert registry.access_secret_encrypted.startswith("v1:test1:")
    assert CANARY not in registry.access_secret_encrypted
    assert registry.decrypt_secret() == CANARY
    entry = audit.entries_for(registry).get()
    assert entry.action_flag == ADDITION
    assert_no_canary(entry.change_message)


def test_it_keeps_the_stored_secret_byte_identical_when_left_blank(admin_client, canary_registries):
    password, _ = canary_registries
    before = Registry.objects.get(pk=password.pk)

    response = admin_client.post(change_url(password), form_data(password, description="new description"))

    assert response.status_code == 302
    after = Registry.objects.get(pk=password.pk)
    assert after.description == "new description"
    assert after.access_secret_encrypted == before.access_secret_encrypted
    assert after.secret_updated_at == before.secret_updated_at
    entry = audit.entries_for(password).get()
    assert entry.get_change_message() == "Changed Description."


def test_it_replaces_the_secret_and_logs_only_the_field_name(admin_client, canary_registries):
    password, _ = canary_registries
    before = stored_secret(password)

    response = admin_client.post(
        change_url(password), form_data(password, access_secret="canary-new-Secret-42")
    )

    assert response.status_code == 302
    after = Registry.objects.get(pk=password.pk)
    assert after.access_secret_encrypted != before
    assert after.decrypt_secret() == "canary-new-Secret-42"
    entry = audit.entries_for(password).get()
    assert entry.action_flag == CHANGE
    assert entry.get_change_message() == "Changed Access Secret."
    assert "canary-new-Secret-42" not in entry.change_message
    assert_no_canary(entry.change_message)
    history = admin_client.get(history_url(password)).content.decode()
    assert "Changed Access Secret." in history
    assert "canary-new-Secret-42" not in history


def test_it_clears_the_stored_secret(admin_client, canary_registries):
    password, _ = canary_registries

    response = admin_client.post(change_url(password), form_data(password, clear_secret="on"))

    assert response.status_code == 302
    assert stored_secret(password) == ""
    assert audit.entries_for(password).get().get_change_message() == "Changed Access Secret."
    assert "No secret stored." in admin_client.get(change_url(password)).content.decode()


def test_it_refuses_a_new_secret_and_clear_together(admin_client, canary_registries):
    password, _ = canary_registries
    before = stored_secret(password)

    response = admin_client.post(
        change_url(password), form_data(password, access_secret="x-new", clear_secret="on")
    )

    assert response.status_code == 200
    assert "not both" in response.content.decode()
    assert stored_secret(password) == before


@pytest.mark.parametrize(
    "new_url",
    [
        "https://other.example.com",  # host
        "http://harbor.example.com",  # scheme
        "https://harbor.example.com:8443",  # port
    ],
)
def test_it_asks_for_the_secret_again_when_the_url_origin_changes(admin_client, canary_registries, new_url):
    password, _ = canary_registries
    before = stored_secret(password)

    response = admin_client.post(change_url(password), form_data(password, url=new_url))

    assert response.status_code == 200
    assert "The endpoint URL changed: enter the Access Secret again or clear it." in response.content.decode()
    reloaded = Registry.objects.get(pk=password.pk)
    assert reloaded.url == "https://harbor.example.com"
    assert reloaded.access_secret_encrypted == before
    assert_no_canary(response.content.decode())


def test_it_saves_a_new_url_with_a_new_secret_or_cleared(admin_client, canary_registries):
    password, json_key = canary_registries

    with_secret = admin_client.post(
        change_url(password),
        form_data(password, url="https://other.example.com", access_secret="canary-other-host"),
    )
    cleared = admin_client.post(
        change_url(json_key), form_data(json_key, url="https://eu.gcr.io", clear_secret="on")
    )

    assert with_secret.status_code == 302 and cleared.status_code == 302
    assert Registry.objects.get(pk=password.pk).decrypt_secret() == "canary-other-host"
    assert Registry.objects.get(pk=json_key.pk).access_secret_encrypted == ""


@pytest.mark.parametrize(
    "same_origin",
    ["https://harbor.example.com/prefix", "https://harbor.example.com:443", "HARBOR.example.com"],
)
def test_it_keeps_the_secret_when_only_the_path_or_spelling_changes(
    admin_client, canary_registries, same_origin
):
    password, _ = canary_registries
    before = stored_secret(password)

    response = admin_client.post(change_url(password), form_data(password, url=same_origin))

    assert response.status_code == 302
    assert stored_secret(password) == before


def test_it_offers_only_enabled_providers_for_a_new_registry(admin_client, settings, make_registry):
    settings.ENABLED_PROVIDERS = ["harbor", "quay"]
    legacy = make_registry(name="legacy", provider="gitlab", url="https://registry.gitlab.com")

    add_choices = admin_client.get(REGISTRY_ADD).context["adminform"].form.fields["provider"].choices
    change_choices = admin_client.get(change_url(legacy)).context["adminform"].form.fields["provider"].choices
    refused = admin_client.post(
        REGISTRY_ADD, {"provider": "gitlab", "name": "new-gitlab", "url": "https://registry.gitlab.com"}
    )

    assert [key for key, _ in add_choices] == ["", "harbor", "quay"]
    assert [key for key, _ in change_choices] == ["", "harbor", "quay", "gitlab"]
    assert refused.status_code == 200
    assert not Registry.objects.filter(name="new-gitlab").exists()


def test_it_shows_the_models_url_errors(admin_client):
    response = admin_client.post(
        REGISTRY_ADD,
        {"provider": "harbor", "name": "bad-url", "url": "https://user:pw@harbor.example.com"},
    )

    assert response.status_code == 200
    assert "Remove the user name and password from the URL" in response.content.decode()
    assert not Registry.objects.filter(name="bad-url").exists()


@pytest.mark.parametrize(
    ("provider", "url", "access_id", "secret"),
    [
        ("harbor", "https://harbor.example.com", "admin", CANARY),
        ("google-gcr", "https://gcr.io", "_json_key", CANARY_JSON),
    ],
)
def test_it_never_renders_a_typed_secret_back_on_errors(
    admin_client, canary_registries, provider, url, access_id, secret
):
    registry = canary_registries[0] if provider == "harbor" else canary_registries[1]
    data = {"provider": provider, "name": "", "url": url, "access_id": access_id, "access_secret": secret}

    added = admin_client.post(REGISTRY_ADD, data)
    changed = admin_client.post(change_url(registry), form_data(registry, name="", access_secret=secret))

    for response in (added, changed):
        assert response.status_code == 200
        assert "This field is required." in response.content.decode()
        assert_no_canary(response.content.decode())


def test_it_refuses_a_duplicate_name_in_another_case(admin_client, canary_registries):
    response = admin_client.post(
        REGISTRY_ADD, {"provider": "harbor", "name": "CANARY-HARBOR", "url": "https://x.example.com"}
    )

    assert response.status_code == 200
    assert "already exists" in response.content.decode()


def test_it_makes_the_provider_read_only_while_referenced(admin_client, referenced, make_registry):
    idle = make_registry(name="idle", provider="harbor", url="https://idle.example.com")

    busy_page = admin_client.get(change_url(referenced)).content.decode()
    idle_page = admin_client.get(change_url(idle)).content.decode()
    response = admin_client.post(
        change_url(referenced), form_data(referenced, provider="docker-registry", description="x")
    )

    assert '<select name="provider"' not in busy_page
    assert '<select name="provider"' in idle_page
    assert response.status_code == 302
    reloaded = Registry.objects.get(pk=referenced.pk)
    assert reloaded.provider == "harbor"
    assert reloaded.description == "x"


def test_it_lists_who_uses_a_registry_on_its_change_page(admin_client, referenced):
    body = admin_client.get(change_url(referenced)).content.decode()

    for name in ("nightly-push", "disabled-pull", "dockerhub-cache"):
        assert name in body


def test_a_crash_report_hides_the_typed_secret(client, admin_user, canary_registries, monkeypatch, caplog):
    """A crash while adding an endpoint is logged with the request; the error report built
    from it (what ADMINS receive by e-mail) shows the secret as stars, never its value."""
    from django.views.debug import ExceptionReporter

    def crash(self, request, obj, form, change):
        raise RuntimeError("boom")

    monkeypatch.setattr(RegistryAdmin, "save_model", crash)
    client.raise_request_exception = False
    client.force_login(admin_user)
    data = {"provider": "docker-registry", "name": "crashy", "url": "https://crash.example.com",
            "access_id": "ci", "access_secret": CANARY, "verify_remote_cert": "on"}
    assert client.post(REGISTRY_ADD, data).status_code == 500
    record = next(r for r in caplog.records if r.name == "django.request" and r.exc_info)
    report = ExceptionReporter(record.request, *record.exc_info, is_email=True).get_traceback_text()
    assert "boom" in report and "access_secret" in report
    assert CANARY not in report


# --- Check connection action ---


def run_action(client, action: str, registries, **extra):
    data = {"action": action, "_selected_action": [r.pk for r in registries], **extra}
    return client.post(REGISTRY_CHANGELIST, data, follow=True)


def test_it_checks_connections_and_records_the_status(admin_client, make_registry):
    dead = make_registry(name="dead-port", url="http://127.0.0.1:9", access_id="ci", secret=CANARY)

    response = run_action(admin_client, "check_connection", [dead])

    assert response.status_code == 200
    texts = messages_of(response)
    assert any(t.startswith("dead-port: Unhealthy (Cannot connect). The connection to 127.0.0.1:9 was "
                            "refused") for t in texts), texts
    reloaded = Registry.objects.get(pk=dead.pk)
    assert reloaded.status == Registry.Status.UNHEALTHY
    assert reloaded.status_category == "connect"
    assert reloaded.last_checked_at is not None
    assert HealthCheck.objects.filter(registry=dead, category="connect").count() == 1
    assert not audit.entries_for(dead).exists()  # a check is not a change
    assert HealthCheck.objects.get(registry=dead).checked_by is not None
    assert_no_canary(response.content.decode())
    assert_no_canary(admin_client.get(REGISTRY_CHANGELIST).content.decode())


# --- add and change test the connection, as the pages do (issue 10, item 21) ---


def admin_form(recording_registry, **overrides) -> dict:
    data = {"provider": "docker-registry", "name": "tested", "url": recording_registry.url,
            "access_id": recording_registry.username, "access_secret": recording_registry.password,
            "verify_remote_cert": "on", "description": "", "ca_certificate": ""}
    data.update(overrides)
    return data


def test_add_tests_the_connection_and_stores_the_verdict(admin_client, recording_registry):
    response = admin_client.post(REGISTRY_ADD, admin_form(recording_registry), follow=True)

    registry = Registry.objects.get(name="tested")
    assert [r.path for r in recording_registry.credentialed] == ["/v2/"]  # tested with the secret
    assert registry.status == Registry.Status.HEALTHY and registry.status_category == "ok"
    assert registry.last_checked_at is not None
    assert HealthCheck.objects.get(registry=registry).checked_by is not None
    texts = messages_of(response)
    assert "“tested”: connection tested, Healthy. Authenticated as ci via Basic authentication." in texts


def test_a_failed_test_still_saves_and_says_so(admin_client, recording_registry):
    response = admin_client.post(REGISTRY_ADD, admin_form(recording_registry, access_secret="wrong-pw-77"),
                                 follow=True)

    registry = Registry.objects.get(name="tested")  # the admin is the operator's tool: saved
    assert registry.status == Registry.Status.UNHEALTHY and registry.status_category == "auth"
    warning = next(t for t in messages_of(response) if t.startswith("“tested”: connection tested"))
    assert warning.startswith("“tested”: connection tested, Unhealthy (Credentials refused or required). ")
    assert "Check Access ID and Access Secret" in warning  # what to do, without the steps
    assert "saved anyway" in warning
    assert "wrong-pw-77" not in response.content.decode()


def test_add_says_what_normalizing_the_url_changed(admin_client, recording_registry):
    response = admin_client.post(REGISTRY_ADD, admin_form(recording_registry,
                                                          url=recording_registry.url + "/v2/"),
                                 follow=True)

    assert Registry.objects.get(name="tested").url == recording_registry.url
    assert (f"/v2 was removed from the end of the URL: the check adds /v2/ itself "
            f"({recording_registry.url}).") in messages_of(response)


def test_a_change_of_connection_fields_tests_again(admin_client, recording_registry, make_registry):
    registry = make_registry(name="tested", url="http://127.0.0.1:9", access_id="ci")

    admin_client.post(change_url(registry), form_data(
        registry, url=recording_registry.url, access_secret=recording_registry.password))

    reloaded = Registry.objects.get(pk=registry.pk)
    assert reloaded.url == recording_registry.url
    assert reloaded.status == Registry.Status.HEALTHY
    assert len(recording_registry.credentialed) == 1


def test_a_change_of_name_and_description_alone_does_not_test(admin_client, recording_registry,
                                                              make_registry):
    registry = make_registry(name="tested", url=recording_registry.url, access_id="ci", secret="pw")

    response = admin_client.post(change_url(registry), form_data(
        registry, name="renamed", description="only words"), follow=True)

    assert Registry.objects.get(pk=registry.pk).name == "renamed"
    assert recording_registry.requests == []
    assert Registry.objects.get(pk=registry.pk).status == Registry.Status.UNKNOWN
    assert not any("connection tested" in t for t in messages_of(response))


def test_an_undecryptable_secret_is_recorded_as_a_failed_check(admin_client, make_registry, settings):
    """Same behaviour as Check now and check_registries: the status never stays stale."""
    orphan = make_registry(name="orphan", url="http://127.0.0.1:9", secret=CANARY)
    before = stored_secret(orphan)
    use_other_key(settings)
    no_secret = make_registry(name="no-secret", url="http://127.0.0.1:9")

    response = run_action(admin_client, "check_connection", [orphan, no_secret])

    texts = messages_of(response)
    assert ("orphan: Unhealthy (Invalid input). The stored secret cannot be decrypted: enter it again. "
            "Enter the Access Secret again on the endpoint's Edit page, or clear it.") in texts
    assert any(t.startswith("no-secret: Unhealthy (Cannot connect)") for t in texts)
    reloaded = Registry.objects.get(pk=orphan.pk)
    assert reloaded.status == Registry.Status.UNHEALTHY and reloaded.status_category == "invalid"
    assert reloaded.last_checked_at is not None
    assert reloaded.access_secret_encrypted == before
    assert HealthCheck.objects.filter(registry=orphan, category="invalid").count() == 1
    assert HealthCheck.objects.get(registry=orphan).category == "invalid"


def test_it_offers_the_check_action_only_with_change_permission(client, viewer, make_registry):
    registry = make_registry(url="http://127.0.0.1:9")
    client.force_login(viewer)

    page = client.get(REGISTRY_CHANGELIST)
    response = run_action(client, "check_connection", [registry])

    assert page.status_code == 200
    assert 'value="check_connection"' not in page.content.decode()
    assert Registry.objects.get(pk=registry.pk).last_checked_at is None
    assert response.status_code == 200


def test_it_lets_an_owner_check_and_refuses_an_outsider(client, owner, outsider, make_registry):
    registry = make_registry(url="http://127.0.0.1:9")

    client.force_login(outsider)
    assert client.get(REGISTRY_CHANGELIST).status_code == 403
    client.force_login(owner)
    run_action(client, "check_connection", [registry])

    assert Registry.objects.get(pk=registry.pk).status == Registry.Status.UNHEALTHY


# --- deletion honours PROTECT (S15) ---


def test_it_refuses_to_delete_a_referenced_registry(admin_client, referenced):
    page = admin_client.get(delete_url(referenced))
    response = admin_client.post(delete_url(referenced), {"post": "yes"})

    for body in (page.content.decode(), response.content.decode()):
        assert "would require deleting the following protected related objects" in body
        for name in ("nightly-push", "disabled-pull", "dockerhub-cache"):
            assert name in body
    assert response.status_code == 200
    assert Registry.objects.filter(pk=referenced.pk).exists()
    assert not LogEntry.objects.filter(action_flag=DELETION).exists()


def test_it_refuses_a_bulk_delete_that_includes_a_referenced_registry(
    admin_client, referenced, make_registry
):
    idle = make_registry(name="idle", url="https://idle.example.com")

    response = run_action(admin_client, "delete_selected", [referenced, idle], post="yes")

    body = response.content.decode()
    assert response.status_code == 200
    assert "would require deleting the following protected related objects" in body
    assert "nightly-push" in body and "dockerhub-cache" in body
    assert Registry.objects.filter(pk__in=[referenced.pk, idle.pk]).count() == 2


def pretend_nothing_is_protected(monkeypatch):
    """The confirmation check ran before a rule appeared: only the delete itself can catch it."""
    monkeypatch.setattr(RegistryAdmin, "get_deleted_objects", lambda self, objs, request: ([], {}, set(), []))


def test_it_turns_a_late_protected_error_into_a_message(admin_client, referenced, monkeypatch):
    pretend_nothing_is_protected(monkeypatch)

    response = admin_client.post(delete_url(referenced), {"post": "yes"}, follow=True)

    assert response.status_code == 200
    [text] = messages_of(response)
    assert text.startswith("Nothing was deleted: “busy” is used by")
    for name in ("nightly-push", "disabled-pull", "dockerhub-cache"):
        assert name in text
    assert Registry.objects.filter(pk=referenced.pk).exists()
    assert not LogEntry.objects.filter(action_flag=DELETION).exists()


def insert_a_rule_just_before_the_delete(monkeypatch):
    """The race: a rule appears after the ORM's PROTECT check, before the DELETE runs.
    Only the database's foreign key can refuse now."""
    original_delete = Collector.delete

    def delete(self):
        for registry in self.data.get(Registry, ()):
            ReplicationRule.objects.create(name=f"late-{registry.pk}", source_registry_id=registry.pk)
        return original_delete(self)

    monkeypatch.setattr(Collector, "delete", delete)


def test_it_turns_a_database_foreign_key_refusal_into_a_message(admin_client, make_registry, monkeypatch):
    registry = make_registry(name="racy", url="https://racy.example.com")
    insert_a_rule_just_before_the_delete(monkeypatch)

    response = admin_client.post(delete_url(registry), {"post": "yes"}, follow=True)

    assert response.status_code == 200
    assert messages_of(response) == [
        "Nothing was deleted: something started using “racy” while it was being deleted. "
        "Reload the page and try again."
    ]
    assert Registry.objects.filter(pk=registry.pk).exists()
    assert not LogEntry.objects.filter(action_flag=DELETION).exists()


def test_it_turns_a_database_foreign_key_refusal_in_a_bulk_delete_into_a_message(
    admin_client, make_registry, monkeypatch
):
    first = make_registry(name="first", url="https://first.example.com")
    second = make_registry(name="second", url="https://second.example.com")
    insert_a_rule_just_before_the_delete(monkeypatch)

    response = run_action(admin_client, "delete_selected", [first, second], post="yes")

    assert response.status_code == 200
    [text] = messages_of(response)
    assert text.startswith("Nothing was deleted: something started using")
    assert Registry.objects.count() == 2
    assert not LogEntry.objects.filter(action_flag=DELETION).exists()


def test_it_turns_a_late_refusal_in_a_bulk_delete_into_a_message(
    admin_client, referenced, make_registry, monkeypatch
):
    idle = make_registry(name="idle", url="https://idle.example.com")
    pretend_nothing_is_protected(monkeypatch)

    response = run_action(admin_client, "delete_selected", [referenced, idle], post="yes")

    assert response.status_code == 200
    texts = messages_of(response)
    assert len(texts) == 1 and texts[0].startswith("Nothing was deleted: “busy” is used by")
    assert "Successfully deleted" not in response.content.decode()
    assert Registry.objects.filter(pk__in=[referenced.pk, idle.pk]).count() == 2
    assert not LogEntry.objects.filter(action_flag=DELETION).exists()


def test_it_deletes_unreferenced_registries_and_logs_it(admin_client, make_registry):
    first = make_registry(name="first", url="https://first.example.com")
    second = make_registry(name="second", url="https://second.example.com")
    single = make_registry(name="single", url="https://single.example.com")

    bulk = run_action(admin_client, "delete_selected", [first, second], post="yes")
    one = admin_client.post(delete_url(single), {"post": "yes"}, follow=True)

    assert "Successfully deleted 2 registry endpoints." in messages_of(bulk)
    assert any("was deleted successfully" in t for t in messages_of(one))
    assert not Registry.objects.exists()
    assert LogEntry.objects.filter(action_flag=DELETION).count() == 3


# --- rules and proxy-cache projects ---


def test_it_lists_and_searches_rules(admin_client, referenced):
    url = reverse("admin:endpoints_replicationrule_changelist")

    response = admin_client.get(url, {"q": "nightly"})

    assert [r.name for r in response.context["cl"].result_list] == ["nightly-push"]
    assert "busy" in response.content.decode()
    enabled_only = admin_client.get(url, {"enabled__exact": "1"})
    assert [r.name for r in enabled_only.context["cl"].result_list] == ["nightly-push"]


def test_it_refuses_a_rule_without_a_remote_side(admin_client):
    response = admin_client.post(
        reverse("admin:endpoints_replicationrule_add"), {"name": "local-only", "enabled": "on"}
    )

    assert response.status_code == 200
    assert "a rule needs at least one remote side" in response.content.decode()
    assert not ReplicationRule.objects.exists()


def test_it_offers_only_proxy_cache_registries_to_a_project(admin_client, make_registry):
    harbor = make_registry(name="harbor-ep", provider="harbor", url="https://h.example.com")
    plain = make_registry(name="plain-ep", provider="gitlab", url="https://registry.gitlab.com")

    response = admin_client.get(reverse("admin:endpoints_proxycacheproject_add"))

    choices = [value for value, _ in response.context["adminform"].form.fields["registry"].choices]
    assert harbor.pk in [getattr(v, "value", v) for v in choices]
    assert plain.pk not in [getattr(v, "value", v) for v in choices]


def test_it_rejects_a_gitlab_endpoint_for_a_project_with_the_models_message(
    admin_client, make_registry
):
    plain = make_registry(name="plain-ep", provider="gitlab", url="https://registry.gitlab.com")
    harbor = make_registry(name="harbor-ep", provider="harbor", url="https://h.example.com")
    url = reverse("admin:endpoints_proxycacheproject_add")

    refused = admin_client.post(url, {"name": "cache", "registry": plain.pk})
    accepted = admin_client.post(url, {"name": "cache", "registry": harbor.pk})

    assert refused.status_code == 200
    assert refused.content.decode().count("GitLab endpoints cannot back a proxy-cache project here") == 1
    assert accepted.status_code == 302
    assert ProxyCacheProject.objects.get(name="cache").registry == harbor
