"""Tests: SQLite in memory and eager Celery unless DATABASE_URL / REDIS_URL say otherwise."""

import os
import tempfile

os.environ.setdefault("SERVE_MEDIA", "1")
# The suite reads as an English-first shop; the Chinese tests switch language themselves.
os.environ.setdefault("SHOP_LANGUAGE", "en")

from .base import *  # noqa: E402,F403
from .base import DATABASES  # noqa: E402

DEBUG = False
SECRET_KEY = "test-only-secret-key-5b1d9f3e7a2c4e6b8d0f"
SERVE_MEDIA = True
ADMIN_URL = "django-admin"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MESSAGING_SKIP_SECONDS = 0  # each test's mail server answers, or not, for that test alone
MEDIA_ROOT = tempfile.mkdtemp(prefix="shop-test-media-")
PRIVATE_MEDIA_ROOT = tempfile.mkdtemp(prefix="shop-test-private-")
CELERY_TASK_ALWAYS_EAGER = True
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {"BACKEND": "shop.storage.PrivateStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Threads in the concurrency tests each hold a connection.
    DATABASES["default"]["OPTIONS"]["pool"] = {"min_size": 1, "max_size": 30, "timeout": 20}
# Static files straight from the app folders (no collectstatic before tests); htmx included.
STATIC_ROOT = tempfile.mkdtemp(prefix="shop-test-static-")
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# ---------------------------------------------------------------- sms
SMS_PROVIDER = "console"  # tests count SMS in messaging.sms.console.outbox
SMS_WEBHOOK_TOKEN = "test-sms-webhook-token-3f9a1c"
