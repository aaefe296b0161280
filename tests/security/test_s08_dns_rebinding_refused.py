"""S8: DNS rebinding. The resolver answers an allowed address when the policy step looks
and a denied one when the request connects: the connection is refused, because the
policy is applied to the address actually dialled, not to an earlier lookup."""

from __future__ import annotations

import os
import socket

import pytest

from tests.fixtures.local_servers import REGISTRY_HEADERS
from tests.fixtures.probing import check, failed_step, step_named

ALLOWED_THEN_DENIED = [["127.0.0.1"], ["169.254.169.254"]]


def registry_reply(request):
    request.reply(200, "{}", REGISTRY_HEADERS)


def test_it_refuses_a_name_that_rebinds_to_a_denied_address_at_connect(serve_http, fake_dns, dialled,
                                                                        socket_connects):
    server = serve_http(registry_reply)
    calls = fake_dns({"rebind.example.test": list(ALLOWED_THEN_DENIED)})

    verdict = check(f"http://rebind.example.test:{server.port}")

    assert verdict.category == "blocked"
    assert step_named(verdict, "Address policy").ok  # the pre-flight saw 127.0.0.1
    step = failed_step(verdict)
    assert step.name == f"GET http://rebind.example.test:{server.port}/v2/"
    assert "rebind.example.test resolves to 169.254.169.254" in step.detail
    assert calls == ["rebind.example.test", "rebind.example.test"]
    assert dialled == ["127.0.0.1"]  # only the pre-flight's connection
    assert ("169.254.169.254", server.port) not in socket_connects
    assert server.seen == []


def test_a_token_realm_that_rebinds_gets_no_credentials(serve_http, fake_dns, socket_connects):
    """The realm host is resolved twice as well (its pre-flight, then the token request)."""
    token_service = serve_http(lambda r: r.reply(200, '{"token": "t0ken-for-rebind"}', REGISTRY_HEADERS))
    realm = f"http://realm.example.test:{token_service.port}/token"

    def registry(request):
        if request.headers.get("Authorization", "").startswith("Bearer "):
            request.reply(200, "{}", REGISTRY_HEADERS)
        else:
            request.reply(401, "", {"WWW-Authenticate": f'Bearer realm="{realm}",service="reg"'})

    origin = serve_http(registry)
    fake_dns({"realm.example.test": list(ALLOWED_THEN_DENIED)})

    verdict = check(origin.url, "ci", "pw-rebind-realm")

    assert verdict.category == "blocked"
    assert "realm.example.test resolves to 169.254.169.254" in verdict.summary
    assert token_service.seen == []
    assert not any(address == "169.254.169.254" for address, _ in socket_connects)


@pytest.mark.django_db
def test_check_now_refuses_a_rebinding_endpoint(owner_client, make_registry, recording_registry, fake_dns):
    port = int(recording_registry.url.rsplit(":", 1)[1])
    registry = make_registry(name="rebinder", url=f"http://rebind.example.test:{port}", access_id="ci",
                             secret=recording_registry.password)
    fake_dns({"rebind.example.test": list(ALLOWED_THEN_DENIED)})

    answer = owner_client.post(f"/registries/{registry.pk}/check/", HTTP_ACCEPT="application/json").json()

    assert (answer["ok"], answer["category"]) == (False, "blocked"), answer
    assert recording_registry.requests == []
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
