import pytest

from endpoints.models import Registry


@pytest.mark.django_db
def test_it_stores_only_ciphertext(make_registry):
    registry = make_registry(secret="canary-smoke-secret")
    stored = Registry.objects.get(pk=registry.pk).access_secret_encrypted
    assert stored.startswith("v1:test1:")
    assert "canary-smoke-secret" not in stored
    assert registry.decrypt_secret() == "canary-smoke-secret"
