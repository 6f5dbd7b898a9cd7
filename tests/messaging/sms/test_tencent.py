"""The Tencent Cloud adapter against its local stand-in, which checks every request's signature."""

import json

import pytest
from django.core.exceptions import ImproperlyConfigured

from messaging.channels import Undeliverable
from messaging.sms import (
    ReceiptInvalid,
    SmsRefused,
    SmsRetryable,
    SmsUnreachable,
    receipt_parser,
    send_sms,
)
from messaging.sms.tencent import CODES, TencentSms, classify


def shipped(**kwargs):
    return send_sms(
        "order.shipped",
        kwargs.pop("phone", "+8613800138000"),
        # Given out of the template's order: the adapter sends them in SMS_TEMPLATES' order.
        {"courier": "顺丰", "number": "1024", "extra": "ignored"},
        idempotency_key=kwargs.pop("key", "order:1024:shipped:sms"),
    )


def test_a_signed_request_is_accepted_and_returns_the_serial_no(tencent):
    result = shipped()

    assert result.provider_id == "2433:00000000000000000001"
    [request] = tencent.requests
    assert request["headers"]["x-tc-action"] == "SendSms"
    assert request["headers"]["x-tc-version"] == "2021-01-11"
    assert request["headers"]["x-tc-region"] == "ap-guangzhou"
    assert "SignedHeaders=content-type;host;x-tc-action," in request["headers"]["authorization"]
    assert request["json"] == {
        "PhoneNumberSet": ["+8613800138000"],  # E.164, as Tencent wants it
        "SmsSdkAppId": "1400000001",
        "SignName": "织里衣坊",
        "TemplateId": "SMS_465950001",
        "TemplateParamSet": ["1024", "顺丰"],  # strings, in the template's order
        "SessionContext": "order:1024:shipped:sms",
    }


def test_the_region_comes_from_settings(tencent, settings):
    settings.SMS_TENCENT_REGION = "ap-beijing"
    shipped()
    assert tencent.requests[0]["headers"]["x-tc-region"] == "ap-beijing"


def test_a_wrong_secret_key_is_refused_by_the_standin_and_is_permanent(tencent, settings):
    settings.SMS_TENCENT_SECRET_KEY = "not-the-key"

    with pytest.raises(SmsRefused) as refused:
        shipped()

    assert refused.value.code == "AuthFailure.SignatureFailure"
    assert refused.value.category == "credentials" and refused.value.scope == "account"
    assert isinstance(refused.value, Undeliverable)
    assert tencent.accepted == 0


def test_an_unknown_secret_id_is_refused(tencent, settings):
    settings.SMS_TENCENT_SECRET_ID = "AKIDsomeoneelse"
    with pytest.raises(SmsRefused) as refused:
        shipped()
    assert refused.value.code == "AuthFailure.SecretIdNotFound"


def test_a_wrong_app_id_is_refused(tencent, settings):
    settings.SMS_TENCENT_SDK_APP_ID = "1400999999"
    with pytest.raises(SmsRefused) as refused:
        shipped()
    assert refused.value.code == "InvalidParameterValue.SdkAppIdNotExist"


@pytest.mark.parametrize(
    ("level", "code", "retry", "category", "scope"),
    [
        ("number", "LimitExceeded.PhoneNumberDailyLimit", True, "throttled", "recipient"),
        ("number", "LimitExceeded.PhoneNumberThirtySecondLimit", True, "throttled", "recipient"),
        ("request", "RequestLimitExceeded", True, "throttled", "account"),
        ("request", "InternalError.Timeout", True, "provider_error", "account"),
        ("number", "InvalidParameterValue.IncorrectPhoneNumber", False, "bad_number", "recipient"),
        ("number", "FailedOperation.PhoneNumberInBlacklist", False, "blocked_number", "recipient"),
        ("request", "FailedOperation.TemplateUnapprovedOrNotExist", False, "template", "account"),
        ("number", "FailedOperation.TemplateIncorrectOrUnapproved", False, "template", "account"),
        (
            "request",
            "FailedOperation.SignatureIncorrectOrUnapproved",
            False,
            "sign_name",
            "account",
        ),
        ("request", "FailedOperation.InsufficientBalanceInSmsPackage", False, "balance", "account"),
        (
            "request",
            "UnauthorizedOperation.SerivceSuspendDueToArrears",
            False,
            "balance",
            "account",
        ),
        ("number", "FailedOperation.ContainSensitiveWord", False, "content", "message"),
        ("request", "UnauthorizedOperation.RequestIpNotInWhitelist", False, "account", "account"),
        ("request", "FailedOperation.SomethingNew", False, "request", "account"),
        ("request", "ResourceUnavailable.SomethingNew", True, "provider_error", "account"),
    ],
)
def test_each_error_code_from_the_standin_becomes_retry_or_refuse(
    tencent, level, code, retry, category, scope
):
    tencent.error, tencent.error_level = code, level

    with pytest.raises(SmsRetryable if retry else SmsRefused) as raised:
        shipped()

    assert raised.value.code == code
    assert (raised.value.category, raised.value.scope) == (category, scope)


