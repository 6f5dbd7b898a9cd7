"""Tencent Cloud SMS (API 3.0, service sms, action SendSms, version 2021-01-11), signed by hand.

Why not the SDK: `tencentcloud-sdk-python` is one distribution with every Tencent Cloud product
in it (hundreds of modules); `tencentcloud-sdk-python-sms` needs `-common`, which brings its own
`requests` session handling. One signed JSON POST does not need them.

The signature is TC3-HMAC-SHA256 as Tencent documents it ("签名方法 v3", cloud.tencent.com/
document/api/213/30654; for SMS in English "Signature v3", tencentcloud.com/document/product/382/40467):

    CanonicalRequest = Method \\n CanonicalURI ("/") \\n CanonicalQueryString ("" for POST) \\n
                       CanonicalHeaders (lowercase "name:value\\n", sorted) \\n
                       SignedHeaders ("content-type;host;...") \\n hex(SHA256(payload))
    StringToSign     = "TC3-HMAC-SHA256" \\n Timestamp \\n Date/sms/tc3_request \\n
                       hex(SHA256(CanonicalRequest))        (Date: the timestamp's UTC date)
    SecretSigning    = HMAC(HMAC(HMAC("TC3" + SecretKey, Date), "sms"), "tc3_request")
    Signature        = hex(HMAC-SHA256(SecretSigning, StringToSign))

sent as `Authorization: TC3-HMAC-SHA256 Credential=SecretId/Date/sms/tc3_request,
SignedHeaders=..., Signature=...` with X-TC-Action, X-TC-Version, X-TC-Timestamp, X-TC-Region.

Phone numbers go as E.164 ("+8613800138000"), which is what PhoneNumberSet documents.
Template values go as TemplateParamSet, a list of strings in the template's order.
"""

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import urlsplit

from .base import (
    Receipt,
    SmsProvider,
    SmsResult,
    check_phone,
    http_request,
    json_answer,
    load_receipt_items,
    short_key,
    template_strings,
    text_field,
    unparsed_answer,
)
from .errors import SmsError, SmsRefused, SmsRetryable

DEFAULT_ENDPOINT = "https://sms.tencentcloudapi.com/"
DEFAULT_REGION = "ap-guangzhou"
SERVICE = "sms"
API_VERSION = "2021-01-11"
CONTENT_TYPE = "application/json; charset=utf-8"

# Tencent's codes (SMS "错误码", cloud.tencent.com/document/api/382/59177, SendSms's list in
# /382/55981, and the common ones, /382/38780), compared without case (Tencent's own pages spell SdkAppId both ways; the
# arrears code is spelled "Serivce" by Tencent) -> (retry?, category, scope).
_CODES: dict[str, tuple[bool, str, str]] = {
    "InvalidParameterValue.IncorrectPhoneNumber": (False, "bad_number", "recipient"),
    "FailedOperation.PhoneNumberInBlacklist": (False, "blocked_number", "recipient"),
    "FailedOperation.PhoneNumberOnBlacklist": (False, "blocked_number", "recipient"),
    "FailedOperation.ContainSensitiveWord": (False, "content", "message"),
    "InvalidParameterValue.ContentLengthLimit": (False, "content", "message"),
    "InvalidParameterValue.ProhibitedUseUrlInTemplateParameter": (False, "content", "message"),
    "InvalidParameterValue.TemplateParameterFormatError": (False, "content", "message"),
    "InvalidParameterValue.TemplateParameterLengthLimit": (False, "content", "message"),
    "FailedOperation.TemplateParamSetNotMatchApprovedTemplate": (False, "template", "message"),
    "FailedOperation.TemplateIncorrectOrUnapproved": (False, "template", "account"),
    "FailedOperation.TemplateUnapprovedOrNotExist": (False, "template", "account"),
    "FailedOperation.MarketingSendTimeConstraint": (False, "template", "account"),
    "FailedOperation.SignatureIncorrectOrUnapproved": (False, "sign_name", "account"),
    "FailedOperation.InsufficientBalanceInSmsPackage": (False, "balance", "account"),
    "UnauthorizedOperation.SerivceSuspendDueToArrears": (False, "balance", "account"),
    "UnauthorizedOperation.ServiceSuspendDueToArrears": (False, "balance", "account"),
    "InvalidParameterValue.SdkAppIdNotExist": (False, "account", "account"),
    "LimitExceeded.AppCountryOrRegionInBlacklist": (False, "account", "account"),
    "UnsupportedOperation.UnsupportedRegion": (False, "account", "account"),
    "UnsupportedOperation.UnsuportedRegion": (False, "account", "account"),
    "AuthFailure.UnauthorizedOperation": (False, "account", "account"),
    "LimitExceeded.PhoneNumberCountLimit": (False, "request", "account"),
    "InternalError.RequestTimeException": (False, "credentials", "account"),  # our clock is off
    "InternalError.SigVerificationFail": (False, "credentials", "account"),
    "InternalError.SigFieldMissing": (False, "request", "account"),
    "InternalError.RestApiInterfaceNotExist": (False, "request", "account"),
}
CODES = {code.lower(): meaning for code, meaning in _CODES.items()}

