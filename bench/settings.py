"""Settings for the benchmarks: the test suite's settings (production values, DEBUG off,
test-only keys) on the throwaway database that bench/_common.py creates.

DATABASE_URL        the database (set by _common.setup_django or _common.tree_env: a SQLite
                    file, or a fresh PostgreSQL database). It goes through
                    harborreg/settings.py like in production, so each version of the app
                    applies its own options (CONN_MAX_AGE, CONN_HEALTH_CHECKS, SQLite WAL).
BENCH_DB            older name: a SQLite file, used when DATABASE_URL is not set
BENCH_STATIC_ROOT   optional: collectstatic target; switches on whitenoise's
                    CompressedManifestStaticFilesStorage, as in production
"""

import os

if not os.environ.get("DATABASE_URL") and os.environ.get("BENCH_DB"):
    os.environ["DATABASE_URL"] = "sqlite:///" + os.environ["BENCH_DB"]

from tests.settings import *  # noqa: E402,F403

ROOT_URLCONF = "bench.urls"  # harborreg's URLs + one floor view for bench/test_connection.py

if os.environ.get("BENCH_STATIC_ROOT"):
    STATIC_ROOT = os.environ["BENCH_STATIC_ROOT"]
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }

# harborreg as it was before GZipMiddleware (P5): bench/page_weight.py --without-gzip-middleware.
if os.environ.get("BENCH_NO_GZIP_MIDDLEWARE"):
    MIDDLEWARE = [m for m in MIDDLEWARE if m != "django.middleware.gzip.GZipMiddleware"]  # noqa: F405

# The benchmarks print their own tables; request and probe logs would only add noise.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"null": {"class": "logging.NullHandler"}},
    "root": {"handlers": ["null"], "level": "CRITICAL"},
    "loggers": {"django": {"handlers": ["null"], "level": "CRITICAL", "propagate": False},
                "django.server": {"handlers": ["null"], "level": "CRITICAL", "propagate": False}},
}
