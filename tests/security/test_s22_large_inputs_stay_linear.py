"""S22: a CA Certificate of 120 KB of whitespace after `BEGIN CERTIFICATE`, and every
regular expression a user or a remote feeds, given a large adversarial input (OWASP ReDoS).

Each input goes through the public function and must get the right answer or message. The
tests are not timed: a quadratic pattern on these sizes runs for minutes to hours, so
pytest-timeout (300 s) catches a regression. bench/redos.py times the same inputs."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from endpoints.forms_admin import RegistryAdminForm
from endpoints.models import Registry
from endpoints.probe.http import Response
from endpoints.probe.target import Target
from endpoints.providers import get_provider, run_check
from endpoints.providers.ali_acr_api import parse_service
from endpoints.providers.aws_ecr import url_error
from endpoints.providers.ecr_token import error_of
from endpoints.validation import (
    describe_certificates,
    normalize_endpoint_url,
    split_pem_certificates,
    validate_ca_certificate,
)
from tests.forms import registry_form

BEGIN = "-----BEGIN CERTIFICATE-----"
END = "-----END CERTIFICATE-----"
KIB = 1024
MIB = 1024 * KIB
CA_TOO_LONG = "CA Certificate is too long"
SECRET_TOO_LONG = "Access Secret is too long"
DAMAGED = "cannot be read: its text is damaged or incomplete"


def whitespace_after_begin(total: int) -> str:
    """The S22 input: BEGIN CERTIFICATE, spaces, one stray character; `total` long."""
    return BEGIN + " " * (total - len(BEGIN) - 1) + "!"


def messages_of(call) -> list[str]:
    with pytest.raises(ValidationError) as exc:
        call()
    return exc.value.messages


# --- the CA Certificate field ---


def test_a_ca_certificate_of_120_kb_of_whitespace_is_refused_for_its_length():
    [message] = messages_of(lambda: validate_ca_certificate(whitespace_after_begin(120_000)))

    assert message.startswith(CA_TOO_LONG), message
    assert "120,000 characters" in message and "at most 65,536" in message
    assert "not a whole CA bundle" in message


def test_64_kib_of_whitespace_after_begin_is_read_as_a_damaged_certificate():
    [message] = messages_of(lambda: validate_ca_certificate(whitespace_after_begin(64 * KIB)))

    assert message.startswith(f"Certificate 1 in CA Certificate {DAMAGED}"), message


def test_64_kib_of_begin_lines_is_read_as_a_damaged_certificate():
    text = (BEGIN + "\n") * (64 * KIB // (len(BEGIN) + 1))

    [message] = messages_of(lambda: validate_ca_certificate(text))

    assert message.startswith(f"Certificate 1 in CA Certificate {DAMAGED}"), message


def test_a_certificate_with_a_broken_body_is_called_damaged_not_missing():
    """Today's regex skipped a body with a non-base64 character and said "Paste a PEM
    certificate", as if nothing had been pasted."""
    text = f"{BEGIN}\nMIIBkTCB+wIJAK*broken!line\n{END}\n"

    [message] = messages_of(lambda: validate_ca_certificate(text))

    assert message.startswith(f"Certificate 1 in CA Certificate {DAMAGED}"), message
    assert "Paste a PEM certificate" not in message


def test_a_certificate_without_its_end_line_is_called_incomplete(registry_ca):
    pem = registry_ca.cert_pem.bytes().decode()
    [message] = messages_of(lambda: validate_ca_certificate(pem + pem.split(END)[0]))

    assert message.startswith(f"Certificate 2 in CA Certificate {DAMAGED}"), message


def test_the_existing_messages_keep_their_meaning(registry_ca):
    pem = registry_ca.cert_pem.bytes().decode()
    key = "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n"

    assert messages_of(lambda: validate_ca_certificate("not a certificate"))[0].startswith(
        "Paste a PEM certificate")
    assert messages_of(lambda: validate_ca_certificate(pem + key))[0].startswith(
        "CA Certificate accepts only CERTIFICATE blocks")
    assert len(validate_ca_certificate(pem + "\n" + pem)) == 2


def test_a_pasted_bundle_with_windows_line_ends_and_indentation_is_read(registry_ca):
    pem = registry_ca.cert_pem.bytes().decode()
    pasted = "\r\n".join("    " + line for line in pem.splitlines())

    assert len(validate_ca_certificate(pasted)) == 1


def test_describing_an_unvalidated_field_does_no_unbounded_work():
    assert describe_certificates(whitespace_after_begin(120_000)) == []
    assert describe_certificates(whitespace_after_begin(64 * KIB)) == []


