"""S6: Test Connection to cloud metadata addresses, in every spelling and behind a host
name, ends `blocked` and no connection is made (OWASP SSRF; Harbor #3755)."""

from __future__ import annotations

import pytest

from tests.fixtures.local_servers import black_hole, wait_until
from tests.fixtures.probing import check, failed_step, step_named
from tests.forms import registry_form

METADATA = {"169.254.169.254", "fd00:ec2::254", "100.100.100.200"}


@pytest.mark.parametrize("url, address, network", [
    ("http://169.254.169.254", "169.254.169.254", "169.254.0.0/16"),
    ("http://[::ffff:169.254.169.254]", "169.254.169.254", "169.254.0.0/16"),
    ("http://[fd00:ec2::254]", "fd00:ec2::254", "fd00:ec2::254/128"),
    ("https://100.100.100.200/", "100.100.100.200", "100.100.100.200/32"),
    ("http://[fe80::1]:5000", "fe80::1", "fe80::/10"),
])
def test_it_blocks_denied_addresses_without_connecting(url, address, network, dialled, socket_connects):
    verdict = check(url, "ci", "pw-blocked")

    assert verdict.category == "blocked"
    step = failed_step(verdict)
    assert step.name == "Address policy"
    assert f"{address} is in ENDPOINT_DENY_NETWORKS ({network}, a server setting)" in verdict.summary
    assert f"remove {network} from ENDPOINT_DENY_NETWORKS" in step.hint
    assert dialled == [] and socket_connects == []


@pytest.mark.parametrize("answer", ["169.254.169.254", "::ffff:169.254.169.254", "fd00:ec2::254"])
def test_it_blocks_a_host_name_that_resolves_to_a_metadata_address(answer, fake_dns, dialled,
                                                                    socket_connects):
    fake_dns({"metadata.example.test": [answer]})

    verdict = check("http://metadata.example.test", "ci", "pw-blocked")

    assert verdict.category == "blocked"
    assert step_named(verdict, "DNS").detail.startswith("metadata.example.test → ")
    step = failed_step(verdict)
    assert step.name == "Address policy"
    assert "metadata.example.test resolves to" in verdict.summary
    assert "no connection was made" in verdict.summary
    assert dialled == [] and socket_connects == []


def test_it_blocks_a_name_with_any_denied_answer(fake_dns, dialled):
    fake_dns({"mixed.example.test": ["127.0.0.1", "169.254.169.254"]})

    verdict = check("http://mixed.example.test")

    assert verdict.category == "blocked"
    assert dialled == []


def test_a_denied_name_makes_no_connection_over_the_wire(serve_raw, fake_dns, settings):
    server = serve_raw(black_hole)
    settings.ENDPOINT_DENY_NETWORKS = ["127.0.0.0/8"]
    fake_dns({"local.example.test": ["127.0.0.1"]})

    verdict = check(f"http://local.example.test:{server.port}")

    assert verdict.category == "blocked"
    assert not wait_until(lambda: server.accepted > 0, timeout=0.2)


@pytest.mark.django_db
@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data",
    "http://[::ffff:169.254.169.254]",
    "https://[fd00:ec2::254]",
    "http://metadata.example.test",
])
def test_the_test_connection_button_and_check_now_are_blocked(url, owner_client, make_registry, fake_dns,
                                                              socket_connects):
    """The pages, not just the engine: the form's button (unsaved values) and Check now on
    a saved endpoint (e.g. one created through the admin or a fixture)."""
    fake_dns({"metadata.example.test": ["169.254.169.254"]})
    tested = owner_client.post("/registries/test/", registry_form(
        url=url, access_id="ci", access_secret="pw-blocked", action="test",
    ), HTTP_ACCEPT="application/json").json()
    saved = make_registry(name="meta", url=url, access_id="ci", secret="pw-blocked")
    checked = owner_client.post(f"/registries/{saved.pk}/check/", HTTP_ACCEPT="application/json").json()

    for answer in (tested, checked):
        assert (answer["ok"], answer["category"]) == (False, "blocked"), answer
        assert "ENDPOINT_DENY_NETWORKS" in answer["summary"]
    assert not {address for address, _port in socket_connects} & METADATA
    assert socket_connects == []