# Families, for codes not listed: (prefix, retry?, category, scope), first match wins.
FAMILIES = (
    ("limitexceeded.", True, "throttled", "recipient"),  # per-number and per-app caps
    ("requestlimitexceeded", True, "throttled", "account"),
    ("internalerror", True, "provider_error", "account"),
    ("authfailure", False, "credentials", "account"),
    ("unauthorizedoperation", False, "account", "account"),
    ("invalidparametervalue", False, "request", "message"),
    ("invalidparameter", False, "request", "account"),
    ("missingparameter", False, "request", "account"),
    ("unsupportedoperation", False, "request", "account"),
    ("failedoperation", False, "request", "account"),
)


def classify(code: str, text: str = "") -> SmsError:
    """Tencent's `code` as SmsRetryable or SmsRefused; unknown families are retried."""
    key = code.lower()
    known = CODES.get(key)
    if known is None:
        known = next((f[1:] for f in FAMILIES if key.startswith(f[0])), None)
    retry, category, scope = known or (True, "provider_error", "account")
    cls = SmsRetryable if retry else SmsRefused
    return cls(code, text, category=category, scope=scope)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def canonical_request(
    method: str, headers: Mapping[str, str], signed: list[str], payload: bytes, query: str = ""
) -> str:
    """The CanonicalRequest of a request with `headers` (only those named in `signed` count)."""
    lower = {name.lower(): str(value).strip() for name, value in headers.items()}
    names = sorted(name.lower() for name in signed)
    canonical_headers = "".join(f"{name}:{lower[name].lower()}\n" for name in names)
    return "\n".join(
        [method.upper(), "/", query, canonical_headers, ";".join(names), sha256_hex(payload)]
    )


def tc3_signature(secret_key: str, date: str, service: str, string_to_sign: str) -> str:
    secret_date = _hmac(f"TC3{secret_key}".encode(), date)
    secret_service = _hmac(secret_date, service)
    secret_signing = _hmac(secret_service, "tc3_request")
    return hmac.new(secret_signing, string_to_sign.encode(), hashlib.sha256).hexdigest()


def authorization(
    *,
    secret_id: str,
    secret_key: str,
    service: str,
    timestamp: int,
    method: str,
    headers: Mapping[str, str],
    signed: list[str],
    payload: bytes,
) -> str:
    """The Authorization header for a request with `headers` and `payload` at `timestamp`."""
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    scope = f"{date}/{service}/tc3_request"
    hashed = sha256_hex(canonical_request(method, headers, signed, payload).encode())
    to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{hashed}"
    signature = tc3_signature(secret_key, date, service, to_sign)
    names = ";".join(sorted(name.lower() for name in signed))
    return (
        f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, "
        f"SignedHeaders={names}, Signature={signature}"
    )


