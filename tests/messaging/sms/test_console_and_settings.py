"""The console provider (what the demo and other apps' tests count), settings and the check."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from messaging.sms import SmsRefused, get_provider, send_sms
from messaging.sms.checks import check_sms_configuration
from messaging.sms.console import ConsoleSms, masked, outbox


@pytest.fixture
def console(settings, templates):
    settings.SMS_PROVIDER = "console"


def test_the_console_keeps_what_would_be_sent_with_the_text_the_buyer_reads(console):
    result = send_sms(
        "order.shipped",
        "+8613800138000",
        {"number": "1024", "courier": "顺丰"},
        idempotency_key="order:1024:shipped:sms",
        text="订单1024已由顺丰发出。退订回TD",
    )

    [sms] = outbox
    assert sms.provider_id == result.provider_id
    assert sms.phone == "+8613800138000"
    assert sms.template == "SMS_465950001"
    assert sms.params == {"number": "1024", "courier": "顺丰"}
    assert sms.text == "【织里衣坊】订单1024已由顺丰发出。退订回TD"
    assert sms.parts == 1


def test_the_same_key_gets_the_same_id_and_other_keys_other_ids(console):
    first = send_sms("order.placed", "+8613800138000", {}, idempotency_key="a")
    again = send_sms("order.placed", "+8613800138000", {}, idempotency_key="a")
    other = send_sms("order.placed", "+8613800138000", {}, idempotency_key="b")

    assert first.provider_id == again.provider_id != other.provider_id
    assert len(outbox) == 3  # it counts sends; deduplicating is the Message row's job


def test_the_console_refuses_a_bad_number_like_a_real_provider(console):
    with pytest.raises(SmsRefused):
        send_sms("order.placed", "138", {}, idempotency_key="k")
    assert outbox == []


def test_the_log_masks_the_number(console, caplog):
    caplog.set_level("INFO", logger="messaging.sms.console")
    send_sms("order.placed", "+8613800138000", {}, idempotency_key="k", text="hi")
    assert "+86138****8000" in caplog.text and "13800138000" not in caplog.text
    assert masked("+8613800138000") == "+86138****8000"


def test_console_receipts_for_the_demo():
    [receipt] = ConsoleSms().parse_receipts(b'[{"provider_id": "console-1", "delivered": true}]')
    assert receipt.delivered and receipt.provider_id == "console-1"


def test_the_provider_is_read_from_settings_at_send_time(settings, templates):
    settings.SMS_PROVIDER = "console"
    assert get_provider().name == "console"
    settings.SMS_PROVIDER = "tencent"
    settings.SMS_TENCENT_SECRET_ID, settings.SMS_TENCENT_SECRET_KEY = "id", "key"
    settings.SMS_TENCENT_SDK_APP_ID = "1400000001"
    assert get_provider().name == "tencent"


def test_a_dotted_path_names_a_provider_class(settings):
    settings.SMS_PROVIDER = "messaging.sms.console.ConsoleSms"
    assert isinstance(get_provider(), ConsoleSms)


def test_the_check_names_every_missing_setting(settings):
    settings.SMS_PROVIDER = "aliyun"
    settings.SMS_ALIYUN_ACCESS_KEY_ID = "id"
    settings.SMS_ALIYUN_ACCESS_KEY_SECRET = ""
    settings.SMS_SIGN_NAME = ""

    errors = check_sms_configuration()

    assert {e.id for e in errors} == {"messaging.sms.E001"}
    text = " ".join(e.msg for e in errors)
    assert "SMS_ALIYUN_ACCESS_KEY_SECRET" in text and "SMS_SIGN_NAME" in text
    assert "SMS_ALIYUN_ACCESS_KEY_ID" not in text


def test_the_check_is_quiet_for_a_complete_configuration(settings, templates):
    settings.SMS_PROVIDER = "tencent"
    settings.SMS_TENCENT_SECRET_ID, settings.SMS_TENCENT_SECRET_KEY = "id", "key"
    settings.SMS_TENCENT_SDK_APP_ID = "1400000001"
    assert check_sms_configuration() == []


def test_the_console_default_needs_no_settings(settings):
    settings.SMS_PROVIDER = "console"
    assert check_sms_configuration() == []


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SMS_PROVIDER", "twilio", "use 'aliyun', 'tencent'"),
        ("SMS_PROVIDER", "no.such.Provider", "cannot be imported"),
        ("SMS_SIGN_NAME", "【织里衣坊】", "without 【】"),
        ("SMS_ALIYUN_ENDPOINT", "http://dysmsapi.aliyuncs.com/", "https://"),
        ("SMS_TEMPLATES", {"order.placed": ""}, "SMS_TEMPLATES['order.placed']"),
        ("SMS_TEMPLATES", {"order.placed": {"code": "1", "params": "number"}}, "list of variable"),
        ("SMS_TEMPLATES", ["SMS_1"], "must be a mapping"),
    ],
)
def test_the_check_and_get_provider_refuse_wrong_values(settings, templates, name, value, message):
    settings.SMS_PROVIDER = "aliyun"
    settings.SMS_ALIYUN_ACCESS_KEY_ID, settings.SMS_ALIYUN_ACCESS_KEY_SECRET = "id", "secret"
    setattr(settings, name, value)

    assert any(message in e.msg for e in check_sms_configuration())
    with pytest.raises(ImproperlyConfigured, match="SMS cannot be sent"):
        get_provider()
