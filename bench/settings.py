"""Settings for the benchmarks: the test suite's settings (production values, DEBUG off,
test-only keys) on a throwaway SQLite file that bench/_common.py creates.

BENCH_DB            the SQLite file (set by _common.setup_django)
BENCH_DATABASE_URL  optional: benchmark another database instead (e.g. PostgreSQL)
BENCH_STATIC_ROOT   optional: collectstatic target; switches on whitenoise's
                    CompressedManifestStaticFilesStorage, as in production
"""

import os

import environ

from tests.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"  # harborreg's URLs + one floor view for bench/test_connection.py

if os.environ.get("BENCH_DATABASE_URL"):
    DATABASES = {"default": environ.Env.db_url_config(os.environ["BENCH_DATABASE_URL"])}
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["BENCH_DB"]}}

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
