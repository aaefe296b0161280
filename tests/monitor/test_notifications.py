"""Alerts reach the configured channels: a webhook (JSON POST, HMAC-SHA256 signature with
the channel's own secret, through the outbound seam and its address policy, retried with
backoff, every attempt logged) and e-mail (Django's mail framework). Over real sockets:
a local webhook receiver and a registry-like server switched off by the test."""

from __future__ import annotations

import json
import logging
import time

import pytest
from django.core import mail

from endpoints.models import Registry
from monitor import notify
from monitor.forms import ChannelForm
from monitor.models import Delivery, Event, NotificationChannel
from monitor.runner import check_and_alert
from tests.fixtures.local_servers import REGISTRY_HEADERS
from tests.fixtures.webhook_receiver import signature_is_valid

pytestmark = pytest.mark.django_db

HOOK_SECRET = "whsec-Canary-7c1e0b9d4f2a8e63"


@pytest.fixture
def switchable(serve_http):
    server = serve_http(lambda request: request.reply(200, "{}", REGISTRY_HEADERS) if server.state["up"]
                        else request.reply(503, "down"))
    server.state["up"] = True
    return server


def webhook(url: str, *, name: str = "ops", slack: bool = False, secret: str = HOOK_SECRET,
            enabled: bool = True) -> NotificationChannel:
    channel = NotificationChannel(name=name, kind="webhook", url=url, slack_format=slack, enabled=enabled)
    channel.set_secret(secret)
    channel.save()
    return channel


def make_unhealthy(make_registry, switchable, name: str = "mirror", **extra) -> Registry:
    registry = make_registry(name=name, url=switchable.url, **extra)
    check_and_alert([registry])
    switchable.state["up"] = False
    check_and_alert([registry])
    check_and_alert([registry])
    return registry


def test_a_webhook_gets_one_signed_alert_not_one_per_check(make_registry, switchable, receiver, settings):
    settings.SITE_URL = "https://harborreg.example.com"
    channel = webhook(receiver.url)
    registry = make_unhealthy(make_registry, switchable)
    check_and_alert([registry])  # a fourth failed check: nothing new to say

    assert notify.deliver_due() == 1
    assert notify.deliver_due() == 0

    (post,) = receiver.received
    assert post.path == "/hooks/harborreg"
    assert post.headers["content-type"] == "application/json"
    assert post.headers["x-harborreg-event"] == "unhealthy"
    assert signature_is_valid(post, HOOK_SECRET)
    assert not signature_is_valid(post, "another-secret-of-someone-else")
    body = post.json()
    assert body["event"] == "unhealthy"
    assert body["endpoint"] == {"id": registry.pk, "name": "mirror", "url": switchable.url,
                                "provider": "docker-registry"}
    assert (body["old_state"], body["new_state"]) == ("healthy", "unhealthy")
    assert (body["category"], body["category_label"]) == ("http", "HTTP error")
    assert "503" in body["summary"]
    assert body["link"] == f"https://harborreg.example.com/registries/{registry.pk}/"
    assert body["at"].endswith("+00:00")
    delivery = Delivery.objects.get()
    assert post.headers["x-harborreg-delivery"] == str(delivery.pk)
    assert (delivery.channel, delivery.status, delivery.attempts) == (channel, "delivered", 1)
    assert delivery.outcome.startswith("HTTP 204")
    assert HOOK_SECRET not in post.body.decode() and HOOK_SECRET not in json.dumps(post.headers)


def test_a_slack_compatible_body_is_signed_too(make_registry, switchable, receiver, settings):
    settings.SITE_URL = "http://127.0.0.1:8000"
    webhook(receiver.url, slack=True)
    registry = make_unhealthy(make_registry, switchable)

    notify.deliver_due()

    (post,) = receiver.received
    assert list(post.json()) == ["text"]
    text = post.json()["text"]
    assert text.startswith("harborreg: mirror is Unhealthy (HTTP error): ")
    assert f"http://127.0.0.1:8000/registries/{registry.pk}/" in text
    assert signature_is_valid(post, HOOK_SECRET)


def test_a_failed_delivery_is_retried_with_backoff_and_logged(make_registry, switchable, receiver, settings):
    settings.HEALTH_NOTIFY_RETRY_SECONDS = [0.2, 0.4]
    receiver.statuses = [500, 503]
    webhook(receiver.url)
    make_unhealthy(make_registry, switchable)

    notify.deliver_due()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert delivery.outcome.startswith("HTTP 500")
    assert notify.deliver_due() == 0  # not before its time

    for _ in range(20):
        time.sleep(0.1)
        notify.deliver_due()
    delivery.refresh_from_db()

    assert (delivery.status, delivery.attempts) == ("delivered", 3)
    outcomes = [entry["outcome"].split(" in ")[0] for entry in delivery.log]
    assert outcomes == ["HTTP 500", "HTTP 503", "HTTP 204"]
    assert len({post.headers["x-harborreg-delivery"] for post in receiver.received}) == 1
    assert all(signature_is_valid(post, HOOK_SECRET) for post in receiver.received)


