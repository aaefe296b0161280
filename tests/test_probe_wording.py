"""What the person at the page reads (issue 10, item 19): every detail, hint, warning and
summary is a sentence; the summary does not repeat the failing step; categories have a
human label; operator settings are called server settings; help texts ask for nothing the
form does not let the user do."""

from __future__ import annotations

import re
import socket

import pytest

from endpoints.probe import policy
from endpoints.probe.result import CATEGORY_LABELS, Category, Verdict, category_label
from endpoints.providers import PROVIDERS
from endpoints.validation import validate_ca_certificate
from tests.fixtures.local_servers import REGISTRY_HEADERS
from tests.fixtures.probing import check, failed_step

# Settings only the operator of the server can change: a hint naming one must say so.
SERVER_SETTINGS = (
    "ENDPOINT_CONNECT_TO", "ENDPOINT_DENY_NETWORKS", "ENDPOINT_ALLOW_NETWORKS",
    "ENDPOINT_TEST_DEADLINE", "ENDPOINT_READ_TIMEOUT", "ENDPOINT_CONNECT_TIMEOUT",
    "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "CHECK_NOW_POOL", "AWS_ENDPOINT_URL_ECR",
)
SAYS_SERVER_SETTING = ("a server setting", "server settings", "operator of this server")


def is_sentence(text: str) -> bool:
    return bool(text) and not text[0].islower() and text.rstrip().endswith((".", "?", "!"))


def assert_reads_well(verdict: Verdict) -> None:
    texts = [verdict.summary, *verdict.warnings]
    for step in verdict.steps:
        texts += [step.detail] if step.ok else [text for text in (step.detail, step.hint) if text]
    for text in texts:
        assert is_sentence(text), f"not a sentence: {text!r}"
        for setting in SERVER_SETTINGS:
            if re.search(rf"\b{setting}\b", text):
                assert any(phrase in text for phrase in SAYS_SERVER_SETTING), (
                    f"{setting} is named without saying it is a server setting: {text!r}")


def test_every_category_has_a_human_label():
    assert set(CATEGORY_LABELS) == set(Category)
    assert Category.NOT_REGISTRY.label == "Not a registry"
    assert category_label("not_registry") == "Not a registry"
    assert category_label("something-stored-long-ago") == "something-stored-long-ago"
    for label in CATEGORY_LABELS.values():
        assert label[0].isupper() and "_" not in label


def test_the_json_has_the_label_beside_the_code(serve_http):
    server = serve_http(lambda r: r.reply(200, "<html>Welcome</html>", {"Content-Type": "text/html"}))

    body = check(server.url).as_json()

    assert body["category"] == "not_registry"
    assert body["category_label"] == "Not a registry"


@pytest.fixture
def unresolvable(monkeypatch):
    def no_such_host(host, port):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(policy, "getaddrinfo", no_such_host)


def failures(serve_http) -> dict[str, Verdict]:
    html = serve_http(lambda r: r.reply(200, "<html>Welcome</html>", {"Content-Type": "text/html"}))
    broken = serve_http(lambda r: r.reply(500, "storage driver failed"))
    limited = serve_http(lambda r: r.reply(429, "slow down", {"Retry-After": "60"}))
    denied = serve_http(lambda r: r.reply(401, "", {"WWW-Authenticate": 'Basic realm="r"'}))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
        refused = check(closed)
    return {
        "not_registry": check(html.url),
        "http": check(broken.url),
        "rate_limited": check(limited.url, "ci", "pw-limited"),
        "auth": check(denied.url, "ci", "pw-denied"),
        "connect": refused,
        "blocked": check("http://169.254.169.254"),
        "invalid": check("ftp://registry.example.test"),
    }


def test_failures_read_as_sentences_and_name_server_settings_as_such(serve_http):
    for category, verdict in failures(serve_http).items():
        assert verdict.category == category, verdict.as_json()
        assert_reads_well(verdict)


