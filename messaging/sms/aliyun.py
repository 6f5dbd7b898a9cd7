"""Aliyun SMS (dysmsapi, API version 2017-05-25, action SendSms), signed by hand.

Why not the SDK: `alibabacloud_dysmsapi20170525` pulls in the Tea runtime, alibabacloud
credentials, OpenAPI core, gateway and darabonba packages (a dozen distributions with their own
HTTP stack) for one signed POST. The request is small and Aliyun documents its signature
exactly, so it is built here with the standard library.

The signature is Aliyun's RPC signature, version 1.0 (HMAC-SHA1), as documented in "签名机制"
(help.aliyun.com/document_detail/28839.html) and the SMS copy of it, "Signature method"
(alibabacloud.com/help/en/sms/signature-method):

1. Take every request parameter except Signature, sort by name, and percent-encode names and
   values in UTF-8, leaving only A-Z a-z 0-9 - _ . ~ as they are (so a space is %20, never +,
   `*` is %2A and `~` stays): the canonicalized query string, `name=value` joined by `&`.
2. StringToSign = HTTPMethod + "&" + percentEncode("/") + "&" + percentEncode(canonicalized).
3. Signature = Base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign)).

The request is a POST with the parameters form-encoded in the body (RPC accepts either), so
the buyer's number and the message's values stay out of URLs and access logs.

Phone numbers: Aliyun wants mainland numbers as the 11 digits without prefix (it also accepts
86/+86/0086 before them) and other numbers as country code and number without "+"; E.164 in,
that out.
"""

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from urllib.parse import quote

from .base import (
    Receipt,
    SmsProvider,
    SmsResult,
    check_phone,
    http_request,
    json_answer,
    load_receipt_items,
    short_key,
    text_field,
    unparsed_answer,
)
from .errors import SmsError, SmsRefused, SmsRetryable

DEFAULT_ENDPOINT = "https://dysmsapi.aliyuncs.com/"
DEFAULT_REGION = "cn-hangzhou"
API_VERSION = "2017-05-25"

# Aliyun's codes (SendSms "API错误码", help.aliyun.com/document_detail/101346, and the common
# POP codes) -> (retry?, category, scope). Codes not listed: isv.* are the caller's (refused),
# anything else the platform's (retried, bounded by MESSAGING_MAX_ATTEMPTS).
CODES: dict[str, tuple[bool, str, str]] = {
    # throttled: the same request goes through later
    "isv.BUSINESS_LIMIT_CONTROL": (True, "throttled", "recipient"),  # per-number minute/hour/day
    "isv.DAY_LIMIT_CONTROL": (True, "throttled", "account"),  # the account's daily cap
    "isv.MONTH_LIMIT_CONTROL": (True, "throttled", "account"),
    "Throttling": (True, "throttled", "account"),
    "Throttling.User": (True, "throttled", "account"),
    "Throttling.Api": (True, "throttled", "account"),
    "SignatureNonceUsed": (True, "provider_error", "account"),  # a fresh nonce next time
    # the provider's own trouble
    "isp.SYSTEM_ERROR": (True, "provider_error", "account"),
    "isv.SYSTEM_ERROR": (True, "provider_error", "account"),
    "InternalError": (True, "provider_error", "account"),
    "ServiceUnavailable": (True, "provider_error", "account"),
    # this number
    "isv.MOBILE_NUMBER_ILLEGAL": (False, "bad_number", "recipient"),
    "isv.DOMESTIC_NUMBER_NOT_SUPPORTED": (False, "bad_number", "recipient"),
    # this message's text or values
    "isv.SMS_CONTENT_ILLEGAL": (False, "content", "message"),
    "isv.BLACK_KEY_CONTROL_LIMIT": (False, "content", "message"),
    "isv.PARAM_LENGTH_LIMIT": (False, "content", "message"),
    "isv.PARAM_NOT_SUPPORT_URL": (False, "content", "message"),
    "isv.TEMPLATE_MISSING_PARAMETERS": (False, "template", "message"),
    "isv.TEMPLATE_PARAMS_ILLEGAL": (False, "template", "message"),
    "isv.INVALID_JSON_PARAM": (False, "request", "message"),
    # the shop's setup: every message fails alike until the owner acts
    "isv.SMS_TEMPLATE_ILLEGAL": (False, "template", "account"),
    "isv.SMS_SIGNATURE_SCENE_ILLEGAL": (False, "template", "account"),
    "isv.SMS_SIGNATURE_ILLEGAL": (False, "sign_name", "account"),
    "isv.SMS_SIGN_ILLEGAL": (False, "sign_name", "account"),
    "isv.SIGN_STATE_ILLEGAL": (False, "sign_name", "account"),
    "isv.EXTEND_CODE_ERROR": (False, "sign_name", "account"),
    "isv.AMOUNT_NOT_ENOUGH": (False, "balance", "account"),
    "isv.OUT_OF_SERVICE": (False, "balance", "account"),
    "SignatureDoesNotMatch": (False, "credentials", "account"),
    "IncompleteSignature": (False, "credentials", "account"),
    "InvalidAccessKeyId.NotFound": (False, "credentials", "account"),
    "InvalidAccessKeyId.Inactive": (False, "credentials", "account"),
    "InvalidTimeStamp.Expired": (False, "credentials", "account"),  # this server's clock is off
    "isp.RAM_PERMISSION_DENY": (False, "account", "account"),
    "Forbidden.RAM": (False, "account", "account"),
    "isv.PRODUCT_UN_SUBSCRIPT": (False, "account", "account"),
    "isv.PRODUCT_UNSUBSCRIBE": (False, "account", "account"),
    "isv.ACCOUNT_NOT_EXISTS": (False, "account", "account"),
    "isv.ACCOUNT_ABNORMAL": (False, "account", "account"),
    "isv.DENY_IP_RANGE": (False, "account", "account"),
    "isv.INVALID_PARAMETERS": (False, "request", "account"),
    "isv.MOBILE_COUNT_OVER_LIMIT": (False, "request", "account"),
}


