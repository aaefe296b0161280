"""The pages of live health: Recent events (site-wide), the endpoint's own events and what
is about to expire on its page, the list's status JSON that its script polls, and the
banner when the monitor is not running."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from endpoints.models import HealthCheck, Registry
from endpoints.probe.result import Verdict
from monitor.lease import Lease
from monitor.models import Delivery, Event, NotificationChannel

pytestmark = pytest.mark.django_db

BANNER = "The health monitor is not running"


def event(registry, kind="unhealthy", **extra) -> Event:
    values = {"old_state": "healthy", "new_state": "unhealthy", "category": "connect",
              "category_label": "Cannot connect", "summary": "127.0.0.1:9 refused the connection."}
    values.update(extra)
    return Event.objects.create(kind=kind, registry=registry, registry_name=registry.name if registry else "",
                                **values)


# --- Recent events ---


def test_recent_events_lists_changes_and_warnings_newest_first(client, viewer, make_registry):
    registry = make_registry(name="mirror")
    event(registry, created_at=timezone.now() - timedelta(minutes=5))
    event(registry, "warning", old_state="healthy", new_state="healthy", category="certificate",
          category_label="Certificate expiry", summary="The certificate of mirror expires on 2030-01-01.")
    Event.objects.create(kind="test", summary="This is a test notification", category_label="Test")
    client.force_login(viewer)

    html = client.get("/events/").content.decode()

    assert "<h1" in html and "Recent events" in html
    assert html.index("Certificate expiry") < html.index("Healthy → Unhealthy")
    assert "mirror is Unhealthy (Cannot connect)" in html and "127.0.0.1:9 refused the connection." in html
    assert f'href="/registries/{registry.pk}/"' in html
    assert "This is a test notification" not in html


def test_recent_events_say_where_each_was_sent(client, viewer, make_registry):
    registry = make_registry(name="mirror")
    alert = event(registry)
    ops = NotificationChannel.objects.create(name="ops hook", kind="webhook", url="https://hooks.example.com/x")
    mail = NotificationChannel.objects.create(name="ops mail", kind="email", recipients="ops@example.com")
    Delivery.objects.create(event=alert, channel=ops, status="delivered", attempts=1)
    Delivery.objects.create(event=alert, channel=mail, status="failed", attempts=4)
    client.force_login(viewer)

    html = client.get("/events/").content.decode()

    assert "ops hook: delivered" in html and "ops mail: failed" in html


def test_recent_events_say_whether_the_monitor_runs(client, viewer):
    client.force_login(viewer)
    assert BANNER in client.get("/events/").content.decode()

    Lease("host-a:4242:ab12", ttl=30).hold()

    html = client.get("/events/").content.decode()
    assert BANNER not in html and "The health monitor is running on host-a:4242:ab12" in html


def test_events_need_the_view_permission(client, outsider):
    assert client.get("/events/")["Location"].startswith("/accounts/login/")
    client.force_login(outsider)
    assert client.get("/events/").status_code == 403


def test_the_menu_links_recent_events(client, viewer):
    client.force_login(viewer)
    assert 'href="/events/"' in client.get("/registries/").content.decode()


# --- the endpoint's page ---


def test_the_endpoint_page_shows_its_events_and_what_expires(client, viewer, make_registry):
    today = datetime.now(UTC).date()
    registry = make_registry(name="mirror", credential_expires_on=today + timedelta(days=12))
    not_after = (datetime.now(UTC) + timedelta(days=5, hours=2)).replace(microsecond=0)
    registry.record_verdict(Verdict(True, "ok", "fine", elapsed_ms=4, facts={
        "certificate": {"host": "registry.example.com", "not_after": not_after.isoformat()}}))
    event(registry)
    client.force_login(viewer)

    html = client.get(f"/registries/{registry.pk}/").content.decode()

    assert "Certificate expires" in html
    assert f"The certificate of registry.example.com expires on {not_after:%Y-%m-%d} (in 5 days)." in html
    assert "Credential expires" in html
    expiry = today + timedelta(days=12)
    assert f"The credential expires on {expiry} (in 12 days), as set on this endpoint." in html
    assert "Events" in html and "Healthy → Unhealthy" in html
    assert "127.0.0.1:9 refused the connection." in html


def test_the_endpoint_page_shows_the_pull_budget(client, viewer, make_registry):
    registry = make_registry(name="hub", provider="docker-hub", url="https://hub.docker.com")
    registry.record_verdict(Verdict(True, "ok", "fine", elapsed_ms=4, facts={
        "pull_budget": {"limit": 100, "remaining": 87, "window_s": 21600}}))
    client.force_login(viewer)

    assert "Pulls left: 87 of 100 per 6 h." in client.get(f"/registries/{registry.pk}/").content.decode()


# --- the list: warnings, status JSON, banner ---


def test_the_list_shows_warnings_under_the_status(client, viewer, make_registry):
    registry = make_registry(name="mirror")
    not_after = datetime.now(UTC) + timedelta(days=5, hours=2)
    registry.record_verdict(Verdict(True, "ok", "fine", elapsed_ms=4, facts={
        "certificate": {"host": "registry.example.com", "not_after": not_after.isoformat()}}))
    client.force_login(viewer)

    html = client.get("/registries/").content.decode()

    assert "Certificate expires in 5 days" in html


def test_the_status_json_has_each_asked_rows_status(client, viewer, make_registry):
    up, down = make_registry(name="up"), make_registry(name="down")
    up.record_verdict(Verdict(True, "ok", "fine", elapsed_ms=4, facts={
        "pull_budget": {"limit": 100, "remaining": 5, "window_s": 21600}}), checked_by=viewer)
    down.record_verdict(Verdict(False, "connect", "refused", elapsed_ms=4, reason="refused. Start it."),
                        checked_by=viewer)
    client.force_login(viewer)

    body = client.get(f"/registries/status/?ids={up.pk},{down.pk},999999").json()

    rows = {row["id"]: row for row in body["registries"]}
    assert set(rows) == {up.pk, down.pk}
    assert rows[up.pk]["status"] == "healthy" and rows[up.pk]["status_label"] == "Healthy"
    assert rows[up.pk]["checked_ago"] == "checked just now"
    assert rows[up.pk]["lookahead"] == [{
        "short": "Pulls left: 5 of 100 per 6 h", "text": "Pulls left: 5 of 100 per 6 h (under 10 %).",
        "warning": True}]
    assert rows[down.pk]["status"] == "unhealthy"
    assert rows[down.pk]["title"] == "Cannot connect: refused. Start it."
    assert body["monitor"]["running"] is False and BANNER in body["monitor"]["banner"]


def test_the_status_json_is_for_viewers_only_and_read_only(client, outsider, viewer, make_registry):
    registry = make_registry(name="up")
    url = f"/registries/status/?ids={registry.pk}"
    assert client.get(url)["Location"].startswith("/accounts/login/")
    client.force_login(outsider)
    assert client.get(url).status_code == 403
    client.force_login(viewer)
    assert client.post(url).status_code == 405


def test_the_status_json_answers_at_most_a_page(client, viewer, make_registry):
    registries = [make_registry(name=f"r{i}") for i in range(3)]
    client.force_login(viewer)
    ids = ",".join(str(r.pk) for r in registries) + "," + ",".join(str(i) for i in range(10**6, 10**6 + 200))

    body = client.get(f"/registries/status/?ids={ids}&ids=x,-1").json()

    assert len(body["registries"]) == 3


def scheduled_check(registry, minutes_ago: float, user=None) -> None:
    HealthCheck.objects.create(registry=registry, ok=True, category="ok", summary="fine", elapsed_ms=1,
                               checked_by=user, checked_at=timezone.now() - timedelta(minutes=minutes_ago))


def test_the_banner_shows_when_no_scheduled_check_was_stored_for_two_intervals(client, viewer, owner,
                                                                              make_registry, settings):
    settings.HEALTH_CHECK_INTERVAL = 300
    registry = make_registry(name="mirror")
    scheduled_check(registry, 1, user=owner)  # someone's Check now says nothing of the monitor
    client.force_login(viewer)
    html = client.get("/registries/").content.decode()
    assert BANNER in html and "no scheduled check has been stored yet" in html
    assert "manage.py monitor_registries" in html and "make run" in html

    scheduled_check(registry, 9)
    assert BANNER not in client.get("/registries/").content.decode()

    settings.HEALTH_CHECK_INTERVAL = 60  # two intervals: 2 minutes
    html = client.get("/registries/").content.decode()
    assert BANNER in html and "the newest scheduled check is from" in html and "9 min ago" in html


def test_a_monitor_holding_its_lease_is_running_before_its_first_check(client, viewer, make_registry,
                                                                       settings):
    settings.HEALTH_CHECK_INTERVAL = 300
    make_registry(name="mirror")  # created a moment ago: its slot has not come yet
    client.force_login(viewer)
    assert BANNER in client.get("/registries/").content.decode()

    lease = Lease("vm:1:started-just-now", ttl=30)
    assert lease.hold()
    assert BANNER not in client.get("/registries/").content.decode()
    status = client.get("/registries/status/", {"ids": Registry.objects.get().pk}).json()
    assert status["monitor"] == {"running": True, "since": "", "banner": ""}

    # Holding the lease for two intervals without a scheduled check stored: wedged.
    settings.HEALTH_CHECK_INTERVAL = 1
    time.sleep(2.1)
    assert lease.hold()  # renewed, as a wedged monitor's heartbeat would be
    assert BANNER in client.get("/registries/").content.decode()

    lease.release()
    assert BANNER in client.get("/registries/").content.decode()


def test_no_endpoints_no_banner(client, viewer):
    client.force_login(viewer)
    assert BANNER not in client.get("/registries/").content.decode()
