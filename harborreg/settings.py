"""harborreg settings, read from the environment (and an optional `.env`).

Every variable is documented in `.env.example` and the README's Configuration section.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if not env.bool("HARBORREG_IGNORE_DOTENV", default=False):  # the test suite ignores .env
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DATA_DIR = Path(env.str("HARBORREG_DATA_DIR", default=str(BASE_DIR / "data")))

DEBUG = env.bool("DEBUG", default=False)

# No production default for the signing key: with DEBUG off it must be set.
if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-quick-start-only")
else:
    SECRET_KEY = env.str("SECRET_KEY")

ALLOWED_HOSTS: list[str] = env.list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",
    "axes",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "endpoints",
    "api",
    "monitor",
]

MIDDLEWARE = [
    # First: every answer under /api/ gets an X-Request-Id and Harbor's error shape.
    "api.middleware.HarborApiMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads a body: a form in a charset other than UTF-8 gets a 400 (S32).
    "harborreg.middleware.RequestCharsetMiddleware",
    # Compresses HTML (Django's version pads responses against BREACH); static files come
    # precompressed from whitenoise.
    "django.middleware.gzip.GZipMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "harborreg.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "harborreg.wsgi.application"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'harborreg.sqlite3'}"),
}
# Keep each thread's database connection between requests (a new PostgreSQL connection
# costs ~10 ms) and check it is still alive before reusing it.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=600))
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL: readers never wait for a writer, and a commit costs one sequential write
    # instead of a journal round (each test record and check result commits).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "endpoints.auth.ModelPermissionsBackend",  # Django's ModelBackend, permissions in one query
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "endpoints:registry_list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Security headers and cookies (production values when DEBUG is off) ---
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
# Sessions read from this process's memory, written through to the database: a request
# costs no session query once its worker has seen the session.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# Preload binds the whole registrable domain to HTTPS for good: the operator's opt-in, so
# its deploy-check reminder is silenced until they opt in.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
if env.bool("USE_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Error reports (the DEBUG page, ADMINS e-mails) hide typed secrets with DEBUG on too (S30).
DEFAULT_EXCEPTION_REPORTER_FILTER = "harborreg.debug.SecretSafeExceptionReporterFilter"

# Content Security Policy: nothing inline, nothing from another origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    },
}

# Login throttling (django-axes): lock a username+IP after repeated failures.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"  # says for how many minutes, in the site's frame

# --- harborreg ---

# Ordered `key-id=fernet-key` pairs: the first encrypts, all decrypt. See endpoints/secrets.py.
REGISTRY_SECRET_KEYS: list[str] = env.list("REGISTRY_SECRET_KEYS", default=[])
REGISTRY_SECRET_KEYS_FILE: str = env.str("REGISTRY_SECRET_KEYS_FILE", default="")
# Quick start only (DEBUG): where a generated key file is written when no key is configured.
REGISTRY_SECRET_KEYS_QUICKSTART_FILE = DATA_DIR / "registry-secret-keys"

# Harbor 2.15's list; the seed documentation's six (harbor, docker-hub, aws-ecr, azure-acr,
# google-gcr, quay) are always allowed, and keys of providers not (yet) built are ignored.
PROXY_CACHE_PROVIDERS: list[str] = env.list(
    "PROXY_CACHE_PROVIDERS",
    default=["harbor", "docker-hub", "docker-registry", "aws-ecr", "azure-acr", "ali-acr",
             "google-gcr", "quay", "jfrog-artifactory", "github-ghcr"],
)
ENABLED_PROVIDERS: list[str] = env.list("ENABLED_PROVIDERS", default=[])  # empty: all

ENDPOINT_CONNECT_TIMEOUT = env.float("ENDPOINT_CONNECT_TIMEOUT", default=5.0)
ENDPOINT_READ_TIMEOUT = env.float("ENDPOINT_READ_TIMEOUT", default=10.0)
ENDPOINT_TEST_DEADLINE = env.float("ENDPOINT_TEST_DEADLINE", default=20.0)
ENDPOINT_DENY_NETWORKS: list[str] = env.list(
    "ENDPOINT_DENY_NETWORKS",
    default=["169.254.0.0/16", "fe80::/10", "fd00:ec2::254/128", "100.100.100.200/32"],
)
ENDPOINT_ALLOW_NETWORKS: list[str] = env.list("ENDPOINT_ALLOW_NETWORKS", default=[])
ENDPOINT_CONNECT_TO: list[str] = env.list("ENDPOINT_CONNECT_TO", default=[])
CHECK_REGISTRIES_POOL = env.int("CHECK_REGISTRIES_POOL", default=16)
# Check now from the pages and the admin: one pool of this many threads per process, shared
# by every request (a bulk check of 100 endpoints waits its turn instead of adding threads).
CHECK_NOW_POOL = env.int("CHECK_NOW_POOL", default=16)
# Per user, across every worker process: tests and checks running at once, and started
# per minute (a Test Connection can probe any address: SECURITY S25).
ENDPOINT_TESTS_CONCURRENT = env.int("ENDPOINT_TESTS_CONCURRENT", default=3)
ENDPOINT_TESTS_PER_MINUTE = env.int("ENDPOINT_TESTS_PER_MINUTE", default=30)
ENDPOINT_TEST_LOG_DAYS = env.int("ENDPOINT_TEST_LOG_DAYS", default=90)

# --- Live health: the monitor, alerts and warnings (monitor/, docs/monitoring.md) ---

# Seconds between two checks of the same endpoint by `manage.py monitor_registries`
# (Harbor's 5 minutes); the checks are spread evenly over the interval.
HEALTH_CHECK_INTERVAL = env.float("HEALTH_CHECK_INTERVAL", default=300.0)
# Consecutive failed checks before an endpoint's alert says Unhealthy (one blip pages nobody).
HEALTH_ALERT_AFTER = env.int("HEALTH_ALERT_AFTER", default=2)
# Days before a certificate or credential expires that the warnings start (then 7 and 1).
EXPIRY_WARNING_DAYS = env.int("EXPIRY_WARNING_DAYS", default=30)
# Seconds a monitor's lease lasts without renewal: another monitor takes over after that.
HEALTH_MONITOR_LEASE_SECONDS = env.float("HEALTH_MONITOR_LEASE_SECONDS", default=30.0)
# How many endpoints the monitor checks at the same time.
HEALTH_MONITOR_POOL = env.int("HEALTH_MONITOR_POOL", default=16)
# Seconds between two refreshes of the statuses on an open Registries list.
HEALTH_LIST_REFRESH_SECONDS = env.float("HEALTH_LIST_REFRESH_SECONDS", default=30.0)
# Seconds before each new attempt of a failed notification; then it is given up.
HEALTH_NOTIFY_RETRY_SECONDS: list[float] = [
    float(seconds) for seconds in env.list("HEALTH_NOTIFY_RETRY_SECONDS", default=["30", "120", "600"])]
# The address people reach this site at, for the links in alerts.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000" if DEBUG else "").rstrip("/")
# E-mail alerts: Django's mail framework from one URL (smtp://user:password@host:587?tls=True,
# consolemail://); without it, Django's default (SMTP on localhost:25).
_email = env.email_url("EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25")
globals().update({name: value for name, value in _email.items() if value is not None})
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="harborreg@localhost")
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT", default=10.0)  # a mail server that hangs holds no sender

# --- The Harbor-compatible API (api/, /api/v2.0) ---

REST_FRAMEWORK = {
    # Tried in order: robot accounts (Basic with a robot$ name) first, then Basic for users.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.RobotAuthentication",
        "api.authentication.BasicAuthentication",
        "api.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.RegistryPermission"],
    "DEFAULT_PARSER_CLASSES": ["api.negotiation.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["api.negotiation.JSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "api.negotiation.HarborContentNegotiation",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "URL_FORMAT_OVERRIDE": None,
    # Requests per user (per client address when anonymous), counted in this process's cache.
    # Connection tests have their own per-user limits (ENDPOINT_TESTS_*).
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.UserRateThrottle",
        "rest_framework.throttling.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": env.str("API_THROTTLE_USER", default="1200/minute"),
        "anon": env.str("API_THROTTLE_ANON", default="300/minute"),
    },
    # Anonymous callers are counted by REMOTE_ADDR: X-Forwarded-For is trusted only through
    # this many proxies (0: never, so a forged header cannot dodge the count).
    "NUM_PROXIES": env.int("API_NUM_PROXIES", default=0),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "harborreg API",
    "DESCRIPTION": (
        "The registry part of Harbor's REST API v2.0: clients of Harbor work against harborreg "
        "by changing only the URL. Authenticate with HTTP Basic: a Django account with the "
        "registry permissions, or a robot account (robot$name and its secret)."
    ),
    "VERSION": "2.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PUBLIC": True,
    "SERVE_AUTHENTICATION": [],  # the document and its page are public: they hold no data
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SCHEMA_PATH_PREFIX": r"/api/v2\.0",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",  # assets from drf-spectacular-sidecar: no CDN
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
