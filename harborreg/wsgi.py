"""WSGI entry point (gunicorn harborreg.wsgi).

Runs the system checks tagged `harborreg` first, so a production server without its
secret keys refuses to start instead of failing on the first decrypt.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "harborreg.settings")

application = get_wsgi_application()

from endpoints.checks import raise_on_startup_errors  # noqa: E402

raise_on_startup_errors()
