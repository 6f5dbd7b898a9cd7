"""Alipay (支付宝) through python-alipay-sdk, RSA2 keys (the app's private key signs requests,
Alipay's public key verifies answers and notifications).

Desktop browsers get alipay.trade.page.pay, phones alipay.trade.wap.pay: both are a signed
redirect to the gateway (ALIPAY_GATEWAY_URL; the tests and the demo point it at a local
stand-in). Amounts go as two-decimal strings.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from urllib.error import URLError
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .base import (
    CLOSED,
    MOBILE,
    PAID,
    PENDING,
    REFUND_FAILED,
    REFUND_PENDING,
    REFUND_SUCCEEDED,
    REFUNDED,
    UNKNOWN,
    BadNotification,
    Gateway,
    GatewayError,
    Notification,
    RefundStatus,
    Start,
    TradeStatus,
)
from .keys import pem_text

SUCCESS = "10000"
NOT_EXIST = "ACQ.TRADE_NOT_EXIST"
# Alipay answers these when it could not decide: the same request may be sent again.
RETRYABLE = {"ACQ.SYSTEM_ERROR", "aop.ACQ.SYSTEM_ERROR", "isp.unknow-error"}
TRADE_STATES = {
    "WAIT_BUYER_PAY": PENDING,
    "TRADE_SUCCESS": PAID,
    "TRADE_FINISHED": PAID,
    "TRADE_CLOSED": CLOSED,
}
CHINA = ZoneInfo("Asia/Shanghai")


def yuan(amount: Decimal) -> str:
    """Alipay's amount: yuan with exactly two decimals."""
    return f"{Decimal(amount).quantize(Decimal('0.01')):.2f}"


def _decimal(value) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