def test_it_gives_up_after_the_last_retry(make_registry, switchable, receiver, settings):
    settings.HEALTH_NOTIFY_RETRY_SECONDS = [0.1]
    receiver.statuses = [500, 500, 500]
    webhook(receiver.url)
    make_unhealthy(make_registry, switchable)

    for _ in range(10):
        notify.deliver_due()
        time.sleep(0.05)

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 2)
    assert len(receiver.received) == 2


def test_a_disabled_channel_gets_nothing(make_registry, switchable, receiver):
    webhook(receiver.url, enabled=False)
    make_unhealthy(make_registry, switchable)

    assert notify.deliver_due() == 0 and receiver.received == []


# --- the outbound policy ---


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/hook",
                                 "http://[::ffff:169.254.169.254]/hook", "http://100.100.100.200/hook"])
def test_a_metadata_address_is_refused_when_the_channel_is_saved(url):
    form = ChannelForm(data={"name": "evil", "kind": "webhook", "enabled": "on", "url": url,
                             "secret": HOOK_SECRET})

    assert not form.is_valid()
    assert "ENDPOINT_DENY_NETWORKS" in " ".join(form.errors["url"])


def test_a_metadata_address_is_refused_when_sending_and_not_retried(make_registry, switchable, dialled):
    webhook("http://169.254.169.254/latest/meta-data/")  # saved around the form
    make_unhealthy(make_registry, switchable)
    dialled.clear()

    notify.deliver_due()

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert "blocked" in delivery.outcome and "ENDPOINT_DENY_NETWORKS" in delivery.outcome
    assert "169.254.169.254" not in dialled


def test_a_webhook_url_must_be_http_without_credentials():
    for url, message in [("ftp://hooks.example.com/x", "http or https"),
                         ("https://user:pw@hooks.example.com/x", "user name or password")]:
        form = ChannelForm(data={"name": "x", "kind": "webhook", "url": url, "secret": HOOK_SECRET})
        assert not form.is_valid() and message in " ".join(form.errors["url"]), form.errors


# --- e-mail ---


def test_an_email_alert_goes_through_djangos_mail_framework(make_registry, switchable, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DEFAULT_FROM_EMAIL = "harborreg@example.com"
    settings.SITE_URL = "https://harborreg.example.com"
    NotificationChannel.objects.create(name="ops mail", kind="email",
                                       recipients="ops@example.com,\noncall@example.com")
    registry = make_unhealthy(make_registry, switchable)

    assert notify.deliver_due() == 1

    (message,) = mail.outbox
    assert message.subject == "harborreg: mirror is Unhealthy (HTTP error)"
    assert message.to == ["ops@example.com", "oncall@example.com"]
    assert message.from_email == "harborreg@example.com"
    assert "Healthy → Unhealthy" in message.body and "503" in message.body
    assert f"https://harborreg.example.com/registries/{registry.pk}/" in message.body
    assert Delivery.objects.get().status == "delivered"


# --- secrets ---


def test_no_secret_ever_appears_in_an_alert_or_the_log(make_registry, registry_basic, receiver, settings,
                                                       caplog):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    canary = "Canary-Access-Secret-5b8f31"
    webhook(receiver.url)
    NotificationChannel.objects.create(name="mail", kind="email", recipients="ops@example.com")
    registry = make_registry(name="basic", url=registry_basic.url, access_id="ci", secret=canary)

    with caplog.at_level(logging.DEBUG):
        check_and_alert([registry])
        events = check_and_alert([registry])
        notify.deliver_due()

    assert [event.category for event in events] == ["auth"]
    seen = [post.body.decode() + json.dumps(post.headers) for post in receiver.received]
    seen += [message.subject + message.body for message in mail.outbox]
    seen += [record.getMessage() for record in caplog.records]
    seen += [json.dumps(list(Delivery.objects.values("outcome", "log"))),
             json.dumps(list(Event.objects.values()), default=str)]
    assert len(receiver.received) == 1 and len(mail.outbox) == 1
    for text in seen:
        assert canary not in text and HOOK_SECRET not in text


# --- test notifications ---


def test_send_test_notification_signs_and_logs_it(receiver):
    channel = webhook(receiver.url)

    outcome = notify.send_test(channel)

    assert outcome.ok and outcome.detail.startswith("HTTP 204")
    (post,) = receiver.received
    assert post.json()["event"] == "test" and signature_is_valid(post, HOOK_SECRET)
    delivery = Delivery.objects.get()
    assert delivery.status == "delivered" and delivery.event.kind == "test"
