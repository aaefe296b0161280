"""Access secrets at rest: the one place that encrypts and decrypts them.

A stored secret is an envelope `v1:<key-id>:<Fernet token>`. Keys come from
`REGISTRY_SECRET_KEYS` (or `REGISTRY_SECRET_KEYS_FILE`) as ordered `key-id=fernet-key`
pairs: the first encrypts, every key decrypts. Decryption fails closed: an unknown key
id, a tampered token or a value without the envelope all raise SecretDecryptionError.
"""

from __future__ import annotations

import base64
import logging
import os
import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

logger = logging.getLogger(__name__)

ENVELOPE_VERSION = "v1"
KEY_ID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
UNDECRYPTABLE_MESSAGE = "The stored secret cannot be decrypted: enter it again."


class SecretKeyConfigError(Exception):
    """The configured keys are missing or malformed."""


class SecretDecryptionError(Exception):
    """A stored secret cannot be decrypted with the configured keys."""


@dataclass(frozen=True)
class SecretKey:
    key_id: str
    fernet: Fernet
    # A separate key for secrets a form carries across a re-render: a stored ciphertext
    # can never be replayed as one (and so never escape the URL-change rule).
    form_fernet: Fernet


def parse_key_list(entries: list[str]) -> list[SecretKey]:
    """Parse `key-id=fernet-key` entries, reporting which one is wrong (never its value)."""
    keys: list[SecretKey] = []
    seen: set[str] = set()
    for position, raw in enumerate(entries, start=1):
        entry = raw.strip()
        if not entry or entry.startswith("#"):
            continue
        key_id, sep, material = entry.partition("=")
        key_id = key_id.strip()
        if not sep or not KEY_ID_RE.match(key_id):
            raise SecretKeyConfigError(
                f"Secret key entry {position} must look like 'key-id=fernet-key' with a key id "
                "of letters, digits, '.', '_' or '-' (at most 32)."
            )
        if key_id in seen:
            raise SecretKeyConfigError(f"Secret key id '{key_id}' is configured twice.")
        try:
            fernet = Fernet(material.strip().encode())
            form_fernet = Fernet(_derive_form_key(material.strip().encode()))
        except (ValueError, TypeError):
            raise SecretKeyConfigError(
                f"Secret key '{key_id}' is not a valid Fernet key (32 url-safe base64-encoded "
                "bytes; make one with: python manage.py generate_secret_key)."
            ) from None
        seen.add(key_id)
        keys.append(SecretKey(key_id, fernet, form_fernet))
    return keys


def _derive_form_key(material: bytes) -> bytes:
    raw = base64.urlsafe_b64decode(material)
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                   info=b"harborreg form-pending secret").derive(raw)
    return base64.urlsafe_b64encode(derived)


def read_key_file(path: Path) -> list[str]:
    return path.read_text().replace(",", "\n").splitlines()


def new_key_entry(key_id: str) -> str:
    return f"{key_id}={Fernet.generate_key().decode()}"


def _quickstart_key_file() -> list[str]:
    """DEBUG only: create (once) a key file under data/ so the quick start just works."""
    path = Path(settings.REGISTRY_SECRET_KEYS_QUICKSTART_FILE)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(new_key_entry("k1") + "\n")
        print(
            f"WARNING: no REGISTRY_SECRET_KEYS configured; generated a quick-start key file at "
            f"{path} (mode 0600). Back it up apart from the database: without it the stored "
            "secrets cannot be decrypted.",
            file=sys.stderr,
        )
    return read_key_file(path)


@lru_cache(maxsize=1)
def configured_keys() -> tuple[SecretKey, ...]:
    """The keys from settings, primary first. Raises SecretKeyConfigError when none."""
    entries = list(settings.REGISTRY_SECRET_KEYS)
    if not entries and settings.REGISTRY_SECRET_KEYS_FILE:
        path = Path(settings.REGISTRY_SECRET_KEYS_FILE)
        try:
            entries = read_key_file(path)
        except OSError as exc:
            raise SecretKeyConfigError(
                f"REGISTRY_SECRET_KEYS_FILE {path} cannot be read ({exc.strerror})."
            ) from None
    if not entries and settings.DEBUG:
        entries = _quickstart_key_file()
    keys = parse_key_list(entries)
    if not keys:
        raise SecretKeyConfigError(
            "No secret keys configured: set REGISTRY_SECRET_KEYS or REGISTRY_SECRET_KEYS_FILE "
            "to 'key-id=fernet-key' (generate one with: python manage.py generate_secret_key). "
            "Restore the key file that belongs to this database; a new key cannot decrypt "
            "existing secrets."
        )
    return tuple(keys)


def reset_key_cache() -> None:
    configured_keys.cache_clear()


def primary_key_id() -> str:
    return configured_keys()[0].key_id


def encrypt(plaintext: str) -> str:
    primary = configured_keys()[0]
    token = primary.fernet.encrypt(plaintext.encode()).decode()
    return f"{ENVELOPE_VERSION}:{primary.key_id}:{token}"


def envelope_key_id(envelope: str) -> str | None:
    parts = envelope.split(":", 2)
    if len(parts) != 3 or parts[0] != ENVELOPE_VERSION:
        return None
    return parts[1]


def decrypt(envelope: str) -> str:
    """Decrypt a stored envelope. The only way back to plaintext; call it at the point of use."""
    key_id = envelope_key_id(envelope)
    if key_id is None:
        raise SecretDecryptionError("the stored value is not a harborreg secret envelope")
    key = next((k for k in configured_keys() if k.key_id == key_id), None)
    if key is None:
        raise SecretDecryptionError(f"the key '{key_id}' is not configured")
    try:
        return key.fernet.decrypt(envelope.split(":", 2)[2].encode()).decode()
    except (InvalidToken, UnicodeDecodeError):
        raise SecretDecryptionError(f"the token does not verify with key '{key_id}'") from None


def is_decryptable(envelope: str) -> bool:
    """Whether a configured key authenticates this envelope, without decrypting it."""
    key_id = envelope_key_id(envelope)
    key = next((k for k in configured_keys() if k.key_id == key_id), None)
    if key is None:
        return False
    try:
        key.fernet.extract_timestamp(envelope.split(":", 2)[2].encode())  # checks the HMAC
    except InvalidToken:
        return False
    return True


def needs_rotation(envelope: str) -> bool:
    return envelope_key_id(envelope) != primary_key_id()


def rotate(envelope: str) -> str:
    """Re-encrypt under the primary key (decrypting with whichever key it names)."""
    return encrypt(decrypt(envelope))


EPHEMERAL_VERSION = "e1"


def encrypt_ephemeral(plaintext: str) -> str:
    """Encrypt a secret typed into a form so a re-render can carry it without showing it.

    Uses its own envelope version, so it can never be mistaken for a stored secret.
    """
    primary = configured_keys()[0]
    token = primary.form_fernet.encrypt(plaintext.encode()).decode()
    return f"{EPHEMERAL_VERSION}:{primary.key_id}:{token}"


def decrypt_ephemeral(envelope: str, ttl: int) -> str:
    parts = envelope.split(":", 2)
    if len(parts) != 3 or parts[0] != EPHEMERAL_VERSION:
        raise SecretDecryptionError("not a form secret")
    key = next((k for k in configured_keys() if k.key_id == parts[1]), None)
    if key is None:
        raise SecretDecryptionError("unknown key")
    try:
        return key.form_fernet.decrypt(parts[2].encode(), ttl=ttl).decode()
    except (InvalidToken, UnicodeDecodeError):
        raise SecretDecryptionError("expired or tampered form secret") from None
