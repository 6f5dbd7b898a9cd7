"""A half-configured provider: `manage.py check` fails (payments.E001) and production settings
refuse to start."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from payments.checks import payment_settings
from payments.sandbox import new_key_pair
from tests.test_settings import run_check

SECRET = "k" * 20 + "9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1908"


def test_production_refuses_a_half_configured_alipay():
    result = run_check(SECRET_KEY=SECRET, ALIPAY_APP_ID="2021000000000042")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert (
        "alipay is half configured: set ALIPAY_APP_PRIVATE_KEY, ALIPAY_PUBLIC_KEY" in result.stderr
    )


def test_check_reports_missing_and_unreadable_keys(settings):
    settings.ALIPAY_APP_ID = "2021000000000042"
    settings.ALIPAY_APP_PRIVATE_KEY = new_key_pair()[0]
    settings.ALIPAY_PUBLIC_KEY = ""
    errors = payment_settings()
    assert [e.id for e in errors] == ["payments.E001"]
    assert "ALIPAY_PUBLIC_KEY" in errors[0].msg
    with pytest.raises(SystemCheckError, match="payments.E001"):
        call_command("check")
    settings.ALIPAY_PUBLIC_KEY = "/nonexistent/alipay_public.pem"
    assert "not a readable RSA key" in payment_settings()[0].msg
    settings.ALIPAY_PUBLIC_KEY = new_key_pair()[1]
    assert payment_settings() == []


def test_keys_may_be_file_paths(settings, tmp_path, alipay, db):
    from payments.gateways import get_gateway

    private, public = tmp_path / "app.pem", tmp_path / "alipay.pem"
    private.write_text(alipay.app_private_pem)
    public.write_text(alipay.alipay_public_pem)
    settings.ALIPAY_APP_PRIVATE_KEY = str(private)
    settings.ALIPAY_PUBLIC_KEY = str(public)
    assert payment_settings() == []
    assert get_gateway("alipay").query("P-none").state == "unknown"


def test_nothing_set_is_fine(settings):
    settings.ALIPAY_APP_ID = settings.ALIPAY_APP_PRIVATE_KEY = settings.ALIPAY_PUBLIC_KEY = ""
    assert payment_settings() == []


# ---------------------------------------------------------------- WeChat Pay


def _wechat_settings():
    from .wechat_standin import Keys, WechatStandin

    return WechatStandin(Keys()).settings_for("https://api.mch.weixin.qq.com")


def test_production_refuses_a_half_configured_wechat_pay():
    result = run_check(SECRET_KEY=SECRET, WECHATPAY_MCHID="1900000109")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "wechat: WeChat Pay is half configured: WECHATPAY_APPID is missing." in result.stderr
    assert "WECHATPAY_CERT_SERIAL_NO is missing" in result.stderr


def test_production_starts_with_wechat_pay_fully_set():
    values = _wechat_settings()
    result = run_check(SECRET_KEY=SECRET, **values)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "missing", ["WECHATPAY_MCHID", "WECHATPAY_APIV3_KEY", "WECHATPAY_PUBLIC_KEY_ID"]
)
def test_check_names_the_missing_wechat_variable(settings, missing):
    for name, value in (_wechat_settings() | {missing: ""}).items():
        setattr(settings, name, value)
    errors = payment_settings()
    assert [e.id for e in errors] == ["payments.E001"]
    assert errors[0].msg == f"wechat: WeChat Pay is half configured: {missing} is missing."
    with pytest.raises(SystemCheckError, match=missing):
        call_command("check")


def test_check_passes_wechat_pay_fully_set_or_unset(settings):
    values = _wechat_settings()
    for name, value in values.items():
        setattr(settings, name, value)
    assert payment_settings() == []
    settings.WECHATPAY_APIV3_KEY = "too-short"
    assert [e.msg for e in payment_settings()] == [
        "wechat: WECHATPAY_APIV3_KEY must be the 32-character APIv3 key."
    ]
    for name in values:
        setattr(settings, name, "")
    assert payment_settings() == []
