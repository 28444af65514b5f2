"""Settings for the test suite: a throw-away KOKIN_HOME, plain HTTP for Django's test client.

``DATABASE_URL`` still decides the database, so the same suite runs on SQLite and PostgreSQL.
"""

import os
import tempfile

os.environ.setdefault("KOKIN_HOME", tempfile.mkdtemp(prefix="kokin-test-"))
os.environ.setdefault("KOKIN_SECURE", "0")

from kokin.web.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", "django.contrib.auth.hashers.Argon2PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405 - whitenoise warns about a missing folder otherwise
