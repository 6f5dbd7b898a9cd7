"""The one-command demo and local development: SQLite, a broker with no server, DEBUG on.

Safe because it binds to localhost only; never use it on a public host.
"""

import os

os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("SERVE_MEDIA", "1")

from .base import *  # noqa: E402,F403
from .base import VAR_DIR, env_bool  # noqa: E402

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY") or "demo-only-not-secret-0f7c2a9e61b54d3c8a1e"
SERVE_MEDIA = True
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = str(VAR_DIR / "mail")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
