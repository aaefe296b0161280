"""S5: a stored token with any one byte flipped, and a plaintext value written straight
into the column, are both refused as undecryptable: by the secrets module, by Check now
(nothing is sent), and by `rotate_secret_keys --verify`. Harbor's AES-CFB accepts both."""

import base64
import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError

from endpoints import secrets
from endpoints.models import Registry
from tests.security.conftest import key_entry, use_keys

PLAINTEXT = "canary-S5-Pa55w0rd!"


def flip_token_byte(envelope: str, position: int) -> str:
    version, key_id, token = envelope.split(":", 2)
    raw = bytearray(base64.urlsafe_b64decode(token))
    raw[position] ^= 0x01
    return f"{version}:{key_id}:{base64.urlsafe_b64encode(bytes(raw)).decode()}"


def test_every_single_flipped_byte_is_refused():
    """Fernet layout: version(1) timestamp(8) IV(16) ciphertext(16+) HMAC(32), all covered."""
    envelope = secrets.encrypt(PLAINTEXT)
    length = len(base64.urlsafe_b64decode(envelope.split(":", 2)[2]))
    accepted = []
    for position in range(length):
        try:
            secrets.decrypt(flip_token_byte(envelope, position))
        except secrets.SecretDecryptionError:
            continue
        accepted.append(position)

    assert length > 80
    assert accepted == []


@pytest.mark.parametrize(
    "value",
    [
        PLAINTEXT,  # plaintext written straight into the column
        "",
        "v1:test1",
        "v1::",
        "test1:" + Fernet.generate_key().decode(),
    ],
    ids=["plaintext", "empty", "no-token", "empty-parts", "no-version"],
)
def test_a_value_without_the_envelope_is_refused(value):
    with pytest.raises(secrets.SecretDecryptionError):
        secrets.decrypt(value)


def test_an_unknown_envelope_version_or_a_bare_token_is_refused():
    _, key_id, token = secrets.encrypt(PLAINTEXT).split(":", 2)

    with pytest.raises(secrets.SecretDecryptionError):
        secrets.decrypt(f"v2:{key_id}:{token}")
    with pytest.raises(secrets.SecretDecryptionError):
        secrets.decrypt(token)


def test_a_token_relabelled_with_another_configured_key_id_is_refused(settings):
    old, new = key_entry("old"), key_entry("new")
    use_keys(settings, new, old)
    _, _, token = secrets.encrypt(PLAINTEXT).split(":", 2)  # written under "new"

    with pytest.raises(secrets.SecretDecryptionError):
        secrets.decrypt(f"v1:old:{token}")


def test_an_ephemeral_form_token_is_not_a_stored_secret():
    """The form's re-render token uses its own envelope and cannot stand in for a stored one."""
    with pytest.raises(secrets.SecretDecryptionError):
        secrets.decrypt(secrets.encrypt_ephemeral(PLAINTEXT))


@pytest.mark.django_db
@pytest.mark.parametrize("tamper", ["flipped-byte", "plaintext"])
def test_check_now_refuses_a_tampered_row_and_sends_nothing(tamper, owner_client, make_registry,
                                                            recording_registry):
    recording_registry.password = PLAINTEXT
    registry = make_registry(name="tampered", url=recording_registry.url, access_id="ci",
                             secret=PLAINTEXT)
    value = (flip_token_byte(registry.access_secret_encrypted, 40) if tamper == "flipped-byte"
             else PLAINTEXT)
    Registry.objects.filter(pk=registry.pk).update(access_secret_encrypted=value)

    answer = owner_client.post(f"/registries/{registry.pk}/check/", HTTP_ACCEPT="application/json")
    edit = owner_client.get(f"/registries/{registry.pk}/edit/")
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError):
        call_command("rotate_secret_keys", "--verify", stdout=out, stderr=err)

    assert answer.status_code == 200 and edit.status_code == 200
    assert answer.json()["summary"] == secrets.UNDECRYPTABLE_MESSAGE
    assert secrets.UNDECRYPTABLE_MESSAGE in edit.content.decode()
    assert recording_registry.requests == []
    assert out.getvalue().strip().endswith("verified=0 failed=1")
    assert f"id={registry.pk}" in err.getvalue() and PLAINTEXT not in err.getvalue()
    assert Registry.objects.get(pk=registry.pk).access_secret_encrypted == value  # not "repaired"