def test_a_dns_failure_reads_well(unresolvable):
    verdict = check("https://registry.example.test")

    assert verdict.category == "dns"
    assert_reads_well(verdict)
    assert "ENDPOINT_CONNECT_TO" in failed_step(verdict).hint


def test_the_summary_does_not_repeat_the_failing_step(serve_http):
    for verdict in failures(serve_http).values():
        step = failed_step(verdict)
        # The summary says what went wrong; the step what was seen there and what to do.
        assert not step.detail or step.detail not in verdict.summary
        assert step.hint and step.hint not in verdict.summary
        # What is stored for the list and the detail page says it all, without the steps.
        assert verdict.reason == f"{verdict.summary} {step.hint}"


def test_a_success_keeps_its_summary_as_the_reason(serve_http):
    server = serve_http(lambda r: r.reply(200, "{}", REGISTRY_HEADERS))

    verdict = check(server.url)

    assert verdict.ok and verdict.reason == verdict.summary
    assert_reads_well(verdict)


def test_docker_hubs_dns_hint_does_not_ask_to_fix_its_read_only_url(unresolvable):
    verdict = check("https://hub.docker.com", provider="docker-hub")

    assert verdict.category == "dns"
    hint = failed_step(verdict).hint
    assert "Endpoint URL" not in hint and "spelling" not in hint
    assert "hub.docker.com" in hint
    assert_reads_well(verdict)


def test_artifact_hubs_dns_hint_does_not_ask_to_fix_its_read_only_url(unresolvable):
    verdict = check("https://artifacthub.io", provider="artifact-hub")

    assert verdict.category == "dns"
    hint = failed_step(verdict).hint
    assert "Endpoint URL" not in hint and "spelling" not in hint
    assert_reads_well(verdict)


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_help_texts_are_sentences_and_ask_for_nothing_the_form_forbids(provider):
    meta = PROVIDERS[provider].form_metadata()
    texts = [meta["url_help"], meta["access_id_help"], meta["access_secret_help"], *meta["notes"]]
    for text in filter(None, texts):
        assert is_sentence(text), text
        for setting in SERVER_SETTINGS:
            if setting in text:
                assert any(phrase in text for phrase in SAYS_SERVER_SETTING), text
    if meta["fixed_access_id"] is not None:
        for text in texts:
            assert not re.search(r"(keep|leave|empty)[^.]*Access ID", text or ""), (
                f"{provider}: the Access ID is fixed, yet the help says to empty it: {text}")


def test_a_broken_base64_body_in_a_pem_is_called_damaged_not_missing():
    from django.core.exceptions import ValidationError

    pem = "-----BEGIN CERTIFICATE-----\nMIIB!!!!not base64@@\n-----END CERTIFICATE-----\n"
    with pytest.raises(ValidationError) as refused:
        validate_ca_certificate(pem)

    message = " ".join(refused.value.messages)
    assert "Certificate 1 in CA Certificate cannot be read" in message
    assert "Paste a PEM certificate" not in message


@pytest.mark.parametrize("provider, host", [("google-gcr", "gcr.io"), ("quay", "quay.io")])
def test_an_anonymous_refusal_does_not_ask_to_enter_a_fixed_access_id(emulate, provider, host):
    from tests.fixtures.emulators import REGISTRY_HEADERS as EMULATED
    from tests.fixtures.emulators import Reply

    server = emulate([host], lambda request: Reply(401, {"errors": []}, {
        **EMULATED, "WWW-Authenticate": f'Basic realm="{host}"'}))

    verdict = check(f"https://{host}", provider=provider, ca_pem=server.ca_pem)

    assert verdict.category == "auth", verdict.as_json()
    assert "requires credentials: anonymous access was refused" in verdict.summary
    hint = failed_step(verdict).hint
    assert "Access ID" not in hint or "stays" in hint
    assert "Access Secret" in hint
