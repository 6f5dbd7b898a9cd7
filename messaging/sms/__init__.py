"""SMS providers behind one small interface; see README.md in this folder.

from messaging.sms import send_sms, SmsRefused, SmsRetryable
result = send_sms("order.shipped", "+8613800138000", {"number": "1024"},
                  idempotency_key=message.key, text=message.text)
result.provider_id      # what the provider's delivery receipts will name
"""

from .base import Receipt, SmsProvider, SmsResult
from .config import get_provider, receipt_parser, send_sms, template_for
from .errors import ReceiptInvalid, SmsError, SmsRefused, SmsRetryable, SmsUnreachable
from .length import sms_length

__all__ = [
    "Receipt",
    "ReceiptInvalid",
    "SmsError",
    "SmsProvider",
    "SmsRefused",
    "SmsResult",
    "SmsRetryable",
    "SmsUnreachable",
    "get_provider",
    "receipt_parser",
    "send_sms",
    "sms_length",
    "template_for",
]
