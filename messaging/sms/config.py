"""Which SMS provider sends, read from settings at send time, and one call to send a kind.

Settings (all optional for the console provider; the lead adds them to config/settings):

    SMS_PROVIDER = "console"        # "aliyun", "tencent", "console", or a dotted path to a class
    SMS_SIGN_NAME = "织里衣坊"        # the approved sign name, without 【】
    SMS_TEMPLATES = {               # Message.kind -> the provider's approved template
        "order.shipped": "SMS_123456789",                               # Aliyun: named values
        "order.placed": {"code": "1234567", "params": ["number", "link"]},  # order for Tencent
    }
    SMS_TIMEOUT_SECONDS = 5         # connect, and each read
    SMS_ALIYUN_ACCESS_KEY_ID / SMS_ALIYUN_ACCESS_KEY_SECRET
    SMS_ALIYUN_ENDPOINT = "https://dysmsapi.aliyuncs.com/"   SMS_ALIYUN_REGION = "cn-hangzhou"
    SMS_TENCENT_SECRET_ID / SMS_TENCENT_SECRET_KEY / SMS_TENCENT_SDK_APP_ID
    SMS_TENCENT_ENDPOINT = "https://sms.tencentcloudapi.com/" SMS_TENCENT_REGION = "ap-guangzhou"

Nothing is cached: a changed setting (or a test's `settings` fixture) counts from the next send.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from . import aliyun, tencent
from .base import SmsProvider, SmsResult
from .console import ConsoleSms
from .errors import SmsRefused

REQUIRED = {
    "aliyun": ["SMS_ALIYUN_ACCESS_KEY_ID", "SMS_ALIYUN_ACCESS_KEY_SECRET", "SMS_SIGN_NAME"],
    "tencent": [
        "SMS_TENCENT_SECRET_ID",
        "SMS_TENCENT_SECRET_KEY",
        "SMS_TENCENT_SDK_APP_ID",
        "SMS_SIGN_NAME",
    ],
    "console": [],
}
ENDPOINTS = {
    "aliyun": ("SMS_ALIYUN_ENDPOINT", aliyun.DEFAULT_ENDPOINT),
    "tencent": ("SMS_TENCENT_ENDPOINT", tencent.DEFAULT_ENDPOINT),
}
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def setting(name: str, default=""):
    value = getattr(settings, name, default)
    return value.strip() if isinstance(value, str) else value


def provider_name() -> str:
    return str(setting("SMS_PROVIDER", "console") or "console")


@dataclass(frozen=True)
class Template:
    code: str
    params: tuple[str, ...] | None = None  # the template's variables, in its order

    def values(self, params: Mapping) -> dict[str, str]:
        """`params` in the template's order, only its variables; SmsRefused if one is missing."""
        if self.params is None:
            return {str(k): v for k, v in params.items()}
        missing = [name for name in self.params if name not in params]
        if missing:
            raise SmsRefused(
                "local.missing_params",
                f"template {self.code} needs {', '.join(missing)}",
                category="template",
                scope="message",
            )
        return {name: params[name] for name in self.params}


def parse_template(kind: str, entry) -> Template:
    if isinstance(entry, str) and entry.strip():
        return Template(entry.strip())
    if isinstance(entry, Mapping) and isinstance(entry.get("code"), str) and entry["code"].strip():
        names = entry.get("params")
        if names is not None and not (
            isinstance(names, list | tuple) and all(isinstance(n, str) and n for n in names)
        ):
            raise ImproperlyConfigured(
                f"SMS_TEMPLATES[{kind!r}]['params'] must be a list of variable names"
            )
        return Template(entry["code"].strip(), tuple(names) if names is not None else None)
    raise ImproperlyConfigured(
        f"SMS_TEMPLATES[{kind!r}] must be a template code or {{'code': ..., 'params': [...]}}"
    )


def template_for(kind: str) -> Template:
    """The approved template for messages of `kind`; ImproperlyConfigured if none is set."""
    templates = setting("SMS_TEMPLATES", {}) or {}
    if not isinstance(templates, Mapping) or kind not in templates:
        raise ImproperlyConfigured(
            f"SMS_TEMPLATES has no template for {kind!r}: add the code the provider approved"
        )
    return parse_template(kind, templates[kind])


