"""The CLI: ping_endpoint (ad-hoc test) and check_registries (periodic health check)."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from endpoints.models import Registry


def run(command: str, *args, stdin: str | None = None, monkeypatch=None) -> tuple[int, str]:
    out = io.StringIO()
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    try:
        call_command(command, *args, stdout=out, stderr=out)
    except SystemExit as exc:
        return int(exc.code), out.getvalue()
    return 0, out.getvalue()


def test_ping_endpoint_healthy_with_the_secret_from_a_file(recording_registry, tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text("ci-pass\n")
    code, out = run("ping_endpoint", "--provider", "docker-registry", "--url", recording_registry.url,
                    "--access-id", "ci", "--access-secret-file", str(secret_file))
    assert code == 0
    assert "Connection tested successfully. Authenticated as ci" in out
    assert "ci-pass" not in out
    assert recording_registry.credentialed


def test_ping_endpoint_reads_the_secret_from_stdin_and_reports_auth(recording_registry, monkeypatch):
    code, out = run("ping_endpoint", "--provider", "docker-registry", "--url", recording_registry.url,
                    "--access-id", "ci", "--access-secret-file", "-", "--json",
                    stdin="wrong-pass\n", monkeypatch=monkeypatch)
    body = json.loads(out)
    assert code == 1
    assert body["category"] == "auth" and body["status"] == "unhealthy"
    assert "wrong-pass" not in out


def test_ping_endpoint_exits_2_on_invalid_input():
    code, out = run("ping_endpoint", "--provider", "docker-registry", "--url", "ftp://x.example.com")
    assert code == 2
    assert "must be http or https" in out and "[invalid]" in out


def test_ping_endpoint_exits_2_on_a_missing_file():
    code, out = run("ping_endpoint", "--provider", "docker-registry", "--url", "https://x.example.com",
                    "--ca-file", "/nonexistent/ca.pem")
    assert code == 2 and "Cannot read /nonexistent/ca.pem" in out


@pytest.mark.django_db
def test_check_registries_stores_every_result_and_exits_1_when_one_is_down(
    make_registry, recording_registry
):
    up = make_registry(name="up", url=recording_registry.url, access_id="ci", secret="ci-pass")
    down = make_registry(name="down", url="http://127.0.0.1:9", status="healthy")
    code, out = run("check_registries")
    assert code == 1
    assert "checked=2 healthy=1 unhealthy=1" in out
    assert "FAIL down: connect" in out and "ok  up: ok" in out
    up.refresh_from_db()
    down.refresh_from_db()
    assert up.status == "healthy" and down.status == "unhealthy"
    assert down.last_checked_at is not None and down.checks.count() == 1
    assert "ci-pass" not in out


@pytest.mark.django_db
def test_check_registries_by_name_and_as_json(make_registry, recording_registry):
    make_registry(name="up", url=recording_registry.url, access_id="ci", secret="ci-pass")
    make_registry(name="down", url="http://127.0.0.1:9")
    code, out = run("check_registries", "--json", "UP")
    body = json.loads(out)
    assert code == 0
    assert body["checked"] == 1 and body["healthy"] == 1
    assert body["results"][0]["name"] == "up" and body["results"][0]["category"] == "ok"
    assert Registry.objects.get(name="down").status == "unknown"


@pytest.mark.django_db
def test_check_registries_refuses_unknown_names(make_registry):
    make_registry(name="up")
    with pytest.raises(CommandError, match="No endpoint named: nope"):
        call_command("check_registries", "nope")


@pytest.mark.django_db
def test_check_registries_marks_an_undecryptable_secret_unhealthy(make_registry):
    registry = make_registry(name="lost-key", secret="x-secret")
    Registry.objects.filter(pk=registry.pk).update(access_secret_encrypted="v1:gone:AAAA")
    code, out = run("check_registries")
    assert code == 1
    registry.refresh_from_db()
    assert registry.status == "unhealthy" and "cannot be decrypted" in registry.status_detail


def test_ping_endpoint_exits_2_on_an_unusable_ca_file(tmp_path):
    bad_ca = tmp_path / "ca.pem"
    bad_ca.write_text("not a certificate")
    code, out = run("ping_endpoint", "--provider", "docker-registry", "--url", "https://x.example.com",
                    "--ca-file", str(bad_ca))
    assert code == 2 and "[invalid]" in out


@pytest.mark.django_db
def test_check_registries_unknown_names_are_a_usage_error(make_registry):
    make_registry(name="up")
    with pytest.raises(CommandError) as exc:
        call_command("check_registries", "nope")
    assert exc.value.returncode == 2