def test_the_pem_scan_is_linear_far_beyond_the_cap():
    """The scan itself, on 4 MiB: a quadratic one would need hours."""
    blocks, outside = split_pem_certificates(whitespace_after_begin(4 * MIB))
    assert (len(blocks), outside) == (1, "")

    blocks, outside = split_pem_certificates(f"{BEGIN}\nMIIB\n{END}\n" * (4 * MIB // 60) + "tail")
    assert len(blocks) == 4 * MIB // 60 and outside.strip() == "tail"


@pytest.mark.django_db
def test_the_page_refuses_a_120_kb_ca_certificate_with_one_message(owner_client):
    response = owner_client.post("/registries/new/", registry_form(
        ca_certificate=whitespace_after_begin(120_000),
    ))

    html = response.content.decode()
    assert response.status_code == 400
    # Once by the field, once in the error summary at the top.
    by_field = re.search(r'id="id_ca_certificate_error".*?</div>', html, re.S).group(0)
    assert by_field.count(CA_TOO_LONG) == 1 and html.count(CA_TOO_LONG) == 2
    assert Registry.objects.count() == 0


@pytest.mark.django_db
def test_the_page_tells_the_browser_the_limits(owner_client):
    html = owner_client.get("/registries/new/").content.decode()

    assert re.search(r'<textarea[^>]*name="ca_certificate"[^>]*maxlength="65536"', html)
    assert re.search(r'<input[^>]*name="access_secret"[^>]*maxlength="65536"', html)
    gcr = owner_client.get("/registries/new/?provider=google-gcr").content.decode()
    assert re.search(r'<textarea[^>]*name="access_secret"[^>]*maxlength="65536"', gcr)


@pytest.mark.django_db
def test_test_connection_refuses_a_120_kb_ca_certificate(owner_client):
    response = owner_client.post("/registries/test/", registry_form(
        ca_certificate=whitespace_after_begin(120_000), action="test",
    ), HTTP_ACCEPT="application/json")

    assert response.status_code == 400
    [message] = response.json()["errors"]["ca_certificate"]
    assert message.startswith(CA_TOO_LONG)


@pytest.mark.django_db
def test_a_re_render_with_64_kib_of_whitespace_says_damaged(owner_client):
    """The re-render describes the field's certificates from the unvalidated POST."""
    response = owner_client.post("/registries/new/", registry_form(
        ca_certificate=whitespace_after_begin(64 * KIB),
    ))

    html = response.content.decode()
    assert response.status_code == 400
    assert f"Certificate 1 in CA Certificate {DAMAGED}" in html
    assert 'id="ca-summary"' not in html


@pytest.mark.django_db
def test_the_admin_refuses_a_120_kb_ca_certificate(admin_client):
    response = admin_client.post(reverse("admin:endpoints_registry_add"), {
        "provider": "docker-registry", "name": "big-ca", "url": "https://registry.example.com",
        "verify_remote_cert": "on", "ca_certificate": whitespace_after_begin(120_000),
    })

    assert response.status_code == 200
    assert response.content.decode().count(CA_TOO_LONG) == 1
    assert not Registry.objects.exists()


def test_the_check_engine_and_cli_refuse_a_120_kb_ca_certificate():
    verdict = run_check(Target(provider="docker-registry", url="https://127.0.0.1:9",
                               ca_certificate=whitespace_after_begin(120_000)))

    assert verdict.category == "invalid"
    assert CA_TOO_LONG in verdict.summary


# --- the Access Secret fields ---


@pytest.mark.django_db
def test_the_page_refuses_an_access_secret_over_64_kib(owner_client):
    response = owner_client.post("/registries/new/", registry_form(
        access_id="ci", access_secret="s" * (64 * KIB + 1),
    ))

    html = response.content.decode()
    assert response.status_code == 400
    by_field = re.search(r'id="id_access_secret_error".*?</div>', html, re.S).group(0)
    assert by_field.count(SECRET_TOO_LONG) == 1 and html.count(SECRET_TOO_LONG) == 2
    assert "65,537 characters" in html and "at most 65,536" in html
    assert Registry.objects.count() == 0


@pytest.mark.django_db
def test_the_admin_refuses_an_access_secret_over_64_kib(make_registry):
    registry = make_registry(access_id="ci", secret="stored-pw-1234")
    form = RegistryAdminForm({
        "provider": "docker-registry", "name": registry.name, "url": registry.url,
        "access_id": "ci", "access_secret": "s" * (64 * KIB + 1), "verify_remote_cert": "on",
    }, instance=registry)

    assert not form.is_valid()
    [message] = form.errors["access_secret"]
    assert message.startswith(SECRET_TOO_LONG)


@pytest.mark.django_db
def test_a_64_kib_access_secret_is_still_accepted(make_registry):
    registry = make_registry(access_id="ci")
    form = RegistryAdminForm({
        "provider": "docker-registry", "name": registry.name, "url": registry.url,
        "access_id": "ci", "access_secret": "s" * (64 * KIB), "verify_remote_cert": "on",
    }, instance=registry)

    assert form.is_valid(), form.errors


# --- the URL and the provider rules: every regular expression a user's input reaches ---


def test_a_url_path_of_many_slashes_then_a_letter_is_kept():
    """`re.sub(r"/+$", ...)` retried the run of slashes from every one of them."""
    path = "/" * MIB + "x"
    assert normalize_endpoint_url("https://registry.example.com" + path) == (
        "https://registry.example.com" + path)
    assert normalize_endpoint_url("https://registry.example.com/v" + "/" * MIB) == (
        "https://registry.example.com/v")


def test_a_host_name_with_a_stray_character_at_the_end_is_refused():
    [message] = messages_of(lambda: normalize_endpoint_url("https://" + "a" * 200 + "!"))
    assert message.startswith("“!” cannot appear in a host name")
    # A megabyte of host name is refused by its length, before anything reads it all.
    [message] = messages_of(lambda: normalize_endpoint_url("https://" + "a" * MIB + "!"))
    assert message.endswith("has 1,048,577 characters: a host name has at most 253.")


@pytest.mark.parametrize("provider, url, access_id, field, expected", [
    # LOGIN_USER_RE: a region of a million "-a" parts, never followed by "-<digits>".
    ("huawei-SWR", "https://swr.cn-north-4.myhuaweicloud.com", "cn" + "-a" * (MIB // 2) + "@AK",
     "access_id", "Enter the SWR login user in the form <region>@<AK>"),
    # SWR_HOST_RE: a region part that never reaches ".myhuaweicloud".
    ("huawei-SWR", "https://swr." + "a" * MIB + "!.myhuaweicloud.com", "cn-north-4@AK",
     "url", None),
    # ECR_HOST_RE and REGION_IN_HOST_RE: the same run in an ECR host name.
    ("aws-ecr", "https://api.ecr." + "cn" + "-a" * (MIB // 2) + ".amazonaws.com",
     "", "url", "is not an AWS region that ECR serves"),
    # ACCESS_KEY_ID_RE: a long key id.
    ("aws-ecr", "https://api.ecr.us-east-1.amazonaws.com", "AKIA" + "A" * MIB, "access_id",
     "This is not an AWS access key ID"),
    # OPENAPI_HOST_RE: cr.<region> that never reaches ".aliyuncs.com".
    ("ali-acr", "https://cr." + "a" * MIB + ".aliyuncs.co", "", "url",
     "Alibaba Cloud ACR hosts end in .aliyuncs.com"),
])
def test_provider_input_rules_answer_a_million_character_input(provider, url, access_id, field, expected):
    errors = get_provider(provider).clean(url, access_id, "", False)

    if expected is None:
        assert field not in errors, errors
    else:
        assert any(expected in message for message in errors.get(field, [])), errors


def test_an_ecr_url_with_a_long_region_run_is_refused():
    assert url_error("https://" + "ab" + "-a" * (MIB // 2) + ".example.com").startswith(
        "Enter an ECR URL such as")


# --- what a remote sends ---


def test_an_acr_challenge_service_with_a_long_region_is_not_a_region():
    assert parse_service("registry.aliyuncs.com:cn" + "-a" * (MIB // 2) + "!") is None
    assert parse_service("registry.aliyuncs.com:cn-hangzhou").region == "cn-hangzhou"


def test_an_aws_xml_error_with_an_unclosed_field_gives_no_code():
    body = ("<Code>" + "a" * (MIB // 2) + "<Code>" * (MIB // 12)).encode()
    response = Response(status=400, headers={}, body=body, url="https://api.ecr.us-east-1.amazonaws.com")

    assert error_of(response, None) == ("", "")


@pytest.mark.timeout(60)
def test_an_excerpt_cleans_a_secret_of_unclosed_markup_in_linear_time():
    """Every sensitive value is cleaned of markup too (to find it in a cleaned excerpt): a
    typed secret of 64 KiB of "<" was quadratic there (3.6 s of CPU per excerpt; 1 MiB would
    take a quarter of an hour)."""
    from endpoints.probe.http import Response

    secret = "<" * (1 << 20)
    excerpt = Response(500, {}, b"the server said no", "https://r.test/", sensitive=(secret,)).excerpt()

    assert excerpt == "the server said no"


def test_the_engine_refuses_an_access_secret_over_64_kib():
    """ping_endpoint --access-secret-file reads a file of any size: the engine's input step
    bounds it before a provider parses it."""
    from tests.fixtures.probing import check

    verdict = check("https://registry.example.test", "ci", "x" * (64 * 1024 + 1))

    assert verdict.category == "invalid"
    assert "64 KiB" in verdict.summary
