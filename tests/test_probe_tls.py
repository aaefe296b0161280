"""The TLS step against real docker-registry servers with test-CA certificates: trust
through the endpoint's CA Certificate, untrusted, wrong name, expired, expiring soon,
Verify Remote Cert off, and ENDPOINT_CONNECT_TO keeping the original name for SNI."""

from __future__ import annotations

import re
import ssl

import pytest
import trustme

from endpoints.probe import tls
from tests.fixtures.local_servers import REGISTRY_HEADERS
from tests.fixtures.probing import check, failed_step, shown, step_named

pytestmark = pytest.mark.registry


def test_it_fails_tls_for_a_certificate_from_an_unknown_ca(registry_tls):
    verdict = check(registry_tls.url, registry_tls.username, registry_tls.password)

    assert verdict.category == "tls"
    step = failed_step(verdict)
    assert step.name == "TLS"
    assert "is not trusted (issued by " in verdict.summary and "O=harborreg test CA" in verdict.summary
    assert "into CA Certificate" in step.hint
    # The check stopped before any HTTP request carried the credentials.
    assert not any(s.name.startswith("GET ") for s in verdict.steps)


def test_it_trusts_the_endpoints_ca_certificate(registry_tls):
    verdict = check(registry_tls.url, registry_tls.username, registry_tls.password,
                    ca_pem=registry_tls.ca_pem)

    assert verdict.ok, verdict.as_json()
    assert verdict.summary == "Authenticated as ci via Basic authentication."
    detail = step_named(verdict, "TLS").detail
    assert detail.startswith("TLSv1.")
    assert "issued by OU=Testing CA" in detail and "O=harborreg test CA" in detail
    assert re.search(r"valid until \d{4}-\d\d-\d\d;", detail)
    assert "verified by the endpoint's CA Certificate" in detail
    assert verdict.warnings == []


@pytest.fixture
def fresh_contexts():
    tls.forget_shared_contexts()
    yield
    tls.forget_shared_contexts()


def test_it_names_the_system_store_when_it_vouches(registry_tls, monkeypatch, tmp_path, fresh_contexts):
    # Make the test CA part of "the system store" for this check only.
    bundle = tmp_path / "system.pem"
    bundle.write_text(open(ssl.get_default_verify_paths().openssl_cafile).read() + registry_tls.ca_pem)
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    tls.forget_shared_contexts()  # the system store is read once per process

    verdict = check(registry_tls.url, registry_tls.username, registry_tls.password)

    assert verdict.ok, verdict.as_json()
    assert "verified by the system CA store" in step_named(verdict, "TLS").detail


def test_it_says_which_ca_certificate_is_not_the_issuer(registry_tls):
    other_ca = trustme.CA().cert_pem.bytes().decode()

    verdict = check(registry_tls.url, ca_pem=other_ca)

    assert verdict.category == "tls"
    assert "is not the one that issued it" in failed_step(verdict).hint


def test_it_names_the_hosts_a_certificate_is_valid_for(registry_tls_wrong_name):
    verdict = check(registry_tls_wrong_name.url, ca_pem=registry_tls_wrong_name.ca_pem)

    assert verdict.category == "tls"
    step = failed_step(verdict)
    assert step.name == "TLS"
    assert "is not valid for 127.0.0.1" in verdict.summary
    assert "It is valid for other.example.test" in step.hint
    assert "Endpoint URL" in step.hint


def test_it_says_when_a_certificate_expired(registry_tls_expired):
    verdict = check(registry_tls_expired.url, ca_pem=registry_tls_expired.ca_pem)

    assert verdict.category == "tls"
    step = failed_step(verdict)
    assert step.name == "TLS"
    assert "expired on 20" in verdict.summary
    assert "Renew the certificate of the registry at 127.0.0.1" in step.hint


def test_it_warns_about_a_certificate_expiring_within_30_days(registry_tls_expiring):
    verdict = check(registry_tls_expiring.url, ca_pem=registry_tls_expiring.ca_pem)

    assert verdict.ok
    assert len(verdict.warnings) == 1
    assert "expires on" in verdict.warnings[0] and "(in 10 days)" in verdict.warnings[0]


def test_it_skips_verification_when_verify_remote_cert_is_off(registry_tls_wrong_name):
    verdict = check(registry_tls_wrong_name.url, verify=False)

    assert verdict.ok, verdict.as_json()
    assert "not verified (Verify Remote Cert is off)" in step_named(verdict, "TLS").detail
    assert any("Verify Remote Cert is off" in w for w in verdict.warnings)


def test_it_ignores_the_ca_certificate_when_verify_is_off(registry_tls_expired):
    verdict = check(registry_tls_expired.url, verify=False, ca_pem="not even a certificate")

    assert verdict.ok
    assert any("expired on" in w for w in verdict.warnings)


def test_connect_to_keeps_the_original_name_for_sni_and_verification(registry_tls, settings):
    settings.ENDPOINT_CONNECT_TO = [f"registry.example.test:443:127.0.0.1:{registry_tls.port}"]

    verdict = check("https://registry.example.test", registry_tls.username, registry_tls.password,
                    ca_pem=registry_tls.ca_pem)

    assert verdict.ok, verdict.as_json()
    policy = step_named(verdict, "Address policy").detail
    assert f"sends registry.example.test:443 to 127.0.0.1:{registry_tls.port}" in policy
    assert "verified by the endpoint's CA Certificate" in step_named(verdict, "TLS").detail
    assert "DNS" not in [s.name for s in verdict.steps]  # the mapped address is a literal


def test_connect_to_does_not_make_a_wrong_name_valid(registry_tls, settings):
    settings.ENDPOINT_CONNECT_TO = [f"wrong.example.test:443:127.0.0.1:{registry_tls.port}"]

    verdict = check("https://wrong.example.test", ca_pem=registry_tls.ca_pem)

    assert verdict.category == "tls"
    assert "is not valid for wrong.example.test" in verdict.summary
    assert "registry.example.test" in failed_step(verdict).hint


def test_connect_to_sends_the_original_host_header_and_sni(serve_http, server_tls, registry_ca, settings):
    seen_sni: list[str | None] = []
    context = server_tls("api.example.test")
    context.sni_callback = lambda sock, name, ctx: seen_sni.append(name)
    server = serve_http(lambda r: r.reply(200, "{}", REGISTRY_HEADERS), tls=context)
    settings.ENDPOINT_CONNECT_TO = [f"api.example.test::127.0.0.1:{server.port}"]

    verdict = check("https://api.example.test:8443", ca_pem=registry_ca.cert_pem.bytes().decode())

    assert verdict.ok, verdict.as_json()
    assert server.seen[0].headers["Host"] == "api.example.test:8443"
    assert seen_sni and set(seen_sni) == {"api.example.test"}


def test_it_says_when_an_https_url_points_at_a_plain_http_port(registry_open):
    verdict = check(registry_open.url.replace("http://", "https://"))

    assert verdict.category == "tls"
    step = failed_step(verdict)
    assert step.name == "TLS" and "does not speak TLS" in verdict.summary
    assert "http://" in step.hint


def test_no_tls_detail_leaks_the_password(registry_tls):
    verdict = check(registry_tls.url, "ci", "tls-canary-password", ca_pem=registry_tls.ca_pem)

    assert verdict.category == "auth"
    assert "tls-canary-password" not in shown(verdict)
