"""A webhook's signing secret is encrypted like access secrets, so rotate_secret_keys moves
it to the new primary key too, and --verify proves it decrypts (SPEC §6, SECURITY S3)."""

from __future__ import annotations

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError

from endpoints import secrets
from monitor.models import NotificationChannel

pytestmark = pytest.mark.django_db

K1 = f"k1={Fernet.generate_key().decode()}"
K2 = f"k2={Fernet.generate_key().decode()}"
HOOK_SECRET = "whsec-Rotate-Canary-5f0c2d9e"


def use_keys(settings, *entries: str) -> None:
    settings.REGISTRY_SECRET_KEYS = list(entries)
    settings.REGISTRY_SECRET_KEYS_FILE = ""
    secrets.reset_key_cache()


def run(*args: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("rotate_secret_keys", *args, stdout=out, stderr=err)
    return out.getvalue().strip().splitlines()[-1] + err.getvalue()


@pytest.fixture
def channel_and_endpoint_under_k1(settings, make_registry) -> NotificationChannel:
    use_keys(settings, K1)
    make_registry(name="mirror", secret="access-Secret-under-k1")
    channel = NotificationChannel(name="ops", kind="webhook", url="https://hooks.example.com/x")
    channel.set_secret(HOOK_SECRET)
    channel.save()
    return channel


def test_the_webhook_secret_is_rotated_with_the_access_secrets(settings, channel_and_endpoint_under_k1):
    use_keys(settings, K2, K1)

    assert run() == "rotated=2 skipped=0 failed=0"
    assert run() == "rotated=0 skipped=2 failed=0"

    channel = NotificationChannel.objects.get()
    assert channel.secret_encrypted.startswith("v1:k2:")
    use_keys(settings, K2)  # the old key removed
    assert run("--verify") == "verified=2 failed=0"
    assert channel.decrypt_secret() == HOOK_SECRET


def test_an_undecryptable_webhook_secret_is_named_never_shown(settings, channel_and_endpoint_under_k1):
    use_keys(settings, K2)  # k1 lost
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError):
        call_command("rotate_secret_keys", "--verify", stdout=out, stderr=err)

    assert out.getvalue().strip().endswith("verified=0 failed=2")
    assert "notification channel id=" in err.getvalue() and "name='ops'" in err.getvalue()
    assert HOOK_SECRET not in out.getvalue() + err.getvalue()
