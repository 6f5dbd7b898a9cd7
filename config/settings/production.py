"""Production: refuses to start without SECRET_KEY; HTTPS, secure cookies, HSTS."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env_bool

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be set (50+ random characters) in production.")
DEBUG = False

# Behind a reverse proxy that terminates TLS (Caddy, nginx, a load balancer) and sets
# X-Forwarded-Proto: trust that header (TLS_PROXY=1, the default), or every request looks like
# plain http and SECURE_SSL_REDIRECT loops. TLS_PROXY=0 when gunicorn faces clients itself, so
# that no client can claim https by sending the header.
if env_bool("TLS_PROXY", True):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Preloading is a one-way commitment for the whole domain: the owner opts in with
# SECURE_HSTS_PRELOAD=1, so its absence is not a warning here.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
