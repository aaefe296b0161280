"""Model rules: URL normalization, names, constraints, references, proxy-cache providers."""

import pytest
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction

from endpoints.models import ProxyCacheProject, Registry, ReplicationRule
from endpoints.providers import proxy_cache_provider_keys
from endpoints.validation import normalize_endpoint_url, validate_ca_certificate


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("https://harbor.example.com/", "https://harbor.example.com"),
        ("  https://harbor.example.com//  ", "https://harbor.example.com"),
        ("harbor.example.com", "https://harbor.example.com"),
        ("HTTPS://Harbor.Example.COM:8443/prefix/", "https://harbor.example.com:8443/prefix"),
        ("http://10.0.0.5:5000", "http://10.0.0.5:5000"),
        ("https://[::1]:5000/", "https://[::1]:5000"),
    ],
)
def test_it_normalizes_urls(raw, normalized):
    assert normalize_endpoint_url(raw) == normalized


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "Endpoint URL is required."),
        ("ftp://registry.example.com", "must be http or https"),
        ("https://bob:pw@registry.example.com", "Remove the user name and password"),
        ("https://registry.example.com/?x=1", "Remove the query string"),
        ("https://registry.example.com/#frag", "Remove the fragment"),
        ("https://registry.example.com:99999", "The port 99999 is out of range"),
        ("https://bad_host!name", "“!” cannot appear in a host name (“bad_host!name”)"),
    ],
)
def test_it_rejects_bad_urls_with_a_message_saying_what_to_fix(raw, message):
    with pytest.raises(ValidationError) as exc:
        normalize_endpoint_url(raw)
    assert message in " ".join(exc.value.messages)


def test_it_rejects_a_ca_field_without_certificates():
    with pytest.raises(ValidationError, match="Paste a PEM certificate"):
        validate_ca_certificate("not a certificate")


def test_it_rejects_a_truncated_certificate():
    pem = "-----BEGIN CERTIFICATE-----\nMIIBroken\n-----END CERTIFICATE-----"
    with pytest.raises(ValidationError, match="cannot be read"):
        validate_ca_certificate(pem)


def test_it_accepts_real_ca_certificates():
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    pem = ca.cert_pem.bytes().decode()
    assert len(validate_ca_certificate(pem + pem)) == 2


