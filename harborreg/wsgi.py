"""WSGI entry point (gunicorn harborreg.wsgi).

Runs the system checks tagged `harborreg` first, so a production server without its
secret keys refuses to start instead of failing on the first decrypt. A Content-Type that
Django cannot parse is answered here (400), since Django reads it before any middleware.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "harborreg.settings")

application = get_wsgi_application()

from endpoints.checks import raise_on_startup_errors  # noqa: E402
from harborreg.middleware import refuse_unreadable_content_type  # noqa: E402
from harborreg.warmup import warm_up  # noqa: E402

application = refuse_unreadable_content_type(application)

raise_on_startup_errors()
warm_up()  # in each worker, as gunicorn imports this module after forking