def classify(code: str, text: str = "") -> SmsError:
    """Aliyun's `code` as SmsRetryable or SmsRefused."""
    known = CODES.get(code)
    if known is None:
        known = (False, "request", "account") if code.startswith("isv.") else None
    if known is None:
        known = (True, "provider_error", "account")
    retry, category, scope = known
    cls = SmsRetryable if retry else SmsRefused
    return cls(code, text, category=category, scope=scope)


def percent_encode(value: str) -> str:
    """Aliyun's percentEncode: UTF-8, RFC 3986 unreserved characters kept, all else %XY."""
    return quote(str(value), safe="-_.~")


def canonicalized_query(params: Mapping[str, str]) -> str:
    return "&".join(
        f"{percent_encode(name)}={percent_encode(params[name])}"
        for name in sorted(params)
        if name != "Signature"
    )


def string_to_sign(method: str, params: Mapping[str, str]) -> str:
    return f"{method.upper()}&{percent_encode('/')}&{percent_encode(canonicalized_query(params))}"


def rpc_signature(secret: str, method: str, params: Mapping[str, str]) -> str:
    """The Signature value (Base64, not yet percent-encoded) of a request with `params`."""
    digest = hmac.new(
        f"{secret}&".encode(), string_to_sign(method, params).encode(), hashlib.sha1
    ).digest()
    return base64.b64encode(digest).decode()


def aliyun_phone(phone_e164: str) -> str:
    """E.164 as Aliyun's PhoneNumbers wants it: 11 digits for the mainland, else CC+number."""
    phone = check_phone(phone_e164)
    return phone[3:] if phone.startswith("+86") else phone[1:]


class AliyunSms(SmsProvider):
    """Aliyun SMS: one SendSms per message, its BizId the provider id."""

    name = "aliyun"
    # What SmsReport (HTTP batch push) expects back; Aliyun checks only that code is a number.
    receipt_ack = json.dumps({"code": 0, "msg": "接收成功"}, ensure_ascii=False).encode()

    def __init__(
        self,
        *,
        access_key_id: str,
        access_key_secret: str,
        endpoint: str = DEFAULT_ENDPOINT,
        region: str = DEFAULT_REGION,
        timeout: float = 5.0,
    ):
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.endpoint = endpoint
        self.region = region
        self.timeout = timeout

    def params(
        self,
        phone_e164: str,
        template: str,
        values: Mapping | Sequence,
        *,
        sign_name: str,
        idempotency_key: str,
        now: datetime | None = None,
        nonce: str | None = None,
    ) -> dict[str, str]:
        """Every parameter of the SendSms request, Signature included."""
        if not isinstance(values, Mapping):
            raise TypeError("Aliyun templates take named values: pass a mapping")
        now = now or datetime.now(UTC)
        params = {
            "AccessKeyId": self.access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "RegionId": self.region,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": nonce or uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "Timestamp": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": API_VERSION,
            "PhoneNumbers": aliyun_phone(phone_e164),
            "SignName": sign_name,
            "TemplateCode": template,
            # Values are strings (isv.INVALID_JSON_PARAM otherwise).
            "TemplateParam": json.dumps(
                {str(k): "" if v is None else str(v) for k, v in values.items()},
                ensure_ascii=False,
                separators=(",", ":"),
            ),
            "OutId": short_key(idempotency_key),
        }
        params["Signature"] = rpc_signature(self.access_key_secret, "POST", params)
        return params

    def send(self, phone_e164, template, params, *, sign_name, idempotency_key, text=""):
        body = "&".join(
            f"{percent_encode(k)}={percent_encode(v)}"
            for k, v in self.params(
                phone_e164, template, params, sign_name=sign_name, idempotency_key=idempotency_key
            ).items()
        ).encode()
        status, raw = http_request(
            self.endpoint,
            data=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                "Accept": "application/json",
            },
            timeout=self.timeout,
        )
        answer = json_answer(status, raw)
        if answer is None or not isinstance(answer.get("Code"), str):
            raise unparsed_answer("Aliyun", status, raw)
        code, message = answer["Code"], str(answer.get("Message", ""))
        if code == "OK" and answer.get("BizId"):
            return SmsResult(provider_id=str(answer["BizId"])[:255])
        if code == "OK":
            raise SmsRetryable("OK", "accepted without a BizId", category="provider_error")
        raise classify(code, message)

    @classmethod
    def parse_receipts(cls, body: bytes) -> list[Receipt]:
        """SmsReport's HTTP batch push: a JSON list of {biz_id, success, err_code, err_msg,
        phone_number, ...}. Items without a biz_id are skipped."""
        receipts = []
        for item in load_receipt_items(body):
            provider_id = text_field(item, "biz_id")
            if not provider_id:
                continue
            success = item.get("success")
            delivered = success is True or str(success).lower() == "true"
            error = (
                ""
                if delivered
                else " ".join(
                    part
                    for part in (text_field(item, "err_code"), text_field(item, "err_msg"))
                    if part
                )
            )
            receipts.append(
                Receipt(provider_id, delivered, error, text_field(item, "phone_number", 32))
            )
        return receipts
