"""State changes become events, once: Healthy → Unhealthy after HEALTH_ALERT_AFTER
consecutive failures (one blip pages nobody), Unhealthy → Healthy at the first good check,
and each warning threshold (30/7/1 days, a pull budget under 10 %) once. Checks run for real
against local servers; one round is what the monitor does at each endpoint's slot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from endpoints.models import Registry
from endpoints.probe.result import Verdict
from monitor.models import AlertState, Event
from monitor.runner import check_and_alert
from tests.fixtures.docker_hub_emulator import HOSTS, DockerHubEmulator

pytestmark = pytest.mark.django_db

REGISTRY_HEADERS = {"Docker-Distribution-API-Version": "registry/2.0", "Content-Type": "application/json"}


@pytest.fixture
def switchable(serve_http):
    """A registry that answers /v2/ while `up` is true, else 503."""
    server = serve_http(lambda request: request.reply(200, "{}", REGISTRY_HEADERS) if server.state["up"]
                        else request.reply(503, "down for maintenance"))
    server.state["up"] = True
    return server


def kinds(events) -> list[str]:
    return [event.kind for event in events]


def test_one_failure_pages_nobody_two_do_and_only_once(make_registry, switchable):
    registry = make_registry(name="mirror", url=switchable.url)
    assert check_and_alert([registry]) == []  # healthy from the start: nothing to say

    switchable.state["up"] = False
    assert check_and_alert([registry]) == []  # one blip
    assert Registry.objects.get(pk=registry.pk).status == "unhealthy"  # stored as today
    (event,) = check_and_alert([registry])
    assert check_and_alert([registry]) == []  # still down: said already

    assert (event.kind, event.old_state, event.new_state) == ("unhealthy", "healthy", "unhealthy")
    assert event.registry == registry and event.registry_name == "mirror"
    assert event.category == "http" and event.category_label == "HTTP error"
    assert "503" in event.summary
    assert event.title == "mirror is Unhealthy (HTTP error)"
    assert AlertState.objects.get(registry=registry).consecutive_failures == 3


def test_the_first_good_check_says_it_recovered(make_registry, switchable):
    registry = make_registry(name="mirror", url=switchable.url)
    switchable.state["up"] = False
    check_and_alert([registry])
    check_and_alert([registry])

    switchable.state["up"] = True
    (event,) = check_and_alert([registry])

    assert (event.kind, event.old_state, event.new_state) == ("recovered", "unhealthy", "healthy")
    assert event.category == "ok" and event.title == "mirror is Healthy again"
    assert check_and_alert([registry]) == []


def test_flapping_is_suppressed(make_registry, switchable):
    registry = make_registry(name="flaky", url=switchable.url)
    events = []
    for round_number in range(8):
        switchable.state["up"] = round_number % 2 == 0
        events += check_and_alert([registry])

    assert events == []
    assert Event.objects.count() == 0


def test_an_endpoint_broken_from_the_start_is_announced_from_unknown(make_registry, serve_raw):
    registry = make_registry(name="gone", url="http://127.0.0.1:9")
    check_and_alert([registry])

    (event,) = check_and_alert([registry])

    assert (event.old_state, event.new_state, event.category) == ("unknown", "unhealthy", "connect")


def test_the_status_stored_before_the_monitor_is_where_it_starts(make_registry, switchable):
    """Saved Healthy (the save-time test), stopped before the monitor's first check: the
    alert says Healthy → Unhealthy. Saved anyway as Unhealthy: no alert while it stays so."""
    saved_healthy = make_registry(name="saved-healthy", url=switchable.url)
    saved_healthy.record_verdict(Verdict(True, "ok", "fine"))
    saved_unhealthy = make_registry(name="saved-unhealthy", url="http://127.0.0.1:9")
    saved_unhealthy.record_verdict(Verdict(False, "connect", "refused"))
    switchable.state["up"] = False

    check_and_alert([saved_healthy, saved_unhealthy])
    (event,) = check_and_alert([saved_healthy, saved_unhealthy])

    assert event.registry_name == "saved-healthy"
    assert (event.old_state, event.new_state) == ("healthy", "unhealthy")


def test_alert_after_one_failure_when_configured(make_registry, switchable, settings):
    settings.HEALTH_ALERT_AFTER = 1
    registry = make_registry(name="mirror", url=switchable.url)
    check_and_alert([registry])
    switchable.state["up"] = False

    assert kinds(check_and_alert([registry])) == ["unhealthy"]


# --- warnings ---


def test_a_certificate_expiring_in_5_days_is_announced_once(make_registry, registry_tls_5_days):
    server = registry_tls_5_days
    registry = make_registry(name="tls", url=server.url, ca_certificate=server.ca_pem)

    (event,) = check_and_alert([registry])
    assert check_and_alert([registry]) == []

    assert event.kind == "warning" and event.category == "certificate"
    assert event.category_label == "Certificate expiry"
    assert event.old_state == event.new_state == "healthy"
    assert f"expires on {server.not_after:%Y-%m-%d} (in 5 days)" in event.summary
    # 30 and 7 days were both crossed: one alert, for the nearer threshold.
    assert AlertState.objects.get(registry=registry).warnings_sent == {
        f"certificate:{server.not_after:%Y-%m-%d}": 7}


def test_each_threshold_of_a_credential_date_is_announced_once(make_registry, registry_open):
    today = datetime.now(UTC).date()
    registry = make_registry(name="open", url=registry_open.url, credential_expires_on=today + timedelta(20))
    assert kinds(check_and_alert([registry])) == ["warning"]  # 30 days
    assert check_and_alert([registry]) == []

    Registry.objects.filter(pk=registry.pk).update(credential_expires_on=today + timedelta(7))
    registry.refresh_from_db()
    (seven,) = check_and_alert([registry])
    assert "(in 7 days)" in seven.summary and seven.category_label == "Credential expiry"

    Registry.objects.filter(pk=registry.pk).update(credential_expires_on=today + timedelta(1))
    registry.refresh_from_db()
    (one,) = check_and_alert([registry])
    assert "(in 1 day)" in one.summary
    assert check_and_alert([registry]) == []


def test_a_renewed_credential_starts_over(make_registry, registry_open):
    today = datetime.now(UTC).date()
    registry = make_registry(name="open", url=registry_open.url, credential_expires_on=today + timedelta(5))
    check_and_alert([registry])

    Registry.objects.filter(pk=registry.pk).update(credential_expires_on=today + timedelta(25))
    registry.refresh_from_db()

    (event,) = check_and_alert([registry])
    assert f"expires on {today + timedelta(25)}" in event.summary
    assert list(AlertState.objects.get(registry=registry).warnings_sent) == [
        f"credential:{today + timedelta(25)}"]


def test_a_low_pull_budget_is_announced_once_until_it_recovers(make_registry, emulate):
    hub = DockerHubEmulator(pulls_remaining=5)
    hub.server = emulate(HOSTS, hub)
    registry = make_registry(name="hub", provider="docker-hub", url="https://hub.docker.com",
                             access_id="jack", secret=hub.password, ca_certificate=hub.server.ca_pem)

    (event,) = check_and_alert([registry])
    assert check_and_alert([registry]) == []
    assert event.category == "pull_budget" and event.summary == "Pulls left: 5 of 100 per 6 h (under 10 %)."

    hub.pulls_remaining = 60
    assert check_and_alert([registry]) == []
    hub.pulls_remaining = 3
    assert kinds(check_and_alert([registry])) == ["warning"]


def test_events_outlive_their_endpoint(make_registry, switchable):
    today = datetime.now(UTC).date()
    registry = make_registry(name="mirror", url=switchable.url, credential_expires_on=today)
    (event,) = check_and_alert([registry])

    registry.delete()

    event.refresh_from_db()
    assert event.registry is None and event.registry_name == "mirror"
