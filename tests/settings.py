"""Settings for the test suite: production settings with test-only keys, plain http."""

import os

os.environ["HARBORREG_IGNORE_DOTENV"] = "true"  # a developer's .env must not steer the tests
os.environ.setdefault("SECRET_KEY", "tests-only-signing-key-not-used-anywhere-else")
# A test-only Fernet key; production keys come from the environment or a key file.
os.environ.setdefault("REGISTRY_SECRET_KEYS", "test1=dhj4DW2ML6gVeKCAJiZ8XP4WqQFKc1aJbbGO2197s88=")
os.environ.setdefault("DEBUG", "false")

from harborreg.settings import *  # noqa: E402,F403

SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
