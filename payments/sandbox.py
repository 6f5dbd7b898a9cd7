"""A pretend Alipay that speaks the real protocol: it checks the RSA2 signature of every request
the SDK sends with the app's public key, keeps trades in memory, answers JSON signed with its own
"Alipay" private key (whose public key the shop is configured with) and signs the asynchronous
notification it sends. The tests' stand-in (tests/payments/alipay_standin.py) serves it over
HTTP; the demo's sandbox pages (payments/sandbox_views.py, DEBUG only) serve it inside the site.

It signs and verifies with `cryptography`, not the SDK's own code, so the two sides are not one
implementation agreeing with itself.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

PAGE_METHODS = ("alipay.trade.page.pay", "alipay.trade.wap.pay")


def new_key_pair() -> tuple[str, str]:
    """A fresh RSA 2048 key pair as (private PEM, public PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return private, public_pem_of(private)


def public_pem_of(private_pem: str) -> str:
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def signing_string(params: dict, *, drop=("sign",)) -> str:
    """Alipay's string to sign: every parameter but `drop`, sorted by name, k=v joined by &."""
    return "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k not in drop)


@dataclass
class Trade:
    out_trade_no: str
    total_amount: str
    subject: str
    notify_url: str
    return_url: str
    state: str = "WAIT_BUYER_PAY"
    trade_no: str = ""
    refunds: dict = field(default_factory=dict)  # out_request_no -> amount string


class AlipaySandbox:
    def __init__(
        self,
        *,
        app_id: str,
        app_public_key_pem: str,
        alipay_private_key_pem: str,
        seller_id: str = "2088000000000001",
    ):
        self.app_id = app_id
        self.seller_id = seller_id
        self.app_public_key = serialization.load_pem_public_key(app_public_key_pem.encode())
        self.private_key = serialization.load_pem_private_key(
            alipay_private_key_pem.encode(), password=None
        )
        self.trades: dict[str, Trade] = {}
        self.requests: list[tuple[str, dict]] = []  # every verified (method, biz_content)
        self.refused: list[str] = []  # why requests were refused
        self.lock = threading.Lock()

    # -- signatures ---------------------------------------------------------------------------

    def sign(self, text: str) -> str:
        signature = self.private_key.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(signature).decode()

    def verify_request(self, params: dict) -> bool:
        """Whether the app's private key signed these parameters (sign_type included)."""
        try:
            signature = base64.b64decode(params.get("sign", ""))
            self.app_public_key.verify(
                signature, signing_string(params).encode(), padding.PKCS1v15(), hashes.SHA256()
            )
        except (InvalidSignature, ValueError):
            return False
        return True

    def signed_answer(self, method: str, body: dict) -> str:
        """The JSON Alipay answers: {"<method>_response": {...}, "sign": sig of that object}."""
        response_type = method.replace(".", "_") + "_response"
        content = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        return f'{{"{response_type}":{content},"sign":"{self.sign(content)}"}}'

    # -- requests -----------------------------------------------------------------------------

    def handle(self, params: dict) -> tuple[str, object]:
        """One request from the SDK: ("page", Trade) for a payment page to show, or
        ("json", text) for an API call's answer."""
        method = params.get("method", "")
        if not self.verify_request(params) or params.get("sign_type") != "RSA2":
            self.refused.append(f"{method}: bad signature")
            return "json", self.signed_answer(
                method,
                {"code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-signature"},
            )
        if params.get("app_id") != self.app_id:
            self.refused.append(f"{method}: another app id")
            return "json", self.signed_answer(
                method,
                {"code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-app-id"},
            )
        biz = json.loads(params.get("biz_content") or "{}")
        with self.lock:
            self.requests.append((method, biz))
            if method in PAGE_METHODS:
                trade = self.trades.get(biz["out_trade_no"])
                if trade is None:
                    trade = self.trades[biz["out_trade_no"]] = Trade(
                        out_trade_no=biz["out_trade_no"],
                        total_amount=biz["total_amount"],
                        subject=biz.get("subject", ""),
                        notify_url=params.get("notify_url", ""),
                        return_url=params.get("return_url", ""),
                    )
                return "page", trade
            answer = getattr(self, "_" + method.replace(".", "_"), None)
            if answer is None:
                body = {"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.NOT_SUPPORTED"}
            else:
                body = answer(biz)
        return "json", self.signed_answer(method, body)

    def _missing(self) -> dict:
        return {"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.TRADE_NOT_EXIST"}

    def _alipay_trade_query(self, biz) -> dict:
        trade = self.trades.get(biz.get("out_trade_no", ""))
        if trade is None:
            return self._missing()
        return {
            "code": "10000",
            "msg": "Success",
            "out_trade_no": trade.out_trade_no,
            "trade_no": trade.trade_no,
            "trade_status": trade.state,
            "total_amount": trade.total_amount,
        }

    def _alipay_trade_close(self, biz) -> dict:
        trade = self.trades.get(biz.get("out_trade_no", ""))
        if trade is None:
            return self._missing()
        if trade.state not in ("WAIT_BUYER_PAY", "TRADE_CLOSED"):
            return {"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.TRADE_STATUS_ERROR"}
        trade.state = "TRADE_CLOSED"
        return {"code": "10000", "msg": "Success", "out_trade_no": trade.out_trade_no}

    def _alipay_trade_refund(self, biz) -> dict:
        trade = self.trades.get(biz.get("out_trade_no", ""))
        if trade is None:
            return self._missing()
        if trade.state != "TRADE_SUCCESS":
            return {"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.TRADE_STATUS_ERROR"}
        request_no = biz.get("out_request_no", trade.out_trade_no)
        amount = Decimal(biz["refund_amount"])
        if request_no in trade.refunds:  # the same request again: no money moves
            return {
                "code": "10000",
                "msg": "Success",
                "trade_no": trade.trade_no,
                "fund_change": "N",
            }
        refunded = sum((Decimal(a) for a in trade.refunds.values()), Decimal("0"))
        if amount <= 0 or refunded + amount > Decimal(trade.total_amount):
            return {
                "code": "40004",
                "msg": "Business Failed",
                "sub_code": "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL",
            }
        trade.refunds[request_no] = biz["refund_amount"]
        return {
            "code": "10000",
            "msg": "Success",
            "trade_no": trade.trade_no,
            "out_trade_no": trade.out_trade_no,
            "refund_fee": f"{refunded + amount:.2f}",
            "fund_change": "Y",
        }

    def _alipay_trade_fastpay_refund_query(self, biz) -> dict:
        trade = self.trades.get(biz.get("out_trade_no", ""))
        if trade is None:
            return self._missing()
        amount = trade.refunds.get(biz.get("out_request_no", ""))
        if amount is None:
            return {"code": "10000", "msg": "Success"}  # Alipay's answer for no such refund
        return {
            "code": "10000",
            "msg": "Success",
            "trade_no": trade.trade_no,
            "out_trade_no": trade.out_trade_no,
            "out_request_no": biz["out_request_no"],
            "refund_amount": amount,
            "refund_status": "REFUND_SUCCESS",
        }

    # -- the buyer pays -----------------------------------------------------------------------

    def pay(self, out_trade_no: str) -> dict:
        """The buyer pays: the trade is paid here; returns the signed notification's form."""
        with self.lock:
            trade = self.trades[out_trade_no]
            if trade.state == "WAIT_BUYER_PAY":
                trade.state = "TRADE_SUCCESS"
                trade.trade_no = datetime.now().strftime("%Y%m%d") + secrets.token_hex(8)
        return self.notification(trade)

    def notification(self, trade: Trade, **overrides) -> dict:
        """The asynchronous notification Alipay posts about a trade, signed (without sign and
        sign_type in the signed string, as Alipay does); `overrides` change fields before
        signing (a test's other app id or amount)."""
        now = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
        form = {
            "notify_time": now,
            "notify_type": "trade_status_sync",
            "notify_id": secrets.token_hex(16),
            "app_id": self.app_id,
            "charset": "utf-8",
            "version": "1.0",
            "trade_no": trade.trade_no,
            "out_trade_no": trade.out_trade_no,
            "trade_status": trade.state,
            "total_amount": trade.total_amount,
            "receipt_amount": trade.total_amount,
            "seller_id": self.seller_id,
            "subject": trade.subject,
            "gmt_payment": now,
        }
        form.update(overrides)
        form["sign"] = self.sign(signing_string(form, drop=("sign", "sign_type")))
        form["sign_type"] = "RSA2"
        return form
