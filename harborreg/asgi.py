"""ASGI entry point."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "harborreg.settings")

application = get_asgi_application()

from endpoints.checks import raise_on_startup_errors  # noqa: E402

raise_on_startup_errors()
