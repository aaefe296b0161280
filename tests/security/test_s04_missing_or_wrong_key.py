"""S4: a missing key stops the app at startup with a clear message; a wrong key is
reported as "cannot be decrypted", sends nothing, causes no 500, and never rewrites the
stored ciphertext (the `decrypt or return raw` bug would double-encrypt it)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from endpoints import secrets
from endpoints.checks import raise_on_startup_errors
from endpoints.models import Registry
from tests.forms import registry_form
from tests.security.conftest import key_entry, use_keys

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "canary-S4-wrong-key-pw"


def stored(registry: Registry) -> str:
    return Registry.objects.values_list("access_secret_encrypted", flat=True).get(pk=registry.pk)


# --- missing key ---------------------------------------------------------------------


def test_the_system_check_fails_without_keys_and_debug_off(settings, tmp_path):
    settings.DEBUG = False
    settings.REGISTRY_SECRET_KEYS_QUICKSTART_FILE = tmp_path / "registry-secret-keys"
    use_keys(settings)

    with pytest.raises(SystemCheckError) as excinfo:
        call_command("check")
    assert "harborreg.E001" in str(excinfo.value)
    assert "No secret keys configured: set REGISTRY_SECRET_KEYS" in str(excinfo.value)
    with pytest.raises(ImproperlyConfigured, match="No secret keys configured"):
        raise_on_startup_errors()
    assert not settings.REGISTRY_SECRET_KEYS_QUICKSTART_FILE.exists()  # no silent key either


def test_the_wsgi_application_refuses_to_start_without_keys(tmp_path):
    """What gunicorn imports: it must die at startup, not at the first decrypt."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HARBORREG_IGNORE_DOTENV": "true",
        "DJANGO_SETTINGS_MODULE": "harborreg.settings",
        "DEBUG": "false",
        "SECRET_KEY": "s4-" + "x" * 60,
        "ALLOWED_HOSTS": "harborreg.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "HARBORREG_DATA_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-c", "import harborreg.wsgi"], cwd=REPO, env=env,
        capture_output=True, text=True, timeout=60,
    )

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "No secret keys configured: set REGISTRY_SECRET_KEYS or REGISTRY_SECRET_KEYS_FILE" in result.stderr
    assert list(tmp_path.iterdir()) == []  # no key file generated, no database created


# --- wrong key: pages ------------------------------------------------------------------


@pytest.fixture
def orphaned(settings, make_registry, recording_registry) -> Registry:
    """A registry whose secret was written under a key this instance no longer has."""
    recording_registry.password = PASSWORD
    registry = make_registry(name="orphan", url=recording_registry.url, access_id="ci", secret=PASSWORD)
    use_keys(settings, key_entry("other"))
    return registry


@pytest.mark.django_db
def test_a_wrong_key_is_shown_and_nothing_is_sent(owner_client, orphaned, recording_registry):
    before = stored(orphaned)

    edit = owner_client.get(f"/registries/{orphaned.pk}/edit/")
    detail = owner_client.get(f"/registries/{orphaned.pk}/")
    tested = owner_client.post(
        f"/registries/{orphaned.pk}/test/",
        registry_form(name="orphan", url=orphaned.url, access_id="ci", action="test"),
        HTTP_ACCEPT="application/json",
    )
    tested_html = owner_client.post(
        f"/registries/{orphaned.pk}/test/",
        registry_form(name="orphan", url=orphaned.url, access_id="ci", action="test"),
    )
    checked = owner_client.post(f"/registries/{orphaned.pk}/check/", HTTP_ACCEPT="application/json")

    assert (edit.status_code, detail.status_code, tested.status_code, tested_html.status_code) == (
        200, 200, 200, 200)
    assert secrets.UNDECRYPTABLE_MESSAGE in edit.content.decode()
    assert tested.json()["summary"] == secrets.UNDECRYPTABLE_MESSAGE
    assert tested.json()["category"] == "invalid"
    assert secrets.UNDECRYPTABLE_MESSAGE in tested_html.content.decode()
    assert checked.json()["summary"] == secrets.UNDECRYPTABLE_MESSAGE
    assert recording_registry.requests == []  # refused before any connection
    reloaded = Registry.objects.get(pk=orphaned.pk)
    assert (reloaded.status, reloaded.status_category) == ("unhealthy", "invalid")
    assert stored(orphaned) == before


@pytest.mark.django_db
def test_saving_other_fields_keeps_the_ciphertext_byte_identical(owner_client, orphaned):
    before = stored(orphaned)

    renamed = owner_client.post(f"/registries/{orphaned.pk}/edit/", registry_form(
        name="orphan-renamed", url=orphaned.url, access_id="ci", description="edited",
    ), follow=True)

    assert "Updated endpoint successfully." in renamed.content.decode()
    assert stored(orphaned) == before
    assert Registry.objects.get(pk=orphaned.pk).description == "edited"


@pytest.mark.django_db
def test_save_anyway_with_an_unreadable_secret_keeps_the_ciphertext(owner_client, orphaned,
                                                                    recording_registry):
    """A connection field changed, so saving tests first: the test refuses (no request),
    Save anyway stores the verdict and still leaves the ciphertext alone."""
    before = stored(orphaned)
    # Another Access ID is a connection change (unticking verify would now withhold the
    # secret altogether: S23).
    data = registry_form(name="orphan", url=orphaned.url, access_id="ci-2")

    first = owner_client.post(f"/registries/{orphaned.pk}/edit/", data)
    page = first.content.decode()
    assert first.status_code == 200 and secrets.UNDECRYPTABLE_MESSAGE in page
    verdict = re.search(r'name="verdict" value="([^"]+)"', page).group(1)
    saved = owner_client.post(f"/registries/{orphaned.pk}/edit/",
                              {**data, "action": "save_anyway", "verdict": verdict}, follow=True)

    assert "Updated endpoint successfully." in saved.content.decode()
    reloaded = Registry.objects.get(pk=orphaned.pk)
    assert reloaded.access_id == "ci-2" and reloaded.status == "unhealthy"
    assert stored(orphaned) == before
    assert recording_registry.requests == []


@pytest.mark.django_db
def test_the_admin_says_so_and_keeps_the_ciphertext(admin_client, orphaned):
    before = stored(orphaned)
    url = f"/admin/endpoints/registry/{orphaned.pk}/change/"

    page = admin_client.get(url)
    response = admin_client.post(url, {
        "provider": orphaned.provider, "name": orphaned.name, "description": "edited in admin",
        "url": orphaned.url, "access_id": "ci", "access_secret": "", "ca_certificate": "",
        "verify_remote_cert": "on",
    })

    assert page.status_code == 200
    assert secrets.UNDECRYPTABLE_MESSAGE in page.content.decode()
    assert response.status_code == 302
    assert Registry.objects.get(pk=orphaned.pk).description == "edited in admin"
    assert stored(orphaned) == before


@pytest.mark.django_db
def test_a_new_secret_replaces_the_unreadable_one(owner_client, orphaned, recording_registry):
    """The way out the message names: enter it again (under the key configured now)."""
    response = owner_client.post(f"/registries/{orphaned.pk}/edit/", registry_form(
        name="orphan", url=orphaned.url, access_id="ci", access_secret=PASSWORD,
    ), follow=True)

    assert "Updated endpoint successfully." in response.content.decode()
    reloaded = Registry.objects.get(pk=orphaned.pk)
    assert reloaded.access_secret_encrypted.startswith("v1:other:")
    assert reloaded.decrypt_secret() == PASSWORD and reloaded.status == "healthy"