def configuration_problems(name: str | None = None) -> list[str]:
    """What is wrong with the SMS settings for provider `name` (default: SMS_PROVIDER), each
    naming the setting; empty when the provider can send."""
    name = name or provider_name()
    if name not in REQUIRED:
        if "." in name:
            try:
                import_string(name)
            except ImportError as error:
                return [f"SMS_PROVIDER {name!r} cannot be imported: {error}"]
            return []
        return [f"SMS_PROVIDER is {name!r}: use 'aliyun', 'tencent', 'console' or a dotted path"]
    problems = [
        f"SMS_PROVIDER is {name!r} but {setting_name} is missing or empty"
        for setting_name in REQUIRED[name]
        if not setting(setting_name)
    ]
    sign_name = setting("SMS_SIGN_NAME")
    if isinstance(sign_name, str) and ("【" in sign_name or "】" in sign_name):
        problems.append("SMS_SIGN_NAME must be the name alone, without 【】 (providers add them)")
    if name in ENDPOINTS:
        endpoint_setting, default = ENDPOINTS[name]
        endpoint = setting(endpoint_setting, default) or default
        parts = urlsplit(endpoint)
        if parts.scheme != "https" and not (
            parts.scheme == "http" and parts.hostname in LOCAL_HOSTS
        ):
            problems.append(
                f"{endpoint_setting} must be an https:// URL (http:// only for 127.0.0.1)"
            )
    templates = setting("SMS_TEMPLATES", {}) or {}
    if not isinstance(templates, Mapping):
        problems.append("SMS_TEMPLATES must be a mapping of message kinds to template codes")
    else:
        for kind, entry in templates.items():
            try:
                parse_template(kind, entry)
            except ImproperlyConfigured as error:
                problems.append(str(error))
    return problems


def timeout() -> float:
    try:
        seconds = float(setting("SMS_TIMEOUT_SECONDS", 5) or 5)
    except (TypeError, ValueError):
        seconds = 5.0
    return min(max(seconds, 0.1), 30.0)


def get_provider() -> SmsProvider:
    """The provider SMS_PROVIDER names, built from the settings as they are now.

    Raises ImproperlyConfigured, naming every missing or wrong setting, before any request.
    """
    name = provider_name()
    problems = configuration_problems(name)
    if problems:
        raise ImproperlyConfigured("SMS cannot be sent: " + "; ".join(problems))
    if name == "console":
        return ConsoleSms()
    if name == "aliyun":
        return aliyun.AliyunSms(
            access_key_id=setting("SMS_ALIYUN_ACCESS_KEY_ID"),
            access_key_secret=setting("SMS_ALIYUN_ACCESS_KEY_SECRET"),
            endpoint=setting("SMS_ALIYUN_ENDPOINT") or aliyun.DEFAULT_ENDPOINT,
            region=setting("SMS_ALIYUN_REGION") or aliyun.DEFAULT_REGION,
            timeout=timeout(),
        )
    if name == "tencent":
        return tencent.TencentSms(
            secret_id=setting("SMS_TENCENT_SECRET_ID"),
            secret_key=setting("SMS_TENCENT_SECRET_KEY"),
            sdk_app_id=str(setting("SMS_TENCENT_SDK_APP_ID")),
            region=setting("SMS_TENCENT_REGION") or tencent.DEFAULT_REGION,
            endpoint=setting("SMS_TENCENT_ENDPOINT") or tencent.DEFAULT_ENDPOINT,
            timeout=timeout(),
        )
    return import_string(name)()


RECEIPTS = {"aliyun": aliyun.AliyunSms, "tencent": tencent.TencentSms, "console": ConsoleSms}


def receipt_parser(name: str) -> type[SmsProvider]:
    """The provider class whose `parse_receipts(body)` and `receipt_ack` serve the receipt URL
    of provider `name` (chosen by the URL, not SMS_PROVIDER: receipts of a provider switched
    away from still arrive). KeyError for a name that has none."""
    return RECEIPTS[name]


def send_sms(
    kind: str, phone_e164: str, params: Mapping, *, idempotency_key: str, text: str = ""
) -> SmsResult:
    """Send the SMS of `kind` to `phone_e164` with the template SMS_TEMPLATES names for it.

    `params` are the template's values by name; `text` is what the buyer will read (our own
    rendering of the approved template: the console keeps it, real providers render their
    copy). Returns the provider's id. Raises SmsRetryable or SmsRefused (messaging.sms.errors),
    and ImproperlyConfigured when the settings are incomplete or `kind` has no template, before
    any request.
    """
    template = template_for(kind)
    provider = get_provider()
    return provider.send(
        phone_e164,
        template.code,
        template.values(params),
        sign_name=str(setting("SMS_SIGN_NAME") or ""),
        idempotency_key=idempotency_key,
        text=text,
    )
