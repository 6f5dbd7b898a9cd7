"""Settings shared by every environment, read from the environment with safe defaults.

Only localhost-safe values are defaulted here; production.py refuses to start without the
secrets it needs.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


# ---------------------------------------------------------------- core
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "modeltranslation",  # before the admin, which it patches
    "config.apps.ShopAdminConfig",  # django.contrib.admin with the shop's site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "csp",
    "allauth",
    "allauth.account",
    "anymail",
    "accounts",
    "messaging",
    "shop",
    "orders",
    "payments",
    "support",
    "reviews",
    "followups",
]

MIDDLEWARE = [
    # First: its one line per request sees every answer, redirects and refusals included.
    "config.logs.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "config.middleware.RefuseNulBytesMiddleware",
    "config.middleware.PublicWriteLimitMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.csp.ContentSecurityPolicyMiddleware",  # django-csp's, the policy built once
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "shop.context_processors.shop",
                "orders.context_processors.cart",
            ],
        },
    },
]

# ---------------------------------------------------------------- database
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django 5.2's psycopg pool; it refuses CONN_MAX_AGE != 0.
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": int(os.environ.get("DB_POOL_MAX", "4")),
        "timeout": 10,
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo runs a web process and a worker on one file: wait for locks instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ---------------------------------------------------------------- cache
REDIS_URL = os.environ.get("REDIS_URL", "")
# Seconds one call to Redis (cache or broker) may wait to connect, and for an answer: a frozen
# Redis then costs this much, not a request's whole life. Redis answers in microseconds.
REDIS_TIMEOUT = float(os.environ.get("REDIS_TIMEOUT", "0.2"))
# A cache, not a single point of failure (config.cache): with Redis down every call answers a
# miss, the page comes from the database, and Redis is skipped for skip_seconds after a failure.
REDIS_CACHE_OPTIONS = {
    "socket_connect_timeout": REDIS_TIMEOUT,
    "socket_timeout": REDIS_TIMEOUT,
    "skip_seconds": 5,
}
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "config.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_PREFIX", "shop"),
            "OPTIONS": REDIS_CACHE_OPTIONS,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# ---------------------------------------------------------------- sessions
# Read from the cache, written to both: a shopper's cached page (shop.page_cache) reads the
# session for the cart count and the menu, and that read is then one Redis round trip instead
# of a PostgreSQL query. With Redis down (config.cache answers a miss) sessions come from the
# database, as before.
# config.sessions is Django's cached_db without the lookup before each new key (the insert
# refuses a duplicate on its own).
SESSION_ENGINE = "config.sessions"

# ---------------------------------------------------------------- auth
AUTH_USER_MODEL = "accounts.User"
# Django's backend first: the admin and the tests' force_login use it; allauth's for sign-in.
# Django's and allauth's, loading the session's user with their roles in one query
# (accounts.backends). A session names the backend that signed it in: those signed in under
# the plain two before this change sign in again once (listing those too would hash every
# wrong password twice more).
AUTHENTICATION_BACKENDS = [
    "accounts.backends.RolesModelBackend",
    "accounts.backends.RolesAuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "shop:home"
LOGOUT_REDIRECT_URL = "shop:home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Accounts (django-allauth's account app): sign-in by email, no username, no social sign-in.
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {
    "login": "accounts.forms.SignInForm",
    "signup": "accounts.forms.SignUpForm",
    "reset_password": "accounts.forms.ResetPasswordByEmailForm",
    "add_email": "accounts.forms.AddEmailAddressForm",
    "change_email": "accounts.forms.ChangeEmailAddressForm",
}
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CHANGE_EMAIL = True
# No account signs in before its holder proved the address; guest orders follow only a proof.
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
# Codes, not links: a code works only in the browser that asked for it, so the owner of an
# address who acts on a mail they never asked for cannot prove it for a stranger's account.
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = True
ACCOUNT_EMAIL_VERIFICATION_SUPPORTS_RESEND = True
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = True
ACCOUNT_PASSWORD_RESET_BY_CODE_TIMEOUT = 15 * 60
# A reset code proves the address (allauth marks it verified), so the reset signs in.
ACCOUNT_LOGIN_ON_PASSWORD_RESET = True
# Sign-up and reset answer the same whether or not the address has an account; the mail that
# tells the difference goes to the address itself.
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
# A changed password or address is told to the address that held the account before.
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_SESSION_REMEMBER = True
# Counted per real client address (the adapter asks config.client_ip) and per address signed
# in to; once refused, a sign-in is refused even with the right password.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "10/m/ip",
    "reset_password": "10/m/ip,3/m/key",
    "reset_password_from_key": "20/m/ip",
}

# ---------------------------------------------------------------- i18n
# The shop's own language: what a visitor sees whose browser asks for none we offer, and the
# language the owner's texts are written in first. A new shop is Chinese; English is second.
LANGUAGE_CODE = os.environ.get("SHOP_LANGUAGE", "zh-hans")
if LANGUAGE_CODE not in ("zh-hans", "en"):
    raise ImproperlyConfigured("SHOP_LANGUAGE must be zh-hans or en")
# Each language named in itself, so a visitor finds theirs whatever the page is in.
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
# The owner's texts (product names, the story, policies, canned replies) in both languages:
# django-modeltranslation adds one column per language to the same row, so a page reads them
# with the queries it makes today; a text missing in one language shows the other.
MODELTRANSLATION_DEFAULT_LANGUAGE = LANGUAGE_CODE
MODELTRANSLATION_LANGUAGES = ("zh-hans", "en")
MODELTRANSLATION_FALLBACK_LANGUAGES = {"default": ("zh-hans", "en")}
LOCALE_PATHS = [BASE_DIR / "locale"]
# The header's switch (django's set_language) keeps the choice in this cookie, for a year: a
# visitor who picked a language is not sent back to their browser's on the next visit. It holds
# no session, so a first-time visitor's pages still come from the page cache (keyed on it).
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# ---------------------------------------------------------------- static and media
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Files nobody outside the shop may fetch (CSV imports, photos hidden for personal data): a
# folder no web server serves, outside MEDIA_ROOT. STORAGES["private"] can become a private
# bucket (django-storages) without a migration.
PRIVATE_MEDIA_ROOT = Path(os.environ.get("PRIVATE_MEDIA_ROOT", VAR_DIR / "private"))

# Media in an S3-compatible object store (AWS S3, Aliyun OSS, Tencent COS, MinIO) when
# MEDIA_BUCKET is set; the local disk otherwise (the demo's default). Through django-storages:
#   S3_ENDPOINT_URL       the store's API address, e.g. https://oss-cn-hangzhou.aliyuncs.com,
#                         https://cos.ap-shanghai.myqcloud.com, http://127.0.0.1:9000 (MinIO);
#                         empty for AWS itself
#   S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY   the keys the shop writes and reads with
#   S3_REGION             the region name (cn-hangzhou, ap-shanghai, us-east-1 for MinIO)
#   MEDIA_BUCKET          public-read bucket for product, review and logo photos
#   PRIVATE_BUCKET        a second bucket, never public: CSV imports, ticket attachments,
#                         photos withdrawn for personal data (streamed by role-checking views)
#   S3_PUBLIC_URL         the address photos are fetched from by browsers (a CDN or the
#                         bucket's own domain, e.g. https://img.example.cn); default
#                         S3_ENDPOINT_URL/MEDIA_BUCKET
#   S3_ADDRESSING_STYLE   "path" (default: MinIO, moto) or "virtual" (Aliyun OSS requires it,
#                         COS prefers it)
#   S3_SIGNATURE_VERSION  "s3v4" (default; OSS, COS and MinIO all accept it)
PUBLIC_CACHE_CONTROL = "public, max-age=31536000, immutable"


def s3_storages(environ) -> dict:
    """STORAGES["default"] and ["private"] for the buckets `environ` names, or {} for disk."""
    bucket = environ.get("MEDIA_BUCKET", "")
    if not bucket:
        return {}
    endpoint = environ.get("S3_ENDPOINT_URL", "").rstrip("/") or None
    common = {
        "endpoint_url": endpoint,
        "access_key": environ.get("S3_ACCESS_KEY_ID") or None,
        "secret_key": environ.get("S3_SECRET_ACCESS_KEY") or None,
        "region_name": environ.get("S3_REGION") or None,
        "addressing_style": environ.get("S3_ADDRESSING_STYLE", "path"),
        "signature_version": environ.get("S3_SIGNATURE_VERSION", "s3v4"),
    }
    public_url = environ.get("S3_PUBLIC_URL", "").rstrip("/")
    if not public_url and endpoint:
        public_url = f"{endpoint}/{bucket}"
    public = {**common, "bucket_name": bucket, "querystring_auth": False}
    public["object_parameters"] = {"CacheControl": PUBLIC_CACHE_CONTROL}
    if public_url:
        scheme, _, rest = public_url.partition("//")
        public.update(url_protocol=scheme, custom_domain=rest)
    result = {"default": {"BACKEND": "shop.storage.PublicMediaStorage", "OPTIONS": public}}
    private_bucket = environ.get("PRIVATE_BUCKET", "")
    if private_bucket:
        result["private"] = {
            "BACKEND": "shop.storage.PrivateMediaStorage",
            "OPTIONS": {**common, "bucket_name": private_bucket},
        }
    return result


STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {"BACKEND": "shop.storage.PrivateStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    **s3_storages(os.environ),
}
# Where the photos' addresses point, for the Content-Security-Policy's img-src below.
MEDIA_ORIGIN = ""
if "OPTIONS" in STORAGES["default"] and STORAGES["default"]["OPTIONS"].get("custom_domain"):
    _public = STORAGES["default"]["OPTIONS"]
    MEDIA_ORIGIN = f"{_public['url_protocol']}//{_public['custom_domain'].split('/')[0]}"
# Uploads: the image pipeline refuses files over 20 MB; let Django stream them to disk first.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# The most files one request may carry (Django answers 400 past it): the owner's 12 product
# photos twice over, or a buyer's review page of 6 garments with 4 photos each. Every form also
# counts its own files before decoding any.
DATA_UPLOAD_MAX_NUMBER_FILES = 24
IMAGE_MAX_BYTES = 20 * 1024 * 1024
IMAGE_MAX_PIXELS = 40_000_000
IMAGE_RENDITION_WIDTHS = (400, 1200)
# Media is served by Django only when SERVE_MEDIA is on (demo, tests); production uses a store.
SERVE_MEDIA = env_bool("SERVE_MEDIA", False)

# ---------------------------------------------------------------- email
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "shop@localhost")
# Seconds a connection to the mail server may block a worker (Django's default is forever).
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "10"))
# A provider instead of SMTP: EMAIL_BACKEND=anymail.backends.<provider>.EmailBackend and its
# settings as ANYMAIL_<SETTING> variables (ANYMAIL_POSTMARK_SERVER_TOKEN=...). The provider's
# bounce and complaint webhooks post to /messaging/anymail/<provider>/tracking/ with
# ANYMAIL_WEBHOOK_SECRET ("user:password") as basic auth; without it they answer 404.
ANYMAIL = {
    name.removeprefix("ANYMAIL_"): value
    for name, value in os.environ.items()
    if name.startswith("ANYMAIL_") and value
}

# ---------------------------------------------------------------- messaging
# Channels by name; a message names its channel (an SMS channel is one more entry).
MESSAGING_CHANNELS = {"email": "messaging.channels.EmailChannel"}
MESSAGING_MAX_ATTEMPTS = int(os.environ.get("MESSAGING_MAX_ATTEMPTS", "5"))
MESSAGING_RETRY_SECONDS = int(os.environ.get("MESSAGING_RETRY_SECONDS", "60"))  # doubled each time
# A queued message's task has this long before the sweep sends the row itself.
MESSAGING_SWEEP_GRACE_SECONDS = int(os.environ.get("MESSAGING_SWEEP_GRACE_SECONDS", "120"))
MESSAGING_SWEEP_BATCH = int(os.environ.get("MESSAGING_SWEEP_BATCH", "200"))
# One sweep sends batch after batch for this long at most (beat starts one a minute).
MESSAGING_SWEEP_SECONDS = int(os.environ.get("MESSAGING_SWEEP_SECONDS", "45"))
# A claim is a lease: a row "sending" this long belongs to a worker that died mid-send, and the
# sweep queues it again at once. Longer than one send can take (a few EMAIL_TIMEOUTs: connect,
# then each SMTP command), short enough that a crash delays its messages by minutes.
MESSAGING_LEASE_SECONDS = int(os.environ.get("MESSAGING_LEASE_SECONDS", "150"))
# A mail server that could not be reached is not tried again by that process for this long: a
# silent one costs one EMAIL_TIMEOUT, not one per message (each claimed meanwhile is a failed
# attempt, backed off). 0 tries every time.
MESSAGING_SKIP_SECONDS = int(os.environ.get("MESSAGING_SKIP_SECONDS", "30"))

# ---------------------------------------------------------------- sms
# SMS for buyers reached by phone (messaging/sms/README.md): the provider, its approved sign
# name and one approved template per message kind, with its variables in the template's order.
# The codes below are the console's placeholders: put the provider's approved codes here.
MESSAGING_CHANNELS = {**MESSAGING_CHANNELS, "sms": "messaging.channels.SmsChannel"}
SMS_PROVIDER = os.environ.get("SMS_PROVIDER", "console")
SMS_SIGN_NAME = os.environ.get("SMS_SIGN_NAME", "景和制衣")  # the demo shop's; set the approved one
SMS_TEMPLATES = {
    "order.placed": {"code": "SMS_ORDER_PLACED", "params": ["number"]},
    "order.shipped": {
        "code": "SMS_ORDER_SHIPPED",
        "params": ["number", "courier", "tracking", "code"],
    },
    "order.delivered": {"code": "SMS_ORDER_DELIVERED", "params": ["number"]},
    "order.cancelled": {"code": "SMS_ORDER_CANCELLED", "params": ["number"]},
    "ticket.opened": {"code": "SMS_TICKET_OPENED", "params": ["number", "code"]},
    "ticket.staff_reply": {"code": "SMS_TICKET_REPLY", "params": ["number", "code"]},
    "ticket.resolved": {"code": "SMS_TICKET_RESOLVED", "params": ["number", "code"]},
    "followup.care_check": {"code": "SMS_CARE_CHECK", "params": ["number", "code", "stop"]},
    "followup.review_request": {"code": "SMS_REVIEW_REQUEST", "params": ["number", "code", "stop"]},
    "followup.reminder": {"code": "SMS_REVIEW_REMINDER", "params": ["number", "code", "stop"]},
    "followup.satisfaction": {"code": "SMS_SATISFACTION", "params": ["number", "code", "stop"]},
}
SMS_TIMEOUT_SECONDS = float(os.environ.get("SMS_TIMEOUT_SECONDS", "5"))
SMS_ALIYUN_ACCESS_KEY_ID = os.environ.get("SMS_ALIYUN_ACCESS_KEY_ID", "")
SMS_ALIYUN_ACCESS_KEY_SECRET = os.environ.get("SMS_ALIYUN_ACCESS_KEY_SECRET", "")
SMS_TENCENT_SECRET_ID = os.environ.get("SMS_TENCENT_SECRET_ID", "")
SMS_TENCENT_SECRET_KEY = os.environ.get("SMS_TENCENT_SECRET_KEY", "")
SMS_TENCENT_SDK_APP_ID = os.environ.get("SMS_TENCENT_SDK_APP_ID", "")
# The secret in the receipt and reply URLs registered with the provider
# (/messaging/sms/<provider>/receipts|replies/<token>/; their pushes are not signed). Empty, or
# under 16 characters: those URLs answer 404.
SMS_WEBHOOK_TOKEN = os.environ.get("SMS_WEBHOOK_TOKEN", "")
# Short links (/s/<code>/) in SMS lead on for this long (the signed links behind them expire
# on their own terms too).
SMS_SHORT_LINK_DAYS = 400

# ---------------------------------------------------------------- celery
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or REDIS_URL or "filesystem://"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
REDIS_BROKER_OPTIONS = {
    # Longer than any task's hard limit, so Redis never redelivers a task still running.
    "visibility_timeout": 3600,
    # Publishing (and every other synchronous broker call) gives up after REDIS_TIMEOUT
    # instead of waiting for ever on a frozen Redis. The worker's BRPOP runs in its event
    # loop, where kombu's health_check_interval watches it instead.
    "socket_connect_timeout": REDIS_TIMEOUT,
    "socket_timeout": REDIS_TIMEOUT,
}
if CELERY_BROKER_URL == "filesystem://":
    _queue_dir = VAR_DIR / "broker" / "queue"
    _done_dir = VAR_DIR / "broker" / "processed"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(_done_dir),
        # kombu's default is ./control, which put broker state in the working folder.
        "control_folder": str(VAR_DIR / "broker" / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = REDIS_BROKER_OPTIONS
    CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_TIMEOUT
# One quick retry (a connection the broker dropped is dialled again), then the publish fails:
# config.celery skips the broker for a few seconds and each kind's sweep queues the work.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.1,
    "interval_max": 0.1,
}
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BEAT_SCHEDULE: dict = {
    "assume-delivered": {"task": "orders.tasks.assume_delivered_orders", "schedule": 3600.0},
    "dispatch-follow-ups": {"task": "followups.tasks.dispatch_follow_ups", "schedule": 60.0},
    "send-queued-messages": {"task": "messaging.tasks.sweep_messages", "schedule": 60.0},
    "close-expired-payments": {"task": "payments.tasks.close_expired_payments", "schedule": 60.0},
    "reconcile-payments": {"task": "payments.tasks.reconcile_payments", "schedule": 120.0},
    "start-pending-imports": {"task": "shop.tasks.sweep_imports", "schedule": 60.0},
    "make-missing-renditions": {"task": "shop.tasks.sweep_renditions", "schedule": 60.0},
}
CELERY_TIMEZONE = TIME_ZONE

# ---------------------------------------------------------------- shop
# Where links in emails point: the public address of the site.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")
ORDER_ASSUME_DELIVERED_DAYS = int(os.environ.get("ORDER_ASSUME_DELIVERED_DAYS", "10"))
CATALOGUE_PAGE_SIZE = 24
CATALOGUE_CACHE_SECONDS = int(os.environ.get("CATALOGUE_CACHE_SECONDS", "300"))
# The staff pages' cache (shop.staff_cache): pages follow every change at once through version
# keys; this bounds what moves with the clock alone (relative times, overdue). 0: no cache.
STAFF_PAGE_CACHE_SECONDS = int(os.environ.get("STAFF_PAGE_CACHE_SECONDS", "60"))

# ---------------------------------------------------------------- security (tightened in production)
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Proxies in front of the web processes that append to X-Forwarded-For (Caddy or nginx: 1).
# 0 trusts no header, so a client cannot choose the address its rate limits are counted by.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT  # allauth counts the same client address

# Content-Security-Policy on every answer (django-csp): scripts only from our own static files
# (no inline handlers or scripts), nothing framed, forms post only here. Inline style
# attributes stay allowed: the templates use them for layout, and htmx adds its indicator style.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:", *([MEDIA_ORIGIN] if MEDIA_ORIGIN else [])],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# ---------------------------------------------------------------- operational admin
# Django's admin (config.admin) at this path, for the owner and superusers; empty: no admin.
# Production has none until ADMIN_URL names a path of the owner's choosing (not a guessable
# /admin/); the demo and the tests keep it at /django-admin/.
ADMIN_URL = os.environ.get("ADMIN_URL", "").strip().strip("/")

# ---------------------------------------------------------------- rate limits
# Every public write (any POST outside /manage/) is counted per real client address
# (config.client_ip, TRUSTED_PROXY_COUNT) by config.middleware.PublicWriteLimitMiddleware;
# "post:<field>" also counts a posted value, so that many clients cannot flood one address.
# Counts live in the default cache: Redis in production, shared by every web process.
RATELIMIT_ENABLE = env_bool("RATELIMIT_ENABLE", True)
RATELIMIT_USE_CACHE = "default"
# With the cache down, counts cannot be kept: let requests through rather than refuse every
# buyer (config.cache answers as an empty cache, so allauth's limits fail open too).
RATELIMIT_FAIL_OPEN = True
PUBLIC_WRITE_LIMITS = {
    "*": [("ip", "120/m")],
    "account_login": [("ip", "30/5m")],
    "admin:login": [("ip", "30/5m")],
    "account_signup": [("ip", "10/h")],
    "account_reset_password": [("ip", "10/h"), ("post:email", "3/h")],
    "support:new": [("ip", "10/h"), ("post:email", "5/h")],
    "support:thread": [("ip", "30/10m")],
    "support:satisfaction": [("ip", "30/10m")],
    "reviews:write": [("ip", "30/10m")],
    "reviews:edit": [("ip", "30/10m")],
    "followups:care_check": [("ip", "30/10m")],
    "reviews:helpful": [],  # limited in the view, which answers its own htmx fragment
    "orders:checkout": [("ip", "30/10m"), ("post:email", "10/h")],
    # Providers post notifications from a few addresses and retry whatever is not answered
    # "success" for hours, so the limit is generous (a small shop's busiest minute is far
    # below it) and a limited one comes again; it bounds what a stranger's flood of forged
    # notifications costs in signature checks.
    "payments:notify": [("ip", "300/m")],
    "payments:pay": [("ip", "30/10m")],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_paths": {"()": "config.logs.RedactRequestPaths"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # Django logs 4xx and 5xx answers with their raw path: private links redacted first.
    "loggers": {
        "django.request": {"filters": ["redact_paths"]},
        "django.security": {"filters": ["redact_paths"]},
    },
}

# ---------------------------------------------------------------- reviews
REVIEW_LINK_DAYS = int(os.environ.get("REVIEW_LINK_DAYS", "180"))
REVIEW_EDIT_DAYS = int(os.environ.get("REVIEW_EDIT_DAYS", "30"))
# Bayesian ranking: a product's mean is pulled toward this prior as if it had this many reviews.
REVIEW_PRIOR_MEAN = float(os.environ.get("REVIEW_PRIOR_MEAN", "3.5"))
REVIEW_PRIOR_WEIGHT = int(os.environ.get("REVIEW_PRIOR_WEIGHT", "10"))
REVIEW_PAGE_SIZE = 10
HELPFUL_VOTES_PER_MINUTE = int(os.environ.get("HELPFUL_VOTES_PER_MINUTE", "20"))

# ---------------------------------------------------------------- support
# Hours to the first answer and to resolution, by priority.
SUPPORT_TARGETS = {
    "urgent": (1, 8),
    "high": (4, 24),
    "normal": (24, 72),
    "low": (48, 168),
}
SUPPORT_NOTIFY_EMAILS = env_list("SUPPORT_NOTIFY_EMAILS", [])

# ---------------------------------------------------------------- follow-ups
# Minutes after delivery (or after a ticket is resolved); the demo sets them to a few minutes.
FOLLOWUP_CARE_CHECK_MINUTES = int(os.environ.get("FOLLOWUP_CARE_CHECK_MINUTES", str(2 * 24 * 60)))
FOLLOWUP_REVIEW_REQUEST_MINUTES = int(
    os.environ.get("FOLLOWUP_REVIEW_REQUEST_MINUTES", str(7 * 24 * 60))
)
FOLLOWUP_REMINDER_MINUTES = int(os.environ.get("FOLLOWUP_REMINDER_MINUTES", str(14 * 24 * 60)))
FOLLOWUP_SATISFACTION_MINUTES = int(os.environ.get("FOLLOWUP_SATISFACTION_MINUTES", str(24 * 60)))
FOLLOWUP_CAP = 3  # emails to one address
FOLLOWUP_CAP_DAYS = 30
# Follow-ups of one address due within this many minutes of each other go as one email (one
# care check for the orders delivered that week), so the cap never starves a review request.
FOLLOWUP_MERGE_MINUTES = int(os.environ.get("FOLLOWUP_MERGE_MINUTES", str(7 * 24 * 60)))
FOLLOWUP_BATCH = int(os.environ.get("FOLLOWUP_BATCH", "500"))
# Dispatchers beat's run starts when more than a batch is due: one per worker process (the
# Procfile's worker runs 2), so a backlog after an outage is sent by every core.
FOLLOWUP_DISPATCHERS = int(os.environ.get("FOLLOWUP_DISPATCHERS", "2"))
FOLLOWUP_LINK_DAYS = 180
# /healthz answers 503 when no dispatcher ran for this long (beat starts one a minute).
HEALTHZ_DISPATCHER_MINUTES = int(os.environ.get("HEALTHZ_DISPATCHER_MINUTES", "30"))
SHIP_ON_TIME_DAYS = int(os.environ.get("SHIP_ON_TIME_DAYS", "2"))
BRANDING_THRESHOLDS = {
    "reviews": 50,
    "mean": 4.3,
    "review_conversion": 15,
    "first_response_hours": 24,
    "satisfaction": 85,
    "on_time": 95,
    "repeat_buyers": 20,
}

# ---- WeChat Pay (issue 16) ----
# API v3, direct merchant (直连商户). Read by payments.gateways.wechat, which refuses a half-set
# provider (ImproperlyConfigured naming the missing variable); all empty = WeChat Pay is off.
# Keys are PEM text or the path of a PEM file. Responses and notifications are verified either
# with the "WeChat Pay public key" (WECHATPAY_PUBLIC_KEY + WECHATPAY_PUBLIC_KEY_ID, the mode new
# merchants get) or with platform certificates kept in WECHATPAY_CERT_DIR.
WECHATPAY_MCHID = os.environ.get("WECHATPAY_MCHID", "")
WECHATPAY_APPID = os.environ.get("WECHATPAY_APPID", "")
WECHATPAY_APIV3_KEY = os.environ.get("WECHATPAY_APIV3_KEY", "")
WECHATPAY_PRIVATE_KEY = os.environ.get("WECHATPAY_PRIVATE_KEY", "")
WECHATPAY_CERT_SERIAL_NO = os.environ.get("WECHATPAY_CERT_SERIAL_NO", "")
WECHATPAY_PUBLIC_KEY = os.environ.get("WECHATPAY_PUBLIC_KEY", "")
WECHATPAY_PUBLIC_KEY_ID = os.environ.get("WECHATPAY_PUBLIC_KEY_ID", "")
WECHATPAY_CERT_DIR = os.environ.get("WECHATPAY_CERT_DIR", "")
# Tests point this at a local stand-in; the SDK itself hard-codes the production address.
WECHATPAY_API_URL = os.environ.get("WECHATPAY_API_URL", "https://api.mch.weixin.qq.com")

# ---------------------------------------------------------------- online payment
# An unpaid online order holds its stock this long, then a beat job closes it (stock back).
PAYMENT_HOLD_MINUTES = int(os.environ.get("PAYMENT_HOLD_MINUTES", "30"))
# A pending attempt older than this is asked about (its notification may have been lost).
PAYMENT_RECONCILE_AFTER_MINUTES = int(os.environ.get("PAYMENT_RECONCILE_AFTER_MINUTES", "5"))
PAYMENT_GATEWAY_TIMEOUT = int(os.environ.get("PAYMENT_GATEWAY_TIMEOUT", "10"))
# Alipay (支付宝), RSA2: keys as PEM text or the path of a PEM file. ALIPAY_APP_ID set turns it on.
ALIPAY_APP_ID = os.environ.get("ALIPAY_APP_ID", "")
ALIPAY_APP_PRIVATE_KEY = os.environ.get("ALIPAY_APP_PRIVATE_KEY", "")
ALIPAY_PUBLIC_KEY = os.environ.get("ALIPAY_PUBLIC_KEY", "")
ALIPAY_SELLER_ID = os.environ.get("ALIPAY_SELLER_ID", "")
ALIPAY_GATEWAY_URL = os.environ.get("ALIPAY_GATEWAY_URL", "https://openapi.alipay.com/gateway.do")
# The demo's pretend provider pages (/payments/sandbox/...): only ever on with DEBUG.
PAYMENT_SANDBOX = False
PAYMENT_SANDBOX_ALIPAY_PRIVATE_KEY = ""
# The demo's pretend WeChat Pay signs with this "platform" key (PEM text or a file path).
PAYMENT_SANDBOX_WECHAT_PRIVATE_KEY = ""
# The pay button's POST answers with a redirect to the provider, and Chrome applies form-action
# to that redirect: the providers' payment hosts must be allowed, or the buyer is stopped there.
CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"] += [
    f"{_url.scheme}://{_url.netloc}"
    for _url in [urlsplit(ALIPAY_GATEWAY_URL)]
    if _url.scheme == "https"
] + ["https://wx.tenpay.com"]  # WeChat Pay's H5 payment page
