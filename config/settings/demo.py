"""The one-command demo and local development: SQLite, a broker with no server, DEBUG on.

Safe because it binds to localhost only; never use it on a public host.
"""

import os

os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("SERVE_MEDIA", "1")

from .base import *  # noqa: E402,F403
from .base import env_bool  # noqa: E402

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY") or "demo-only-not-secret-0f7c2a9e61b54d3c8a1e"
SERVE_MEDIA = True


def demo_site_url(environ) -> str:
    """The address the demo's links point at: SITE_URL when set, else the host and port the
    demo's web process binds (scripts/demo exports PORT), so `PORT=8101 make demo` writes
    :8101 into its emails, headers and JSON-LD, not base's :8000."""
    if environ.get("SITE_URL"):
        return environ["SITE_URL"]
    host = environ.get("HOST") or "127.0.0.1"
    port = environ.get("PORT") or "8000"
    if not port.isdigit() or not 0 < int(port) < 65536:
        port = "8000"  # a bad PORT fails runserver anyway; links stay well-formed meanwhile
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 address in a URL
    return f"http://{host}:{port}"


SITE_URL = demo_site_url(os.environ)
# Nothing leaves the machine: every message is a row of messaging's table, on the /outbox/ page.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "messaging.backends.DemoBackend")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {"BACKEND": "shop.storage.PrivateStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Demo delays in minutes, so a newcomer can walk the whole loop in a few minutes.
FOLLOWUP_CARE_CHECK_MINUTES = int(os.environ.get("FOLLOWUP_CARE_CHECK_MINUTES", "1"))
FOLLOWUP_REVIEW_REQUEST_MINUTES = int(os.environ.get("FOLLOWUP_REVIEW_REQUEST_MINUTES", "2"))
FOLLOWUP_REMINDER_MINUTES = int(os.environ.get("FOLLOWUP_REMINDER_MINUTES", "5"))
FOLLOWUP_SATISFACTION_MINUTES = int(os.environ.get("FOLLOWUP_SATISFACTION_MINUTES", "1"))
FOLLOWUP_MERGE_MINUTES = int(os.environ.get("FOLLOWUP_MERGE_MINUTES", "2"))

ADMIN_URL = os.environ.get("ADMIN_URL", "django-admin").strip().strip("/")

# runserver prints each request already.
LOGGING["loggers"] = {**LOGGING["loggers"], "shop.requests": {"level": "WARNING"}}  # noqa: F405

# ---------------------------------------------------------------- sms
# The demo's SMS are kept by the console provider (and logged), never sent.
SMS_PROVIDER = os.environ.get("SMS_PROVIDER", "console")

# ---------------------------------------------------------------- payment sandbox
# With the keys scripts/demo generates into VAR_DIR (manage.py payment_sandbox_keys), Alipay and
# WeChat Pay are configured against the demo's own pretend services (/payments/sandbox/...,
# payments/sandbox_views.py): a newcomer walks online payment with no account, and the shop's
# SDKs sign, verify (and for WeChat Pay decrypt) exactly as with the real providers.
_sandbox_dir = VAR_DIR / "payment-sandbox"  # noqa: F405
_sandbox_keys = {
    "app": _sandbox_dir / "alipay_app_private.pem",
    "alipay": _sandbox_dir / "alipay_sandbox_private.pem",
    "alipay_public": _sandbox_dir / "alipay_sandbox_public.pem",
}
if (
    DEBUG
    and not os.environ.get("ALIPAY_APP_ID")
    and all(p.exists() for p in _sandbox_keys.values())
):
    PAYMENT_SANDBOX = True
    ALIPAY_APP_ID = "2021000000000000"
    ALIPAY_APP_PRIVATE_KEY = str(_sandbox_keys["app"])
    ALIPAY_PUBLIC_KEY = str(_sandbox_keys["alipay_public"])
    ALIPAY_SELLER_ID = "2088000000000001"
    ALIPAY_GATEWAY_URL = SITE_URL + "/payments/sandbox/alipay/gateway.do"
    PAYMENT_SANDBOX_ALIPAY_PRIVATE_KEY = str(_sandbox_keys["alipay"])

_wechat_keys = {
    "merchant": _sandbox_dir / "wechat_merchant_private.pem",
    "platform": _sandbox_dir / "wechat_sandbox_private.pem",
    "platform_public": _sandbox_dir / "wechat_sandbox_public.pem",
    "apiv3": _sandbox_dir / "wechat_apiv3_key.txt",
}
if (
    DEBUG
    and not os.environ.get("WECHATPAY_MCHID")
    and all(p.exists() for p in _wechat_keys.values())
):
    PAYMENT_SANDBOX = True
    WECHATPAY_MCHID = "1900000109"
    WECHATPAY_APPID = "wx0000000000sandbox"
    WECHATPAY_APIV3_KEY = _wechat_keys["apiv3"].read_text().strip()
    WECHATPAY_PRIVATE_KEY = str(_wechat_keys["merchant"])
    WECHATPAY_CERT_SERIAL_NO = "5A4D0000000000000000000000000000SANDBOX0"
    WECHATPAY_PUBLIC_KEY = str(_wechat_keys["platform_public"])
    WECHATPAY_PUBLIC_KEY_ID = "PUB_KEY_ID_0114000000000000000000000000000000"
    WECHATPAY_CERT_DIR = ""
    WECHATPAY_API_URL = SITE_URL + "/payments/sandbox/wechat"
    PAYMENT_SANDBOX_WECHAT_PRIVATE_KEY = str(_wechat_keys["platform"])

if PAYMENT_SANDBOX:  # noqa: F405
    # Short enough to watch an unpaid order close, long enough to pay.
    PAYMENT_HOLD_MINUTES = int(os.environ.get("PAYMENT_HOLD_MINUTES", "15"))
    PAYMENT_RECONCILE_AFTER_MINUTES = int(os.environ.get("PAYMENT_RECONCILE_AFTER_MINUTES", "2"))