@pytest.mark.django_db
@pytest.mark.parametrize(("existing", "typed"), [("Primary", "primary"), ("équipe", "ÉQUIPE")])
def test_it_refuses_a_name_that_differs_only_in_case(make_registry, existing, typed):
    make_registry(name=existing)
    duplicate = Registry(name=typed, provider="docker-registry", url="https://x.example.com")
    with pytest.raises(ValidationError) as exc:
        duplicate.full_clean()
    assert exc.value.message_dict["name"] == [
        f"An endpoint named “{existing}” already exists (names are not case-sensitive, and "
        "look-alike characters count as the same name)."
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(("existing", "typed"), [("Primary", "PRIMARY"), ("équipe", "ÉQUIPE")])
def test_the_database_enforces_case_insensitive_names(make_registry, existing, typed):
    # On SQLite too: the key is folded in Python, not by SQLite's ASCII-only LOWER().
    make_registry(name=existing)
    with pytest.raises(IntegrityError), transaction.atomic():
        Registry.objects.create(name=typed, provider="docker-registry", url="https://x.example.com")


@pytest.mark.django_db
def test_it_trims_and_normalizes_the_name_on_clean(make_registry):
    assert make_registry(name="  ｍｉｒｒｏｒ-1  ").name == "mirror-1"


@pytest.mark.django_db
def test_the_database_enforces_64_characters(make_registry):
    # SQLite: the check constraint (IntegrityError); PostgreSQL: varchar(64) (DataError).
    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
        Registry.objects.create(name="n" * 65, provider="docker-registry", url="https://x.example.com")
    Registry.objects.create(name="n" * 64, provider="docker-registry", url="https://x.example.com")


@pytest.mark.django_db
def test_a_rule_needs_a_remote_side():
    with pytest.raises(IntegrityError), transaction.atomic():
        ReplicationRule.objects.create(name="local-to-local")


@pytest.mark.django_db
def test_it_normalizes_the_url_on_clean(make_registry):
    registry = make_registry(url="registry.example.com/")
    assert registry.url == "https://registry.example.com"


@pytest.mark.django_db
def test_proxy_cache_projects_accept_only_proxy_cache_providers(make_registry):
    gitlab = make_registry(name="gitlab", provider="gitlab", url="https://registry.gitlab.com")
    project = ProxyCacheProject(name="p", registry=gitlab)
    with pytest.raises(ValidationError) as exc:
        project.full_clean()
    message = exc.value.message_dict["registry"][0]
    assert message.startswith("GitLab endpoints cannot back a proxy-cache project here")
    # The operator decides: the message names the setting and says whose it is.
    assert "PROXY_CACHE_PROVIDERS (a server setting)" in message
    assert "Docker Hub" in message and "Quay" in message and "Docker Registry" in message


SEED_SIX = {"harbor", "docker-hub", "aws-ecr", "azure-acr", "google-gcr", "quay"}
HARBOR_2_15_ADDS = {"docker-registry", "jfrog-artifactory", "ali-acr", "github-ghcr"}


def test_the_default_proxy_cache_providers_are_harbor_2_15s(settings):
    assert set(proxy_cache_provider_keys()) == SEED_SIX | HARBOR_2_15_ADDS  # known ones only


@pytest.mark.django_db
def test_a_docker_registry_endpoint_backs_a_proxy_cache_project_by_default(make_registry):
    """The common setup: proxy-cache registry.k8s.io through a Docker Registry endpoint."""
    k8s = make_registry(name="k8s", provider="docker-registry", url="https://registry.k8s.io")

    ProxyCacheProject(name="k8s-cache", registry=k8s).full_clean()


def test_the_seed_six_stay_whatever_the_setting_says(settings):
    settings.PROXY_CACHE_PROVIDERS = ["harbor"]

    assert set(proxy_cache_provider_keys()) == SEED_SIX


@pytest.mark.django_db
def test_proxy_cache_providers_come_from_settings(settings, make_registry):
    settings.PROXY_CACHE_PROVIDERS = ["docker-registry"]
    plain = make_registry(name="plain", provider="docker-registry")
    ProxyCacheProject(name="p", registry=plain).full_clean()
    field = ProxyCacheProject._meta.get_field("registry")
    assert list(Registry.objects.filter(field.get_limit_choices_to())) == [plain]


@pytest.mark.django_db
def test_used_by_counts_rules_on_either_side_and_projects(make_registry, make_rule, make_project):
    hub = make_registry(name="hub", provider="docker-hub", url="https://hub.docker.com")
    other = make_registry(name="other")
    make_rule("pull", source=hub)
    make_rule("push", destination=hub, enabled=False)
    make_rule("both", source=hub, destination=other)
    make_project("cache", registry=hub)
    counts = dict(Registry.objects.with_usage().values_list("name", "used_by_count"))
    assert counts == {"hub": 4, "other": 1}
    rules, projects = hub.used_by()
    assert [r.name for r in rules] == ["both", "pull", "push"]
    assert [p.name for p in projects] == ["cache"]


@pytest.mark.django_db
def test_protect_blocks_deleting_a_referenced_registry(make_registry, make_rule):
    from django.db.models import ProtectedError

    registry = make_registry()
    make_rule(source=registry)
    with pytest.raises(ProtectedError):
        registry.delete()


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["ärzte", "ÄRZTE", "Ärzte", "ＡＲＺＴＥ".replace("Ａ", "Ä")])
def test_search_matches_non_ascii_names_whatever_their_case(make_registry, typed):
    """SQLite's LIKE folds ASCII only: the stored name key (NFKC + case folding) is
    searched as well, so both databases find the same endpoints."""
    make_registry(name="Ärzte-Mirror")
    make_registry(name="other")

    assert [r.name for r in Registry.objects.search(typed)] == ["Ärzte-Mirror"]


@pytest.mark.django_db
def test_search_folds_like_the_name_key(make_registry):
    make_registry(name="STRASSE-cache")

    assert [r.name for r in Registry.objects.search("straße")] == ["STRASSE-cache"]


@pytest.mark.django_db
def test_stored_categories_have_their_labels_for_the_pages(make_registry):
    from endpoints.models import HealthCheck
    from endpoints.probe.result import Verdict

    registry = make_registry()
    assert registry.status_category_label == ""
    registry.record_verdict(Verdict(False, "not_registry", "The server at … answered 404 Not Found.",
                                    reason="The server at … answered 404 Not Found. Check the URL."))

    stored = Registry.objects.get(pk=registry.pk)
    assert stored.status_category_label == "Not a registry"
    assert stored.status_detail == "The server at … answered 404 Not Found. Check the URL."
    assert HealthCheck.objects.get(registry=registry).category_label == "Not a registry"
