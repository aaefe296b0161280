"""Notification channels are managed by administrators in the admin: a write-only signing
secret (encrypted like access secrets, never shown again), the address policy said when a
webhook is saved, a "Send test notification" button and action, the delivery log. The
"Credential expires on" date of an endpoint is set there too."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from django.test import Client

from endpoints.models import Registry
from monitor.models import Delivery, NotificationChannel
from tests.fixtures.webhook_receiver import signature_is_valid

pytestmark = pytest.mark.django_db

SECRET = "whsec-Admin-Canary-93d1f07e5b"
ADD = "/admin/monitor/notificationchannel/add/"


def add_webhook(client: Client, url: str, **extra):
    data = {"name": "ops", "kind": "webhook", "enabled": "on", "url": url, "secret": SECRET, "recipients": ""}
    return client.post(ADD, {**data, **extra})


def test_a_webhook_is_added_with_its_secret_encrypted_and_never_shown(superuser_client, receiver, capsys):
    response = add_webhook(superuser_client, receiver.url)
    assert response.status_code == 302, response.content.decode()[:2000]

    channel = NotificationChannel.objects.get()
    assert channel.secret_encrypted.startswith("v1:") and SECRET not in channel.secret_encrypted
    assert channel.decrypt_secret() == SECRET
    page = superuser_client.get(f"/admin/monitor/notificationchannel/{channel.pk}/change/").content.decode()
    assert "A secret is stored" in page and SECRET not in page
    assert SECRET not in json.dumps(list(LogEntry.objects.values("change_message", "object_repr")))
    call_command("dumpdata", "monitor", stdout=None)
    assert SECRET not in capsys.readouterr().out


def test_a_blank_secret_keeps_the_stored_one(superuser_client, receiver):
    add_webhook(superuser_client, receiver.url)
    channel = NotificationChannel.objects.get()
    stored = channel.secret_encrypted

    superuser_client.post(f"/admin/monitor/notificationchannel/{channel.pk}/change/",
               {"name": "ops", "kind": "webhook", "enabled": "on", "url": receiver.url, "secret": "",
                "recipients": ""})

    channel.refresh_from_db()
    assert channel.secret_encrypted == stored


def test_a_metadata_address_is_refused_when_saved_with_the_reason(superuser_client):
    response = add_webhook(superuser_client, "http://169.254.169.254/latest/meta-data/")

    assert response.status_code == 200
    assert "ENDPOINT_DENY_NETWORKS" in response.content.decode()
    assert not NotificationChannel.objects.exists()


def test_the_send_test_notification_button_sends_a_signed_test(superuser_client, receiver):
    add_webhook(superuser_client, receiver.url)
    channel = NotificationChannel.objects.get()
    page = superuser_client.get(f"/admin/monitor/notificationchannel/{channel.pk}/change/").content.decode()
    assert "Send test notification" in page

    response = superuser_client.post(f"/admin/monitor/notificationchannel/{channel.pk}/test/", follow=True)

    (post,) = receiver.received
    assert post.json()["event"] == "test" and signature_is_valid(post, SECRET)
    assert "Test notification sent to “ops”: HTTP 204" in response.content.decode()
    log = superuser_client.get(f"/admin/monitor/notificationchannel/{channel.pk}/change/").content.decode()
    assert "Test notification" in log and "HTTP 204" in log  # the delivery log


def test_a_failed_test_notification_says_why(superuser_client, receiver):
    add_webhook(superuser_client, receiver.url)
    receiver.statuses = [404]
    channel = NotificationChannel.objects.get()

    response = superuser_client.post(f"/admin/monitor/notificationchannel/{channel.pk}/test/", follow=True)

    assert "Test notification to “ops” failed: HTTP 404" in response.content.decode()
    assert Delivery.objects.get().status == "failed"


def test_the_action_sends_a_test_to_each_selected_channel(superuser_client, receiver, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    add_webhook(superuser_client, receiver.url)
    NotificationChannel.objects.create(name="mail", kind="email", recipients="ops@example.com")

    response = superuser_client.post("/admin/monitor/notificationchannel/", {
        "action": "send_test_notification",
        "_selected_action": list(NotificationChannel.objects.values_list("pk", flat=True))}, follow=True)

    html = response.content.decode()
    assert "Test notification sent to “ops”" in html and "Test notification sent to “mail”" in html
    assert len(receiver.received) == 1


def test_the_button_is_post_only_with_csrf_and_needs_the_change_permission(admin_user, receiver):
    channel = NotificationChannel(name="ops", kind="webhook", url=receiver.url)
    channel.set_secret(SECRET)
    channel.save()
    url = f"/admin/monitor/notificationchannel/{channel.pk}/test/"
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(admin_user)
    assert strict.get(url).status_code == 405
    assert strict.post(url).status_code == 403
    viewer = User.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename="view_notificationchannel"))
    client = Client()
    client.force_login(viewer)
    assert client.post(url).status_code == 403
    assert receiver.received == []


# --- the endpoint's "Credential expires on" ---


def test_the_credential_date_is_set_in_the_registry_admin(superuser_client, make_registry):
    registry = make_registry(name="mirror", url="http://127.0.0.1:9")
    page = superuser_client.get(f"/admin/endpoints/registry/{registry.pk}/change/").content.decode()
    assert "Credential expires on" in page

    superuser_client.post(f"/admin/endpoints/registry/{registry.pk}/change/", {
        "provider": "docker-registry", "name": "mirror", "description": "", "url": "http://127.0.0.1:9",
        "access_id": "", "access_secret": "", "verify_remote_cert": "on", "ca_certificate": "",
        "credential_expires_on": "2031-03-01"})

    assert Registry.objects.get(pk=registry.pk).credential_expires_on == date(2031, 3, 1)
