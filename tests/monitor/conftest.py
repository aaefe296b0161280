"""Fixtures of the monitor's tests: a real docker-registry whose certificate expires in 5
days, and the clock-free helpers the tests share."""

from __future__ import annotations

import datetime as dt

import pytest
import trustme

from tests.fixtures.registry_servers import RegistryFleet, RegistryServer, _ca_pem, _issue


@pytest.fixture(scope="session")
def registry_tls_5_days(registry_fleet: RegistryFleet, registry_ca: trustme.CA) -> RegistryServer:
    """HTTPS (a trustme certificate for 127.0.0.1 that expires in 5 days and 1 hour), no
    authentication. `.not_after` is the certificate's expiry."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    not_after = now + dt.timedelta(days=5, hours=1)
    pair = _issue(registry_ca, registry_fleet.root / "five-days-cert", "127.0.0.1",
                  not_before=now - dt.timedelta(days=60), not_after=not_after)
    server = RegistryServer(registry_fleet.start("tls-5-days", tls=pair), ca_pem=_ca_pem(registry_ca))
    server.not_after = not_after  # type: ignore[attr-defined]
    return server


@pytest.fixture
def receiver():
    from tests.fixtures.webhook_receiver import WebhookReceiver

    server = WebhookReceiver().start()
    yield server
    server.stop()
