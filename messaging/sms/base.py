"""The provider interface, and what every adapter shares: one HTTPS call, bounded and classified.

An adapter is a class with

    send(phone_e164, template, params, *, sign_name, idempotency_key, text="") -> SmsResult
    parse_receipts(body: bytes) -> list[Receipt]   (a classmethod: needs no credentials)
    receipt_ack -> bytes            (what the provider wants back from a receipt push)

`send` returns only when the provider accepted the message, with the provider's id for it (the id
its delivery receipts carry), and otherwise raises `SmsRetryable` or `SmsRefused`
(messaging.sms.errors). It never raises for a provider's answer anything else.
"""

import hashlib
import json
import re
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http.client import HTTPException

from .errors import ReceiptInvalid, SmsRefused, SmsRetryable, SmsUnreachable

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
CN_MOBILE = re.compile(r"^\+861\d{10}$")

# What we read of any answer or push: providers' answers are a few hundred bytes.
MAX_RESPONSE_BYTES = 64 * 1024
MAX_RECEIPT_BYTES = 1024 * 1024


@dataclass(frozen=True)
class SmsResult:
    """The provider accepted the message: `provider_id` is what its receipts will name."""

    provider_id: str


@dataclass(frozen=True)
class Receipt:
    """One delivery report: the message `provider_id` was delivered, or failed with `error`."""

    provider_id: str
    delivered: bool
    error: str = ""
    phone: str = ""


def check_phone(phone_e164: str) -> str:
    """`phone_e164` if it is an E.164 number (+ and 7 to 15 digits) and, in mainland China
    (+86), a mobile one (1 and ten digits: a landline cannot receive SMS); else SmsRefused,
    before any request."""
    phone = str(phone_e164 or "").strip()
    if not E164.match(phone) or (phone.startswith("+86") and not CN_MOBILE.match(phone)):
        raise SmsRefused(
            "local.bad_number", "not an E.164 number", category="bad_number", scope="recipient"
        )
    return phone


def short_key(key: str, limit: int = 64) -> str:
    """`key`, or a digest of it when longer than `limit` or not plain ASCII (it travels in the
    providers' free-form fields, OutId and SessionContext, whose limits are small)."""
    if len(key) <= limit and key.isascii() and key.isprintable():
        return key
    return hashlib.blake2b(key.encode(), digest_size=16).hexdigest()


def template_strings(params: Mapping | Sequence) -> list[str]:
    """Template values as strings, in order (a mapping keeps its insertion order)."""
    values = params.values() if isinstance(params, Mapping) else params
    return ["" if value is None else str(value) for value in values]


def http_request(
    url: str, *, data: bytes, headers: Mapping[str, str], timeout: float
) -> tuple[int, bytes]:
    """POST `data` to `url`; return (status, body) for any HTTP answer, 4xx and 5xx included.

    Raises SmsUnreachable when no answer came: refused, reset, timed out (`timeout` bounds the
    connection and each read), or the name did not resolve.
    """
    if not url.startswith(("https://", "http://")):
        raise SmsRefused("local.endpoint", "endpoint is not an http(s) URL", category="request")
    # S310: the scheme is checked just above (file: and custom schemes never reach urlopen).
    request = urllib.request.Request(url, data=data, headers=dict(headers), method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, response.read(MAX_RESPONSE_BYTES)
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read(MAX_RESPONSE_BYTES)
    except urllib.error.URLError as error:
        reason = error.reason
        raise SmsUnreachable(
            f"{type(reason).__name__}: {reason}"
            if isinstance(reason, BaseException)
            else str(reason)
        )
    except (TimeoutError, ConnectionError, HTTPException, OSError) as error:
        raise SmsUnreachable(f"{error.__class__.__name__}: {error}")


def json_answer(status: int, body: bytes) -> dict | None:
    """The answer as a JSON object, or None when it is not one."""
    try:
        answer = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return answer if isinstance(answer, dict) else None


def unparsed_answer(provider: str, status: int, body: bytes) -> SmsRetryable | SmsRefused:
    """An answer without the provider's JSON: 5xx, 408 and 429 are the provider's trouble (retry),
    other statuses mean the request or the endpoint is wrong (refused, the setup must change)."""
    text = f"HTTP {status} from {provider}: {body[:200].decode('utf-8', 'replace')}"
    if status >= 500 or status in (408, 429):
        return SmsRetryable(f"http.{status}", text, category="provider_error")
    return SmsRefused(f"http.{status}", text, category="request", scope="account")


def load_receipt_items(body: bytes) -> list:
    """A receipt push's JSON list (both providers push a list), or ReceiptInvalid."""
    if not isinstance(body, bytes | bytearray) or len(body) > MAX_RECEIPT_BYTES:
        raise ReceiptInvalid("receipt body missing or too large")
    try:
        items = json.loads(bytes(body).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise ReceiptInvalid(f"receipt body is not JSON: {error}")
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list):
        raise ReceiptInvalid("receipt body is not a JSON list")
    return [item for item in items if isinstance(item, dict)]


def text_field(item: dict, name: str, limit: int = 255) -> str:
    value = item.get(name)
    return "" if value is None or isinstance(value, dict | list) else str(value)[:limit]


class SmsProvider:
    """Send one templated SMS to one number; see the module docstring for the contract."""

    name = "base"
    receipt_ack = b'{"result": 0}'

    def send(
        self,
        phone_e164: str,
        template: str,
        params: Mapping | Sequence,
        *,
        sign_name: str,
        idempotency_key: str,
        text: str = "",
    ) -> SmsResult:
        raise NotImplementedError

    @classmethod
    def parse_receipts(cls, body: bytes) -> list[Receipt]:
        raise ReceiptInvalid(f"the {cls.name} provider pushes no receipts")
