"""Test settings: django-q2 runs tasks inline (sync is read once at import, so it lives here)."""

import os

from .settings import *  # noqa: F403
from .settings import CACHES, DATABASES, Q_CLUSTER, REDIS_URL, STORAGES, VAR_DIR

Q_CLUSTER = {**Q_CLUSTER, "sync": True}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, not shared-cache memory: concurrency tests need SQLite's real locking.
    # One per process, so parallel test runs never share a database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}

if not REDIS_URL:
    # Sessions cached per test process (its own database); the shared files are tested apart
    # (tests/test_web.py, test_a_logout_ends_the_session_in_every_web_process).
    CACHES = {**CACHES, "sessions": CACHES["default"]}

# Static files straight from the apps (no collectstatic before a test run).
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
DEMO = True  # demo_data loads in tests (web/management/commands/demo_data.py)
INSTALLED_APPS = [*INSTALLED_APPS, "tests.flowapp"]  # noqa: F405
