"""A provider that sends nothing: for the demo and the tests.

Each "sent" SMS is kept in `outbox` (like django.core.mail.outbox, newest last) with the text a
buyer would read, and logged with the number masked. Tests count SMS there; `reset_outbox()`
empties it (a test fixture should, before each test).
"""

import hashlib
import logging
import threading
from dataclasses import dataclass, field

from .base import Receipt, SmsProvider, SmsResult, check_phone, load_receipt_items, text_field
from .length import signed, sms_length

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutboxSms:
    provider_id: str
    phone: str
    template: str
    params: dict | list
    sign_name: str
    idempotency_key: str
    text: str  # as the phone shows it, 【sign name】 first
    parts: int = field(default=1)


outbox: list[OutboxSms] = []
_lock = threading.Lock()


def reset_outbox() -> None:
    with _lock:
        outbox.clear()


def masked(phone: str) -> str:
    """+8613800138000 -> +86138****8000: enough to tell numbers apart in a log."""
    return f"{phone[:-8]}****{phone[-4:]}" if len(phone) > 8 else "****"


class ConsoleSms(SmsProvider):
    """Keeps what would be sent; the provider id is a digest of the idempotency key, so the
    same message sent twice has the same id (as a retry after a crash would)."""

    name = "console"

    def send(self, phone_e164, template, params, *, sign_name, idempotency_key, text=""):
        phone = check_phone(phone_e164)
        provider_id = (
            "console-" + hashlib.blake2b(idempotency_key.encode(), digest_size=10).hexdigest()
        )
        shown = signed(text, sign_name)
        sms = OutboxSms(
            provider_id=provider_id,
            phone=phone,
            template=template,
            params=dict(params) if hasattr(params, "items") else list(params),
            sign_name=sign_name,
            idempotency_key=idempotency_key,
            text=shown,
            parts=sms_length(text, sign_name).parts,
        )
        with _lock:
            outbox.append(sms)
        log.info("SMS to %s (%s, %s): %s", masked(phone), template, provider_id, shown)
        return SmsResult(provider_id=provider_id)

    @classmethod
    def parse_receipts(cls, body: bytes) -> list[Receipt]:
        """A demo's own receipts: [{"provider_id": ..., "delivered": true|false, "error": ...}]."""
        return [
            Receipt(
                text_field(item, "provider_id"),
                item.get("delivered") is True,
                text_field(item, "error"),
            )
            for item in load_receipt_items(body)
            if text_field(item, "provider_id")
        ]