class Alipay(Gateway):
    code = "alipay"
    success_body = b"success"
    success_content_type = "text/plain"
    failure_body = b"failure"
    failure_status = 400

    @classmethod
    def configured(cls) -> bool:
        return bool(
            settings.ALIPAY_APP_ID
            and settings.ALIPAY_APP_PRIVATE_KEY
            and settings.ALIPAY_PUBLIC_KEY
        )

    @staticmethod
    def settings_problem() -> str:
        """What is wrong when Alipay is half set up or its keys do not load ("" when fine)."""
        from Cryptodome.PublicKey import RSA

        from ..settings_check import half_configured

        names = ("ALIPAY_APP_ID", "ALIPAY_APP_PRIVATE_KEY", "ALIPAY_PUBLIC_KEY")
        values = {name: getattr(settings, name) for name in names}
        half = half_configured(values)
        if half or not all(values.values()):
            return half[0] if half else ""
        for name in names[1:]:
            try:
                RSA.importKey(pem_text(values[name]))
            except (OSError, ValueError, IndexError, TypeError) as exc:
                return f"{name} is not a readable RSA key (PEM text or a file path): {exc}"
        return ""

    def __init__(self) -> None:
        from alipay import AliPay
        from alipay.utils import AliPayConfig

        if not self.configured():
            raise ImproperlyConfigured(self.settings_problem() or "Alipay is not configured")
        self.app_id = settings.ALIPAY_APP_ID
        self.seller_id = settings.ALIPAY_SELLER_ID
        self.url = settings.ALIPAY_GATEWAY_URL
        self.client = AliPay(
            appid=self.app_id,
            app_notify_url=None,
            app_private_key_string=pem_text(settings.ALIPAY_APP_PRIVATE_KEY),
            alipay_public_key_string=pem_text(settings.ALIPAY_PUBLIC_KEY),
            sign_type="RSA2",
            config=AliPayConfig(timeout=settings.PAYMENT_GATEWAY_TIMEOUT),
        )
        # The SDK knows only Alipay's two hosts; the tests and the demo use a local stand-in.
        self.client._gateway = self.url

    # -- calls -------------------------------------------------------------------------------

    def _call(self, method, **kwargs) -> dict:
        """One server API call; Alipay's answer (signature verified by the SDK)."""
        from alipay.exceptions import AliPayException, AliPayValidationError

        try:
            return method(**kwargs)
        except AliPayValidationError as exc:
            raise GatewayError("Alipay's answer failed its signature check") from exc
        except AliPayException as exc:
            raise GatewayError(f"Alipay refused: {exc}") from exc
        except (URLError, OSError, ValueError) as exc:
            raise GatewayError(f"Alipay could not be reached: {exc}") from exc

    def start(
        self,
        *,
        out_trade_no,
        amount,
        subject,
        device,
        return_url,
        notify_url,
        expires_at,
        client_ip="",
    ) -> Start:
        api = (
            self.client.api_alipay_trade_wap_pay
            if device == MOBILE
            else self.client.api_alipay_trade_page_pay
        )
        query = api(
            subject=subject[:256],
            out_trade_no=out_trade_no,
            total_amount=yuan(amount),
            return_url=return_url,
            notify_url=notify_url,
            # Alipay closes the trade itself at this time (China time), as the shop does.
            time_expire=expires_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S"),
        )
        return Start(redirect_url=f"{self.url}?{query}")

    def verify_notification(self, *, headers, body) -> Notification:
        from alipay.exceptions import AliPayException

        try:
            data = dict(
                parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
            )
        except (UnicodeDecodeError, ValueError) as exc:
            raise BadNotification("not a form") from exc
        raw = dict(data)
        signature = data.pop("sign", "")
        if not signature:
            raise BadNotification("no signature")
        try:
            good = self.client.verify(data, signature)
        except (AliPayException, ValueError, TypeError) as exc:
            raise BadNotification(f"signature: {exc}") from exc
        if not good:
            raise BadNotification("bad signature")
        raw.pop("sign", None)
        if data.get("app_id") != self.app_id:
            raise BadNotification("another app id")
        if self.seller_id and data.get("seller_id") != self.seller_id:
            raise BadNotification("another seller")
        state = TRADE_STATES.get(data.get("trade_status", ""))
        amount = _decimal(data.get("total_amount"))
        if state is None or amount is None or not data.get("out_trade_no"):
            raise BadNotification("unknown trade status or amount")
        return Notification(
            out_trade_no=data["out_trade_no"],
            trade_no=data.get("trade_no", ""),
            state=state,
            amount=amount,
            app_id=data["app_id"],
            merchant_id=data.get("seller_id", ""),
            raw=raw,
        )

    def query(self, out_trade_no) -> TradeStatus:
        answer = self._call(self.client.api_alipay_trade_query, out_trade_no=out_trade_no)
        if answer.get("code") != SUCCESS:
            if answer.get("sub_code") == NOT_EXIST:
                # The buyer never opened Alipay's page: no trade was created yet.
                return TradeStatus(out_trade_no, "", UNKNOWN, None, answer)
            raise GatewayError(f"Alipay query: {answer.get('sub_code') or answer.get('code')}")
        return TradeStatus(
            out_trade_no=answer.get("out_trade_no", out_trade_no),
            trade_no=answer.get("trade_no", ""),
            state=TRADE_STATES.get(answer.get("trade_status", ""), UNKNOWN),
            amount=_decimal(answer.get("total_amount")),
            raw=answer,
        )

    def close(self, out_trade_no) -> None:
        answer = self._call(self.client.api_alipay_trade_close, out_trade_no=out_trade_no)
        if answer.get("code") == SUCCESS or answer.get("sub_code") == NOT_EXIST:
            return  # closed now, or never opened: it can no longer be paid either way
        raise GatewayError(f"Alipay close: {answer.get('sub_code') or answer.get('code')}")

    def refund(
        self, *, out_trade_no, out_refund_no, amount, total, reason, notify_url=""
    ) -> RefundStatus:
        answer = self._call(
            self.client.api_alipay_trade_refund,
            refund_amount=yuan(amount),
            out_trade_no=out_trade_no,
            out_request_no=out_refund_no,
            refund_reason=reason[:256],
        )
        if answer.get("code") == SUCCESS and answer.get("fund_change") == "Y":
            return RefundStatus(
                out_refund_no, answer.get("trade_no", ""), REFUND_SUCCEEDED, amount, answer
            )
        if answer.get("code") == SUCCESS or answer.get("sub_code") in RETRYABLE:
            # Accepted but the money has not moved yet (or Alipay could not say): ask later.
            return RefundStatus(
                out_refund_no, answer.get("trade_no", ""), REFUND_PENDING, amount, answer
            )
        return RefundStatus(out_refund_no, "", REFUND_FAILED, amount, answer)

    def query_refund(self, *, out_trade_no, out_refund_no) -> RefundStatus:
        answer = self._call(
            self.client.api_alipay_trade_fastpay_refund_query,
            out_request_no=out_refund_no,
            out_trade_no=out_trade_no,
        )
        if answer.get("code") != SUCCESS:
            raise GatewayError(
                f"Alipay refund query: {answer.get('sub_code') or answer.get('code')}"
            )
        amount = _decimal(answer.get("refund_amount")) or Decimal("0")
        if answer.get("refund_status") == "REFUND_SUCCESS":
            return RefundStatus(
                out_refund_no, answer.get("trade_no", ""), REFUND_SUCCEEDED, amount, answer
            )
        return RefundStatus(
            out_refund_no, answer.get("trade_no", ""), REFUND_PENDING, amount, answer
        )


__all__ = ["Alipay", "yuan", "REFUNDED"]
