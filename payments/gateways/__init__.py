"""The online payment providers by code, imported lazily by dotted path: a provider whose module
is missing or whose settings are not set counts as not configured."""

from django.utils.module_loading import import_string

from .base import Gateway

GATEWAYS = {
    "alipay": "payments.gateways.alipay.Alipay",
    "wechat": "payments.gateways.wechat.WechatPay",
}


def gateway_class(code: str) -> type[Gateway] | None:
    """The provider's class, or None when its code is unknown or its module is not there."""
    path = GATEWAYS.get(code)
    if path is None:
        return None
    try:
        return import_string(path)
    except ImportError:
        return None


def is_configured(code: str) -> bool:
    cls = gateway_class(code)
    return cls is not None and cls.configured()


def get_gateway(code: str) -> Gateway:
    """A ready provider. Raises LookupError when it is unknown or not configured."""
    cls = gateway_class(code)
    if cls is None or not cls.configured():
        raise LookupError(code)
    return cls()
