"""The plain-argument service functions the API calls (and the page form will): a test of
what a Target says, and a save of a registry with its change log and verdict."""

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry

from endpoints import services
from endpoints.models import HealthCheck, Registry
from endpoints.probe.target import Target
from endpoints.validation import URL_CHANGED, VERIFY_TURNED_OFF

pytestmark = pytest.mark.django_db


def test_test_endpoint_checks_what_the_target_says(recording_registry):
    target = Target("docker-registry", recording_registry.url, "ci", recording_registry.password)

    verdict = services.test_endpoint(target)

    assert verdict.ok and verdict.category == "ok"
    assert len(recording_registry.credentialed) == 1


def test_a_withheld_secret_tests_anonymously_and_says_why(recording_registry):
    # The caller withholds the stored secret: the target carries none, and the Access ID
    # alone is not sent either (it would be a half credential).
    target = Target("docker-registry", recording_registry.url, "ci", "")

    verdict = services.test_endpoint(target, URL_CHANGED)

    assert not verdict.ok and verdict.category == "auth"
    assert recording_registry.credentialed == []
    assert verdict.warnings[0].startswith("Tested anonymously: the stored Access Secret was not sent "
                                          "because the Endpoint URL changed.")


def test_a_withheld_secret_never_becomes_the_servers_own_aws_identity(dialled):
    target = Target("aws-ecr", "https://api.ecr.us-east-1.amazonaws.com", "", "")

    verdict = services.test_endpoint(target, VERIFY_TURNED_OFF)

    assert verdict.category == "invalid" and dialled == []
    assert "Verify Remote Cert was turned off" in verdict.summary


def test_save_endpoint_creates_logs_and_records_the_verdict(owner):
    registry = Registry(name="new", provider="docker-registry", url="https://r.example.com", access_id="u")
    verdict = services.invalid_verdict("stand-in")  # any verdict: it is stored as given

    saved = services.save_endpoint(registry, owner, [], verdict, new_secret="s3cret-value")

    saved.refresh_from_db()
    assert saved.decrypt_secret() == "s3cret-value" and saved.status == "unhealthy"
    entry = LogEntry.objects.get(object_id=str(saved.pk))
    assert entry.action_flag == ADDITION and entry.user == owner
    assert HealthCheck.objects.filter(registry=saved, checked_by=owner).count() == 1


def test_save_endpoint_changes_only_what_an_edit_may_and_logs_the_field_names(owner, make_registry):
    registry = make_registry(name="old", secret="kept-secret")
    Registry.objects.filter(pk=registry.pk).update(status="healthy")  # a check meanwhile
    registry.description = "now described"

    services.save_endpoint(registry, owner, ["Description"], None)

    registry.refresh_from_db()
    assert registry.description == "now described" and registry.status == "healthy"
    assert registry.decrypt_secret() == "kept-secret"
    entry = LogEntry.objects.get(object_id=str(registry.pk), action_flag=CHANGE)
    assert entry.get_change_message() == "Changed Description."


def test_save_endpoint_clears_the_secret_and_logs_it_by_name_only(owner, make_registry):
    registry = make_registry(name="old", secret="to-be-cleared")

    services.save_endpoint(registry, owner, ["Access Secret"], None, clear_secret=True)

    registry.refresh_from_db()
    assert not registry.has_secret
    entry = LogEntry.objects.get(object_id=str(registry.pk), action_flag=CHANGE)
    assert "to-be-cleared" not in entry.change_message and "Access Secret" in entry.change_message
