"""The Aliyun adapter against its local stand-in, which checks every request's signature."""

import json
import socket

import pytest
from django.core.exceptions import ImproperlyConfigured

from messaging.channels import Undeliverable
from messaging.sms import (
    SmsRefused,
    SmsRetryable,
    SmsUnreachable,
    get_provider,
    receipt_parser,
    send_sms,
)
from messaging.sms.aliyun import CODES, AliyunSms, classify

from .standins import AliyunStandIn


def shipped(**kwargs):
    return send_sms(
        "order.shipped",
        kwargs.pop("phone", "+8613800138000"),
        {"number": "1024", "courier": "顺丰"},
        idempotency_key=kwargs.pop("key", "order:1024:shipped:sms"),
    )


def test_a_signed_request_is_accepted_and_returns_the_biz_id(aliyun):
    result = shipped()

    assert result.provider_id == "9006197469364901^0"
    [request] = aliyun.requests
    params = request["params"]
    assert params["Action"] == "SendSms" and params["Version"] == "2017-05-25"
    assert params["PhoneNumbers"] == "13800138000"  # 11 digits, no +86
    assert params["SignName"] == "织里衣坊"
    assert params["TemplateCode"] == "SMS_465950001"
    assert json.loads(params["TemplateParam"]) == {"number": "1024", "courier": "顺丰"}
    assert params["OutId"] == "order:1024:shipped:sms"
    # Everything is in the form body, nothing about the buyer in the URL.
    assert request["path"] == "/" and b"PhoneNumbers=13800138000" in request["body"]


def test_every_request_has_its_own_nonce(aliyun):
    shipped(key="a")
    shipped(key="b")

    assert aliyun.accepted == 2
    nonces = {r["params"]["SignatureNonce"] for r in aliyun.requests}
    assert len(nonces) == 2


def test_a_wrong_secret_is_refused_by_the_standin_and_is_permanent(aliyun, settings):
    settings.SMS_ALIYUN_ACCESS_KEY_SECRET = "not-the-secret"

    with pytest.raises(SmsRefused) as refused:
        shipped()

    assert refused.value.code == "SignatureDoesNotMatch"
    assert refused.value.category == "credentials" and refused.value.scope == "account"
    assert isinstance(refused.value, Undeliverable)  # messaging fails the row, no retries
    assert aliyun.accepted == 0


def test_an_unknown_key_id_is_refused(aliyun, settings):
    settings.SMS_ALIYUN_ACCESS_KEY_ID = "LTAIsomeoneelse"

    with pytest.raises(SmsRefused) as refused:
        shipped()
    assert refused.value.code == "InvalidAccessKeyId.NotFound"


@pytest.mark.parametrize(
    ("code", "retry", "category", "scope"),
    [
        ("isv.BUSINESS_LIMIT_CONTROL", True, "throttled", "recipient"),
        ("isv.DAY_LIMIT_CONTROL", True, "throttled", "account"),
        ("Throttling.User", True, "throttled", "account"),
        ("isp.SYSTEM_ERROR", True, "provider_error", "account"),
        ("isv.MOBILE_NUMBER_ILLEGAL", False, "bad_number", "recipient"),
        ("isv.SMS_TEMPLATE_ILLEGAL", False, "template", "account"),
        ("isv.SMS_SIGNATURE_ILLEGAL", False, "sign_name", "account"),
        ("isv.AMOUNT_NOT_ENOUGH", False, "balance", "account"),
        ("isv.OUT_OF_SERVICE", False, "balance", "account"),
        ("isv.PARAM_NOT_SUPPORT_URL", False, "content", "message"),
        ("isp.RAM_PERMISSION_DENY", False, "account", "account"),
        ("isv.SOMETHING_NEW", False, "request", "account"),  # unknown caller-side code
        ("isp.SOMETHING_NEW", True, "provider_error", "account"),  # unknown platform code
    ],
)
def test_each_error_code_from_the_standin_becomes_retry_or_refuse(
    aliyun, code, retry, category, scope
):
    aliyun.error = code

    with pytest.raises(SmsRetryable if retry else SmsRefused) as raised:
        shipped()

    assert raised.value.code == code
    assert (raised.value.category, raised.value.scope) == (category, scope)
    assert str(raised.value.reason)  # a sentence for the owner


def test_every_mapped_code_is_classified_as_the_table_says():
    for code, (retry, category, scope) in CODES.items():
        error = classify(code, "text")
        assert isinstance(error, SmsRetryable) is retry, code
        assert isinstance(error, SmsRefused) is not retry, code
        assert (error.category, error.scope) == (category, scope), code


def test_a_timeout_is_retryable(aliyun, settings):
    settings.SMS_TIMEOUT_SECONDS = 0.2
    aliyun.delay = 1.0

    with pytest.raises(SmsUnreachable) as raised:
        shipped()
    assert isinstance(raised.value, SmsRetryable)
    assert not isinstance(raised.value, Undeliverable)


