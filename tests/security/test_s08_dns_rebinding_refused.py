"""S8: DNS rebinding. The resolver answers an allowed address when the policy step looks
and a denied one at a later lookup. The first request goes over the very connection the
pre-flight policed (no second lookup); any later connection is policed on the address
actually dialled, so the denied answer is refused at connect."""

from __future__ import annotations

import os
import socket

import pytest

from tests.fixtures.local_servers import REGISTRY_HEADERS
from tests.fixtures.probing import check, failed_step, step_named

ALLOWED_THEN_DENIED = [["127.0.0.1"], ["169.254.169.254"]]


def registry_reply(request):
    request.reply(200, "{}", REGISTRY_HEADERS)


def test_the_first_request_uses_the_connection_that_was_policed(serve_http, fake_dns, dialled,
                                                                socket_connects):
    server = serve_http(registry_reply)
    calls = fake_dns({"rebind.example.test": list(ALLOWED_THEN_DENIED)})

    verdict = check(f"http://rebind.example.test:{server.port}")

    assert verdict.ok, verdict.as_json()
    assert step_named(verdict, "Address policy").ok  # the pre-flight saw 127.0.0.1
    assert calls == ["rebind.example.test"]  # the rebinding answer is never asked for
    assert dialled == ["127.0.0.1"]
    assert not any(address == "169.254.169.254" for address, _ in socket_connects)


def test_a_later_connection_that_rebinds_is_refused_at_connect(serve_http, fake_dns, dialled,
                                                              socket_connects):
    """The server closes the first connection after its 401, so the authenticated retry
    dials again: that lookup answers the denied address, which is refused."""

    def registry(request):
        if "Authorization" in request.headers:
            request.reply(200, "{}", REGISTRY_HEADERS)
        else:
            request.reply(401, "", {"WWW-Authenticate": 'Basic realm="r"', "Connection": "close"})

    server = serve_http(registry)
    calls = fake_dns({"rebind.example.test": list(ALLOWED_THEN_DENIED)})

    verdict = check(f"http://rebind.example.test:{server.port}", "ci", "pw-rebind")

    assert verdict.category == "blocked", verdict.as_json()
    step = failed_step(verdict)
    assert step.name == f"GET http://rebind.example.test:{server.port}/v2/ (authenticated)"
    assert "rebind.example.test resolves to 169.254.169.254" in verdict.summary
    assert calls == ["rebind.example.test", "rebind.example.test"]
    assert dialled == ["127.0.0.1"]  # only the pre-flight's connection
    assert ("169.254.169.254", server.port) not in socket_connects
    assert [seen.headers.get("Authorization") for seen in server.seen] == [None]  # no credentials


def test_a_token_realm_that_rebinds_gets_credentials_only_where_it_was_policed(serve_http, fake_dns,
                                                                              socket_connects):
    """The realm host's pre-flight polices 127.0.0.1; the token request goes over that
    connection, never to the later answer."""
    token_service = serve_http(lambda r: r.reply(200, '{"token": "t0ken-for-rebind"}', REGISTRY_HEADERS))
    realm = f"http://realm.example.test:{token_service.port}/token"

    def registry(request):
        if request.headers.get("Authorization", "").startswith("Bearer "):
            request.reply(200, "{}", REGISTRY_HEADERS)
        else:
            request.reply(401, "", {"WWW-Authenticate": f'Bearer realm="{realm}",service="reg"'})

    origin = serve_http(registry)
    calls = fake_dns({"realm.example.test": list(ALLOWED_THEN_DENIED)})

    verdict = check(origin.url, "ci", "pw-rebind-realm")

    assert verdict.ok, verdict.as_json()
    assert calls == ["realm.example.test"]
    assert len(token_service.seen) == 1
    assert not any(address == "169.254.169.254" for address, _ in socket_connects)


@pytest.mark.django_db
def test_check_now_refuses_a_rebinding_endpoint(owner_client, make_registry, recording_registry, fake_dns,
                                                socket_connects):
    """This registry closes the connection after each answer (HTTP/1.0), so the
    authenticated request dials again, and meets the denied answer."""
    port = int(recording_registry.url.rsplit(":", 1)[1])
    registry = make_registry(name="rebinder", url=f"http://rebind.example.test:{port}", access_id="ci",
                             secret=recording_registry.password)
    fake_dns({"rebind.example.test": list(ALLOWED_THEN_DENIED)})

    answer = owner_client.post(f"/registries/{registry.pk}/check/", HTTP_ACCEPT="application/json").json()

    assert (answer["ok"], answer["category"]) == (False, "blocked"), answer
    assert recording_registry.credentialed == []
    assert not any(address == "169.254.169.254" for address, _ in socket_connects)
    registry.refresh_from_db()
    assert (registry.status, registry.status_category) == ("unhealthy", "blocked")


def test_the_aws_ecr_api_host_cannot_rebind(monkeypatch, tmp_path, settings, socket_connects):
    """The AWS API call: the address dialled must be the one policed. (This failed while
    GetAuthorizationToken went through boto3, which resolved the host again by itself.)"""
    real = socket.getaddrinfo
    answers = iter(["127.0.0.1"] + ["127.0.0.2"] * 20)

    def rebinding(host, port, *args, **kwargs):
        if host != "ecr-api.example.test":
            return real(host, port, *args, **kwargs)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    for name in [n for n in os.environ if n.startswith("AWS_")]:
        monkeypatch.delenv(name)
    (tmp_path / "empty").write_text("")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "empty"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "empty"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ENDPOINT_URL_ECR", "http://ecr-api.example.test:9")
    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    settings.ENDPOINT_DENY_NETWORKS = [*settings.ENDPOINT_DENY_NETWORKS, "127.0.0.2/32"]
    settings.ENDPOINT_CONNECT_TIMEOUT = 1

    verdict = check("https://api.ecr.us-east-1.amazonaws.com", "AKIAIOSFODNN7EXAMPLE",
                    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", provider="aws-ecr")

    assert not verdict.ok
    assert ("127.0.0.2", 9) not in socket_connects, verdict.as_json()
