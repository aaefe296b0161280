"""Secrets at rest (SPEC §6): envelope, keys, key files, fail-closed decryption. The
SECURITY checks on missing, wrong and tampered keys are tests/security/test_s04_*, test_s05_*."""

import stat

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from endpoints import secrets
from endpoints.checks import raise_on_startup_errors

PLAINTEXT = "canary-secrets-Pa55w0rd!"


def use_keys(settings, *entries: str) -> None:
    settings.REGISTRY_SECRET_KEYS = list(entries)
    settings.REGISTRY_SECRET_KEYS_FILE = ""
    secrets.reset_key_cache()


def key_entry(key_id: str) -> str:
    return f"{key_id}={Fernet.generate_key().decode()}"


def test_it_round_trips_through_the_envelope():
    envelope = secrets.encrypt(PLAINTEXT)

    assert envelope.startswith("v1:test1:")
    assert PLAINTEXT not in envelope
    assert secrets.decrypt(envelope) == PLAINTEXT
    assert secrets.encrypt(PLAINTEXT) != envelope  # a fresh IV every time


def test_it_encrypts_with_the_first_key_and_decrypts_with_any(settings):
    old, new = key_entry("old"), key_entry("new")
    use_keys(settings, old)
    under_old = secrets.encrypt(PLAINTEXT)
    use_keys(settings, new, old)

    assert secrets.encrypt(PLAINTEXT).startswith("v1:new:")
    assert secrets.decrypt(under_old) == PLAINTEXT
    assert secrets.needs_rotation(under_old)
    rotated = secrets.rotate(under_old)
    assert rotated.startswith("v1:new:")
    assert not secrets.needs_rotation(rotated)
    assert secrets.decrypt(rotated) == PLAINTEXT


def test_it_refuses_an_unknown_key_id(settings):
    envelope = secrets.encrypt(PLAINTEXT)
    use_keys(settings, key_entry("other"))

    with pytest.raises(secrets.SecretDecryptionError) as excinfo:
        secrets.decrypt(envelope)
    assert "test1" in str(excinfo.value)
    assert PLAINTEXT not in str(excinfo.value)


def test_it_refuses_the_same_key_id_with_a_different_key(settings):
    envelope = secrets.encrypt(PLAINTEXT)
    use_keys(settings, key_entry("test1"))

    with pytest.raises(secrets.SecretDecryptionError):
        secrets.decrypt(envelope)


# Fernet token layout: version(1) timestamp(8) IV(16) ciphertext(16+) HMAC(32)
@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        (["bad id!=MATERIAL-not-a-fernet-key-0123456789"], "Secret key entry 1 must look like"),
        (["no-separator-MATERIAL-0123456789"], "Secret key entry 1 must look like"),
        (["k1=MATERIAL-not-a-fernet-key-0123456789"], "Secret key 'k1' is not a valid Fernet key"),
        (["k1=" + Fernet.generate_key().decode(), "k1=MATERIAL"], "'k1' is configured twice"),
    ],
    ids=["bad-id", "no-separator", "bad-key", "duplicate-id"],
)
def test_it_reports_key_parsing_errors_without_the_key_material(entries, expected):
    with pytest.raises(secrets.SecretKeyConfigError) as excinfo:
        secrets.parse_key_list(entries)

    message = str(excinfo.value)
    assert expected in message
    assert "MATERIAL" not in message
    for entry in entries:
        material = entry.partition("=")[2] or entry
        assert material not in message


def test_it_does_not_leak_a_valid_key_when_another_entry_is_wrong(settings):
    good = Fernet.generate_key().decode()
    use_keys(settings, f"k1={good}", f"k1={Fernet.generate_key().decode()}")

    with pytest.raises(secrets.SecretKeyConfigError) as excinfo:
        secrets.configured_keys()
    assert good not in str(excinfo.value)


def test_it_skips_blank_and_comment_entries():
    good = key_entry("k1")

    keys = secrets.parse_key_list(["", "# retired: k0", f"  {good}  "])

    assert [k.key_id for k in keys] == ["k1"]


def test_it_reads_keys_from_a_key_file(settings, tmp_path):
    path = tmp_path / "keys"
    path.write_text(f"{key_entry('filekey')}\n{key_entry('older')}\n")
    settings.REGISTRY_SECRET_KEYS = []
    settings.REGISTRY_SECRET_KEYS_FILE = str(path)
    secrets.reset_key_cache()

    assert [k.key_id for k in secrets.configured_keys()] == ["filekey", "older"]
    assert secrets.encrypt(PLAINTEXT).startswith("v1:filekey:")


def test_it_names_an_unreadable_key_file(settings, tmp_path):
    settings.REGISTRY_SECRET_KEYS = []
    settings.REGISTRY_SECRET_KEYS_FILE = str(tmp_path / "missing")
    secrets.reset_key_cache()

    with pytest.raises(secrets.SecretKeyConfigError, match="missing cannot be read"):
        secrets.configured_keys()


def test_it_creates_a_quick_start_key_file_with_mode_0600_in_debug(settings, tmp_path, capsys):
    path = tmp_path / "data" / "registry-secret-keys"
    settings.DEBUG = True
    settings.REGISTRY_SECRET_KEYS_QUICKSTART_FILE = path
    use_keys(settings)

    keys = secrets.configured_keys()

    assert [k.key_id for k in keys] == ["k1"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    warning = capsys.readouterr().err
    assert "WARNING" in warning and str(path) in warning
    assert path.read_text().split("=", 1)[1].strip() not in warning
    envelope = secrets.encrypt(PLAINTEXT)
    secrets.reset_key_cache()
    assert secrets.decrypt(envelope) == PLAINTEXT  # the same file is read again
    assert "WARNING" not in capsys.readouterr().err


def test_it_does_not_create_a_quick_start_file_when_keys_are_configured(settings, tmp_path):
    path = tmp_path / "registry-secret-keys"
    settings.DEBUG = True
    settings.REGISTRY_SECRET_KEYS_QUICKSTART_FILE = path
    use_keys(settings, key_entry("configured"))

    assert secrets.primary_key_id() == "configured"
    assert not path.exists()


def test_it_does_not_create_a_quick_start_file_with_debug_off(settings, tmp_path):
    path = tmp_path / "registry-secret-keys"
    settings.DEBUG = False
    settings.REGISTRY_SECRET_KEYS_QUICKSTART_FILE = path
    use_keys(settings)

    with pytest.raises(secrets.SecretKeyConfigError, match="No secret keys configured"):
        secrets.configured_keys()
    assert not path.exists()


def test_it_fails_the_system_check_on_a_malformed_key(settings):
    use_keys(settings, "k1=MATERIAL-not-a-fernet-key-0123456789")

    with pytest.raises(SystemCheckError) as excinfo:
        call_command("check")
    assert "harborreg.E001" in str(excinfo.value)
    assert "MATERIAL" not in str(excinfo.value)


def test_it_passes_the_system_check_with_keys(settings):
    use_keys(settings, key_entry("k1"))

    call_command("check")
    raise_on_startup_errors()


@pytest.mark.django_db
def test_it_reads_a_secret_only_through_an_explicit_call(make_registry):
    registry = make_registry(secret=PLAINTEXT)

    assert PLAINTEXT not in repr(registry.__dict__)
    assert PLAINTEXT not in repr(registry.connection_target())
    assert registry.connection_target().access_secret == PLAINTEXT
