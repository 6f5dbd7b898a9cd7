"""Production: HTTPS, secure cookies, HSTS; error reports to Sentry when SENTRY_DSN is set and one
JSON log line per request and per task on stdout.

It refuses to start, with a message naming the setting, without SECRET_KEY and with anything
that would keep the shop's messages instead of sending them (the demo's and Django's
in-memory, console, file and dummy email backends, the console SMS provider): a process that
runs these settings by default (wsgi, asgi, the Celery worker and beat, manage.py) must never
swallow buyers' mail.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import EMAIL_BACKEND, SMS_PROVIDER, env_bool

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured(
        "SECRET_KEY must be set (50+ random characters) in production. For the demo or "
        "development, set DJANGO_SETTINGS_MODULE=config.settings.demo (make demo does)."
    )
DEBUG = False

from payments.settings_check import half_configured  # noqa: E402

_payment_problems = half_configured(globals())
if _payment_problems:
    raise ImproperlyConfigured("Online payment: " + "; ".join(_payment_problems) + ".")
# The demo's pretend provider never runs here, whatever the environment says.
PAYMENT_SANDBOX = False
# Backends that keep or drop mail instead of sending it.
KEEPING_EMAIL_BACKENDS = {
    "messaging.backends.DemoBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
}
if EMAIL_BACKEND.strip() in KEEPING_EMAIL_BACKENDS:
    raise ImproperlyConfigured(
        f"EMAIL_BACKEND is {EMAIL_BACKEND}, which keeps mail instead of sending it: in "
        "production use SMTP (the default, with EMAIL_HOST ...) or an anymail backend."
    )
if (SMS_PROVIDER or "console").strip().lower() == "console":
    raise ImproperlyConfigured(
        "SMS_PROVIDER is 'console' (the default), which keeps SMS instead of sending them: in "
        "production set SMS_PROVIDER=aliyun or tencent with its keys (README, Configuration)."
    )

# Behind a reverse proxy that terminates TLS (Caddy, nginx, a load balancer) and sets
# X-Forwarded-Proto: trust that header (TLS_PROXY=1, the default), or every request looks like
# plain http and SECURE_SSL_REDIRECT loops. TLS_PROXY=0 when gunicorn faces clients itself, so
# that no client can claim https by sending the header.
if env_bool("TLS_PROXY", True):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# ---------------------------------------------------------------- logs and error reports
# Every log line is one JSON object on stdout (config.logs): one per request and per task,
# with private links redacted; gunicorn's own access log stays off for that reason.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "config.logs.JsonFormatter"}},
    "filters": LOGGING["filters"],  # noqa: F405
    "loggers": LOGGING["loggers"],  # noqa: F405
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "json",
        }
    },
    "root": {"handlers": ["stdout"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
# Errors in web and worker reach the owner's tracker (Sentry, or GlitchTip, which speaks its
# protocol) when SENTRY_DSN is set; off by default. No personal data: no cookies, no user
# addresses, no local variables, and the request's URL with its private links redacted.
SENTRY_DSN = os.environ.get("SENTRY_DSN", "").strip()
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    from config.logs import scrub_event

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        # A frame's local variables hold requests (their paths carry private links), buyers'
        # addresses and phones: the stack trace goes without them.
        include_local_variables=False,
        environment=os.environ.get("SENTRY_ENVIRONMENT") or "production",
        release=os.environ.get("SENTRY_RELEASE") or None,
        traces_sample_rate=float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE", "0")),
        before_send=scrub_event,
    )

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
# Health probes on the private network (compose, a load balancer) speak plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Preloading is a one-way commitment for the whole domain: the owner opts in with
# SECURE_HSTS_PRELOAD=1, so its absence is not a warning here.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