def test_every_mapped_code_is_classified_as_the_table_says():
    for code, (retry, category, scope) in CODES.items():
        error = classify(code, "text")
        assert isinstance(error, SmsRetryable) is retry, code
        assert (error.category, error.scope) == (category, scope), code
    # Tencent's pages spell some codes with different case: the same meaning.
    assert classify("InvalidParameterValue.SdkAppidNotExist").category == "account"


def test_the_per_number_status_decides_even_when_the_request_succeeded(tencent):
    tencent.error, tencent.error_level = "LimitExceeded.PhoneNumberOneHourLimit", "number"
    with pytest.raises(SmsRetryable) as raised:
        shipped()
    assert "stand-in answers" in raised.value.text


def test_a_timeout_is_retryable(tencent, settings):
    settings.SMS_TIMEOUT_SECONDS = 0.2
    tencent.delay = 1.0
    with pytest.raises(SmsUnreachable):
        shipped()


def test_an_answer_that_is_not_the_apis_json_is_retried_on_5xx(tencent):
    tencent.raw = (503, b"Service Unavailable")
    with pytest.raises(SmsRetryable) as raised:
        shipped()
    assert raised.value.code == "http.503"

    tencent.raw = (200, b'{"Response": {"SendStatusSet": []}}')
    with pytest.raises(SmsRetryable):
        shipped()


@pytest.mark.parametrize(
    "missing",
    ["SMS_TENCENT_SECRET_ID", "SMS_TENCENT_SECRET_KEY", "SMS_TENCENT_SDK_APP_ID", "SMS_SIGN_NAME"],
)
def test_a_half_configuration_refuses_to_send_and_makes_no_request(tencent, settings, missing):
    setattr(settings, missing, "")
    with pytest.raises(ImproperlyConfigured, match=missing):
        shipped()
    assert tencent.requests == []


def test_missing_template_values_are_refused_before_sending(tencent):
    with pytest.raises(SmsRefused) as refused:
        send_sms("order.shipped", "+8613800138000", {"number": "1"}, idempotency_key="k")
    assert refused.value.code == "local.missing_params" and "courier" in refused.value.text
    assert tencent.requests == []


def test_a_landline_is_refused_before_sending(tencent):
    with pytest.raises(SmsRefused):
        shipped(phone="+862088888888")
    assert tencent.requests == []


def test_receipts_parse_delivered_and_failed():
    body = json.dumps(
        [
            {
                "user_receive_time": "2026-12-01 10:00:05",
                "nationcode": "86",
                "mobile": "13800138000",
                "report_status": "SUCCESS",
                "errmsg": "DELIVRD",
                "description": "用户短信送达成功",
                "sid": "2433:00000000000000000001",
            },
            {
                "nationcode": "86",
                "mobile": "13900139000",
                "report_status": "FAIL",
                "errmsg": "MN:0001",
                "description": "空号",
                "sid": "2433:00000000000000000002",
            },
            {"report_status": "SUCCESS"},
        ],
        ensure_ascii=False,
    ).encode()

    first, second = receipt_parser("tencent").parse_receipts(body)

    assert (first.provider_id, first.delivered, first.error) == (
        "2433:00000000000000000001",
        True,
        "",
    )
    assert first.phone == "+8613800138000"
    assert (second.delivered, second.error) == (False, "MN:0001 空号")
    assert json.loads(TencentSms.receipt_ack) == {"result": 0, "errmsg": "OK"}


def test_a_malformed_receipt_push_raises_receipt_invalid():
    with pytest.raises(ReceiptInvalid):
        TencentSms.parse_receipts(b"{oops")