class TencentSms(SmsProvider):
    """Tencent Cloud SMS: one SendSms per message, its SerialNo the provider id."""

    name = "tencent"
    # What the status callback expects back.
    receipt_ack = b'{"result": 0, "errmsg": "OK"}'

    def __init__(
        self,
        *,
        secret_id: str,
        secret_key: str,
        sdk_app_id: str,
        region: str = DEFAULT_REGION,
        endpoint: str = DEFAULT_ENDPOINT,
        timeout: float = 5.0,
    ):
        self.secret_id = secret_id
        self.secret_key = secret_key
        self.sdk_app_id = sdk_app_id
        self.region = region
        self.endpoint = endpoint
        self.timeout = timeout

    def request(
        self,
        phone_e164,
        template,
        params,
        *,
        sign_name,
        idempotency_key,
        timestamp: int | None = None,
    ) -> tuple[dict[str, str], bytes]:
        """The headers and body of the SendSms request, signed."""
        body = json.dumps(
            {
                "PhoneNumberSet": [check_phone(phone_e164)],
                "SmsSdkAppId": self.sdk_app_id,
                "SignName": sign_name,
                "TemplateId": template,
                "TemplateParamSet": template_strings(params),
                # Returned as-is in the answer: ties the provider's record to our row.
                "SessionContext": short_key(idempotency_key),
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        timestamp = int(time.time()) if timestamp is None else timestamp
        headers = {
            "Content-Type": CONTENT_TYPE,
            "Host": urlsplit(self.endpoint).netloc,
            "X-TC-Action": "SendSms",
            "X-TC-Version": API_VERSION,
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Region": self.region,
        }
        headers["Authorization"] = authorization(
            secret_id=self.secret_id,
            secret_key=self.secret_key,
            service=SERVICE,
            timestamp=timestamp,
            method="POST",
            headers=headers,
            signed=["content-type", "host", "x-tc-action"],
            payload=body,
        )
        return headers, body

    def send(self, phone_e164, template, params, *, sign_name, idempotency_key, text=""):
        headers, body = self.request(
            phone_e164, template, params, sign_name=sign_name, idempotency_key=idempotency_key
        )
        status, raw = http_request(self.endpoint, data=body, headers=headers, timeout=self.timeout)
        answer = json_answer(status, raw)
        response = answer.get("Response") if answer else None
        if not isinstance(response, dict):
            raise unparsed_answer("Tencent Cloud", status, raw)
        error = response.get("Error")
        if isinstance(error, dict):
            raise classify(str(error.get("Code", "")), str(error.get("Message", "")))
        statuses = response.get("SendStatusSet")
        first = statuses[0] if isinstance(statuses, list) and statuses else None
        if not isinstance(first, dict):
            raise SmsRetryable(
                "NoSendStatus", "answer without SendStatusSet", category="provider_error"
            )
        code = str(first.get("Code", ""))
        if code == "Ok" and first.get("SerialNo"):
            return SmsResult(provider_id=str(first["SerialNo"])[:255])
        raise classify(code or "NoCode", str(first.get("Message", "")))

    @classmethod
    def parse_receipts(cls, body: bytes) -> list[Receipt]:
        """The status callback: a JSON list of {sid, report_status, errmsg, description,
        nationcode, mobile, user_receive_time}; `sid` is SendSms's SerialNo."""
        receipts = []
        for item in load_receipt_items(body):
            provider_id = text_field(item, "sid")
            if not provider_id:
                continue
            delivered = text_field(item, "report_status").upper() == "SUCCESS"
            error = (
                ""
                if delivered
                else " ".join(
                    part
                    for part in (text_field(item, "errmsg"), text_field(item, "description"))
                    if part
                )
            )
            nation, mobile = text_field(item, "nationcode", 8), text_field(item, "mobile", 20)
            phone = f"+{nation}{mobile}" if nation and mobile else mobile
            receipts.append(Receipt(provider_id, delivered, error, phone))
        return receipts
