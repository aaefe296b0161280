"""The emulator fixture itself: a fixed public name reaches the local server over TLS."""

import pytest

from endpoints.probe.target import Target
from endpoints.providers import run_check
from tests.fixtures.emulators import Reply


def registry_v2(request):
    return Reply(200, {}, {"Docker-Distribution-API-Version": "registry/2.0"})


@pytest.mark.django_db
def test_a_public_name_is_served_locally_with_sni_and_verification(emulate):
    emulator = emulate(["registry.example.test"], registry_v2)
    verdict = run_check(Target("docker-registry", "https://registry.example.test",
                               ca_certificate=emulator.ca_pem))
    assert verdict.ok, verdict.as_json()
    assert [r.host for r in emulator.requests] == ["registry.example.test"]


@pytest.mark.django_db
def test_without_the_ca_the_certificate_is_refused(emulate):
    emulate(["registry.example.test"], registry_v2)
    verdict = run_check(Target("docker-registry", "https://registry.example.test"))
    assert verdict.category == "tls"