def test_a_refused_connection_is_retryable(aliyun, settings):
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    settings.SMS_ALIYUN_ENDPOINT = f"http://127.0.0.1:{port}/"

    with pytest.raises(SmsUnreachable):
        shipped()


def test_a_gateway_page_instead_of_json_is_retried_and_a_404_is_not(aliyun):
    aliyun.raw = (502, b"<html>Bad Gateway</html>")
    with pytest.raises(SmsRetryable) as raised:
        shipped()
    assert raised.value.code == "http.502"

    aliyun.raw = (404, b"not here")
    with pytest.raises(SmsRefused) as refused:
        shipped()
    assert refused.value.code == "http.404"


@pytest.mark.parametrize(
    "missing", ["SMS_ALIYUN_ACCESS_KEY_ID", "SMS_ALIYUN_ACCESS_KEY_SECRET", "SMS_SIGN_NAME"]
)
def test_a_half_configuration_refuses_to_send_and_makes_no_request(aliyun, settings, missing):
    setattr(settings, missing, "")

    with pytest.raises(ImproperlyConfigured, match=missing):
        shipped()
    assert aliyun.requests == []


def test_a_kind_without_template_refuses_to_send(aliyun):
    with pytest.raises(ImproperlyConfigured, match="order.delivered"):
        send_sms("order.delivered", "+8613800138000", {}, idempotency_key="k")
    assert aliyun.requests == []


@pytest.mark.parametrize("phone", ["13800138000", "+86 138 0013 8000", "+861012345678", "+8610"])
def test_a_number_that_is_not_a_mainland_mobile_in_e164_is_refused_before_sending(aliyun, phone):
    with pytest.raises(SmsRefused) as refused:
        shipped(phone=phone)
    assert refused.value.category == "bad_number" and refused.value.scope == "recipient"
    assert aliyun.requests == []


def test_a_number_abroad_goes_as_country_code_and_number(aliyun):
    aliyun.error = None
    provider = get_provider()
    params = provider.params("+85291234567", "SMS_1", {}, sign_name="x", idempotency_key="k")
    assert params["PhoneNumbers"] == "85291234567"


def test_a_long_idempotency_key_travels_as_a_digest():
    provider = AliyunSms(access_key_id="id", access_key_secret="s")
    params = provider.params(
        "+8613800138000", "SMS_1", {}, sign_name="x", idempotency_key="k" * 300
    )
    assert len(params["OutId"]) == 32


def test_receipts_parse_delivered_and_failed():
    body = json.dumps(
        [
            {
                "phone_number": "13800138000",
                "send_time": "2026-12-01 10:00:00",
                "report_time": "2026-12-01 10:00:05",
                "success": True,
                "err_code": "DELIVERED",
                "err_msg": "用户接收成功",
                "sms_size": "1",
                "biz_id": "9006197469364901^0",
                "out_id": "order:1024:shipped:sms",
            },
            {
                "phone_number": "13900139000",
                "success": False,
                "err_code": "MK:0001",
                "err_msg": "空号",
                "biz_id": "9006197469364902^0",
            },
            {"success": True},  # no biz_id: nothing to match, skipped
            "junk",
        ],
        ensure_ascii=False,
    ).encode()

    first, second = receipt_parser("aliyun").parse_receipts(body)

    assert (first.provider_id, first.delivered, first.error) == ("9006197469364901^0", True, "")
    assert (second.provider_id, second.delivered) == ("9006197469364902^0", False)
    assert second.error == "MK:0001 空号" and second.phone == "13900139000"
    assert json.loads(AliyunSms.receipt_ack)["code"] == 0


@pytest.mark.parametrize("body", [b"", b"not json", b'"a string"', b"\xff\xfe", b"[" * 2_000_000])
def test_a_malformed_receipt_push_raises_receipt_invalid(body):
    from messaging.sms import ReceiptInvalid

    with pytest.raises(ReceiptInvalid):
        AliyunSms.parse_receipts(body)


def test_the_standin_really_checks_signatures():
    # A forged request (right key id, made-up signature) is refused by the stand-in itself.
    import urllib.parse
    import urllib.request

    with AliyunStandIn({"id": "secret"}) as standin:
        body = urllib.parse.urlencode(
            {
                "AccessKeyId": "id",
                "Action": "SendSms",
                "Signature": "Zm9yZ2Vk",
                "SignatureMethod": "HMAC-SHA1",
                "SignatureVersion": "1.0",
                "SignatureNonce": "n",
                "Timestamp": "2026-01-01T00:00:00Z",
            }
        ).encode()
        request = urllib.request.Request(  # noqa: S310 (the stand-in's http://127.0.0.1 URL)
            standin.url,
            data=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        with pytest.raises(urllib.error.HTTPError) as answer:
            urllib.request.urlopen(request, timeout=2)  # noqa: S310
        assert json.loads(answer.value.read())["Code"] == "SignatureDoesNotMatch"
