"""What the shop needs from an online payment provider, whatever its SDK.

Each provider (Alipay, WeChat Pay) is one Gateway subclass that wraps the provider's own SDK. The
payments services never see the SDKs: they speak in these types, with money as Decimal yuan
(a gateway converts: WeChat Pay in integer fen, Alipay as a two-decimal string).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

# States a provider may report for a trade, in the shop's words.
PENDING = "pending"  # created, not paid yet
PAID = "paid"
CLOSED = "closed"  # closed or expired without payment
REFUNDED = "refunded"  # the provider says the whole trade was refunded
UNKNOWN = "unknown"  # the provider does not know this trade (never created / not found)

# Refund states.
REFUND_PENDING = "refund_pending"
REFUND_SUCCEEDED = "refund_succeeded"
REFUND_FAILED = "refund_failed"

DESKTOP = "desktop"
MOBILE = "mobile"


class GatewayError(Exception):
    """The provider could not be reached or refused the request; safe to retry later."""


class BadNotification(Exception):
    """A notification that failed verification (signature, app id, merchant, decryption)."""


@dataclass(frozen=True)
class Start:
    """How the buyer pays: follow `redirect_url` (Alipay page/WAP, WeChat H5) or scan `qr_text`
    (WeChat Native: the code_url to draw as a QR code on our page)."""

    redirect_url: str = ""
    qr_text: str = ""


@dataclass(frozen=True)
class Notification:
    """A verified asynchronous notification about one trade."""

    out_trade_no: str  # our attempt's number
    trade_no: str  # the provider's trade number
    state: str  # PAID, CLOSED, ... (see above)
    amount: Decimal  # what the provider says was paid, in yuan
    app_id: str
    merchant_id: str
    raw: dict = field(default_factory=dict)  # the verified, decrypted payload, to store


@dataclass(frozen=True)
class TradeStatus:
    """The provider's answer to a query about one trade."""

    out_trade_no: str
    trade_no: str
    state: str
    amount: Decimal | None
    raw: dict = field(default_factory=dict)


@dataclass(frozen=True)
class RefundStatus:
    out_refund_no: str
    refund_id: str  # the provider's refund number ("" when it gives none)
    state: str  # REFUND_PENDING, REFUND_SUCCEEDED, REFUND_FAILED
    amount: Decimal
    raw: dict = field(default_factory=dict)


class Gateway:
    """One online payment provider. Subclasses read their settings in __init__ (from
    django.conf.settings) and raise django.core.exceptions.ImproperlyConfigured when half set."""

    code: str = ""  # "alipay" | "wechat"
    # The exact body (and content type) the provider expects when a notification was accepted,
    # and when it was refused (the provider then retries).
    success_body: bytes = b""
    success_content_type: str = "text/plain"
    failure_body: bytes = b""
    failure_status: int = 400

    @classmethod
    def configured(cls) -> bool:
        """Whether the shop has set this provider up (its settings are present)."""
        raise NotImplementedError

    def start(
        self,
        *,
        out_trade_no: str,
        amount: Decimal,
        subject: str,
        device: str,
        return_url: str,
        notify_url: str,
        expires_at,
        client_ip: str = "",
    ) -> Start:
        """Create the provider's trade (or the signed redirect) for one attempt. Raises GatewayError."""
        raise NotImplementedError

    def verify_notification(self, *, headers: dict, body: bytes) -> Notification:
        """Verify and decode a notification request. Raises BadNotification."""
        raise NotImplementedError

    def refuse_foreign(self, notification: Notification) -> None:
        """Raise BadNotification when a verified notification is about another app or merchant
        (a gateway whose verify_notification already refuses those keeps this as it is)."""

    def query(self, out_trade_no: str) -> TradeStatus:
        """Ask the provider where a trade stands (for reconciliation). Raises GatewayError."""
        raise NotImplementedError

    def close(self, out_trade_no: str) -> None:
        """Close an unpaid trade so that it can no longer be paid. Raises GatewayError."""
        raise NotImplementedError

    def refund(
        self,
        *,
        out_trade_no: str,
        out_refund_no: str,
        amount: Decimal,
        total: Decimal,
        reason: str,
        notify_url: str = "",
    ) -> RefundStatus:
        """Ask for a refund of `amount` of a trade of `total`. Raises GatewayError."""
        raise NotImplementedError

    def query_refund(self, *, out_trade_no: str, out_refund_no: str) -> RefundStatus:
        """Where a refund stands. Raises GatewayError."""
        raise NotImplementedError
