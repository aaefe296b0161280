"""System checks: the app refuses to start without usable secret keys."""

from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from endpoints import secrets


@checks.register("harborreg")
def check_secret_keys(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    secrets.reset_key_cache()
    try:
        secrets.configured_keys()
    except secrets.SecretKeyConfigError as exc:
        return [checks.Error(str(exc), id="harborreg.E001")]
    return []


def raise_on_startup_errors() -> None:
    """Called by the WSGI/ASGI entry points: serving without keys is refused."""
    errors = [m for m in checks.run_checks(tags=["harborreg"]) if m.is_serious()]
    if errors:
        raise ImproperlyConfigured("; ".join(m.msg for m in errors))
