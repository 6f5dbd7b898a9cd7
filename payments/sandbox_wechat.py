"""A pretend WeChat Pay (API v3) that speaks the real protocol, for the demo's sandbox
(payments/sandbox_views.py, DEBUG only) and the tests' stand-in (tests/payments/wechat_standin.py,
which serves it over HTTP): one implementation.

It does to the shop's traffic what api.mch.weixin.qq.com does:
- verifies each request's `Authorization: WECHATPAY2-SHA256-RSA2048 mchid=..,nonce_str=..,
  signature=..,timestamp=..,serial_no=..` (signature over METHOD\\nURL\\nTIMESTAMP\\nNONCE\\nBODY\\n
  with the merchant's public key; right mchid and serial, fresh timestamp, unused nonce) and
  answers 401 SIGN_ERROR otherwise;
- keeps trades and refunds in memory and checks each body the way WeChat does (appid/mchid,
  integer fen, description length, time_expire format, notify_url without query string, ...);
- signs every answer with its "platform" private key (Wechatpay-Signature, -Timestamp, -Nonce,
  -Serial, -Signature-Type), so that the SDK's response verification runs;
- builds notifications (headers + body, resource encrypted with AEAD_AES_256_GCM under the APIv3
  key, signed with the platform key) for a trade or a refund.

It signs, verifies and encrypts with `cryptography`, not the SDK's code, so the two sides are
not one implementation agreeing with itself.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

CHINA = timezone(timedelta(hours=8))
SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
H5_CASHIER = "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb"


def sign(private_key, message: str) -> str:
    """SHA256-RSA2048 (PKCS#1 v1.5) signature, base64, as WeChat Pay signs."""
    signature = private_key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode()


def china_now() -> str:
    return datetime.now(CHINA).replace(microsecond=0).isoformat()


def new_apiv3_key() -> str:
    """A fresh 32-character APIv3 key (the AES-256 key of notifications)."""
    return secrets.token_hex(16)


def encrypt_resource(apiv3_key: str, payload: dict, associated_data: str) -> dict:
    """A notification's `resource`: the payload encrypted with AEAD_AES_256_GCM."""
    nonce = secrets.token_hex(6)  # 12 characters, as WeChat sends
    ciphertext = AESGCM(apiv3_key.encode()).encrypt(
        nonce.encode(), json.dumps(payload, ensure_ascii=False).encode(), associated_data.encode()
    )
    return {
        "algorithm": "AEAD_AES_256_GCM",
        "ciphertext": base64.b64encode(ciphertext).decode(),
        "associated_data": associated_data,
        "nonce": nonce,
    }


def _private_key(key):
    if isinstance(key, str):
        return serialization.load_pem_private_key(key.encode(), password=None)
    return key


def _public_key(key):
    if isinstance(key, str):
        return serialization.load_pem_public_key(key.encode())
    return key


class Refused(Exception):
    """An error answer as WeChat gives it: HTTP status and {"code", "message"}."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class WechatSandbox:
    """The pretend service. `merchant_public_key` verifies the shop's requests (the public half
    of WECHATPAY_PRIVATE_KEY); `platform_key` signs answers and notifications (the shop verifies
    with its public half, WECHATPAY_PUBLIC_KEY); `serial` is what goes in Wechatpay-Serial (the
    public key id, or the platform certificate's serial when `certificate` is given, which is
    then served at /v3/certificates). Keys: PEM text or `cryptography` key objects.

    `h5_url` is where H5 buyers are sent (the demo's own sandbox page); `refund_status` is what a
    new refund is (WeChat: PROCESSING, confirmed later; the demo may confirm at once)."""

    def __init__(
        self,
        *,
        mchid: str,
        appid: str,
        apiv3_key: str,
        merchant_public_key,
        merchant_serial: str,
        platform_key,
        serial: str,
        certificate: x509.Certificate | None = None,
        h5_url: str = H5_CASHIER,
        refund_status: str = "PROCESSING",
    ):
        self.mchid, self.appid, self.apiv3_key = mchid, appid, apiv3_key
        self.merchant_public_key = _public_key(merchant_public_key)
        self.merchant_serial = merchant_serial
        self.platform_key = _private_key(platform_key)
        self.serial = serial
        self.certificate = certificate
        self.h5_url = h5_url
        self.refund_status = refund_status
        self.trades: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.requests: list[dict] = []  # every request seen: method, path, body, status
        self._nonces: set[str] = set()
        self._lock = threading.RLock()

    # ------------------------------------------------------------ HTTP, transport-free

    def handle(self, method: str, path: str, raw: str, headers) -> tuple[int, str, dict]:
        """One API request (path with its query string, as signed) -> (status, body, headers).
        A 2xx answer is signed; an error answer is not (WeChat's are not verified either)."""
        record = {"method": method, "path": path, "body": None, "status": 0}
        try:
            record["body"] = json.loads(raw) if raw else None
        except ValueError:
            pass
        self.requests.append(record)
        try:
            self._check_authorization(method, path, raw, headers)
            with self._lock:
                status, answer = self._route(method, path, record["body"])
            body = "" if answer is None else json.dumps(answer, ensure_ascii=False)
            answer_headers = self.signed_headers(body)
        except Refused as refusal:
            status = refusal.status
            body = json.dumps({"code": refusal.code, "message": refusal.message})
            answer_headers = {}
        record["status"] = status
        return status, body, answer_headers

    def _check_authorization(self, method: str, path: str, body: str, headers) -> None:
        authorization = headers.get("Authorization", "") or ""
        scheme, _, rest = authorization.partition(" ")
        if scheme != SIGNATURE_TYPE:
            raise Refused(
                401, "SIGN_ERROR", "Authorization scheme is not WECHATPAY2-SHA256-RSA2048"
            )
        fields = {}
        for part in rest.split(","):
            name, _, value = part.strip().partition("=")
            fields[name] = value.strip('"')
        if fields.get("mchid") != self.mchid:
            raise Refused(401, "SIGN_ERROR", "unknown mchid")
        if fields.get("serial_no") != self.merchant_serial:
            raise Refused(401, "SIGN_ERROR", "unknown merchant certificate serial_no")
        try:
            timestamp = int(fields.get("timestamp", ""))
        except ValueError:
            raise Refused(401, "SIGN_ERROR", "timestamp is not a number") from None
        if abs(time.time() - timestamp) > 300:
            raise Refused(401, "SIGN_ERROR", "timestamp is stale")
        nonce = fields.get("nonce_str", "")
        message = f"{method}\n{path}\n{timestamp}\n{nonce}\n{body}\n"
        try:
            signature = base64.b64decode(fields.get("signature", ""), validate=True)
            self.merchant_public_key.verify(
                signature, message.encode(), padding.PKCS1v15(), hashes.SHA256()
            )
        except (InvalidSignature, ValueError):
            raise Refused(401, "SIGN_ERROR", "signature does not verify") from None
        with self._lock:
            if not nonce or nonce in self._nonces:
                raise Refused(401, "SIGN_ERROR", "nonce_str reused")
            self._nonces.add(nonce)

    def signed_headers(
        self, body: str, *, timestamp: int | None = None, serial: str = "", key=None
    ) -> dict:
        """The Wechatpay-* headers of an answer or a notification with this body."""
        timestamp = int(time.time()) if timestamp is None else timestamp
        nonce = uuid.uuid4().hex.upper()
        signature = sign(key or self.platform_key, f"{timestamp}\n{nonce}\n{body}\n")
        return {
            "Wechatpay-Timestamp": str(timestamp),
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": signature,
            "Wechatpay-Serial": serial or self.serial,
            "Wechatpay-Signature-Type": SIGNATURE_TYPE,
        }

    def _route(self, method: str, path: str, body):
        url = urlsplit(path)
        parts = url.path.strip("/").split("/")
        query = {name: values[0] for name, values in parse_qs(url.query).items()}
        if method == "POST" and url.path in {
            "/v3/pay/transactions/native",
            "/v3/pay/transactions/h5",
        }:
            return 200, self._create(parts[-1], body or {})
        if parts[:4] == ["v3", "pay", "transactions", "out-trade-no"] and len(parts) in {5, 6}:
            trade = self.trades.get(parts[4])
            if method == "GET" and len(parts) == 5:
                if query.get("mchid") != self.mchid:
                    raise Refused(400, "PARAM_ERROR", "mchid does not match")
                if trade is None:
                    raise Refused(404, "ORDER_NOT_EXIST", "订单不存在")
                return 200, self.trade_answer(trade)
            if method == "POST" and parts[5] == "close":
                if (body or {}).get("mchid") != self.mchid:
                    raise Refused(400, "PARAM_ERROR", "mchid does not match")
                if trade is None:
                    raise Refused(404, "ORDER_NOT_EXIST", "订单不存在")
                if trade["trade_state"] in {"SUCCESS", "REFUND"}:
                    raise Refused(400, "ORDERPAID", "订单已支付")
                trade["trade_state"] = "CLOSED"
                return 204, None
        if url.path == "/v3/refund/domestic/refunds" and method == "POST":
            return 200, self._refund(body or {})
        if parts[:4] == ["v3", "refund", "domestic", "refunds"] and len(parts) == 5:
            refund = self.refunds.get(parts[4])
            if refund is None:
                raise Refused(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
            return 200, refund
        if url.path == "/v3/certificates" and method == "GET" and self.certificate is not None:
            return 200, self._certificates()
        raise Refused(404, "NOT_FOUND", f"no such API: {method} {url.path}")

    def _certificates(self) -> dict:
        cert = self.certificate
        pem = cert.public_bytes(serialization.Encoding.PEM).decode()
        nonce = secrets.token_hex(6)
        ciphertext = AESGCM(self.apiv3_key.encode()).encrypt(
            nonce.encode(), pem.encode(), b"certificate"
        )
        return {
            "data": [
                {
                    "serial_no": format(cert.serial_number, "X"),
                    "effective_time": cert.not_valid_before_utc.isoformat(),
                    "expire_time": cert.not_valid_after_utc.isoformat(),
                    "encrypt_certificate": {
                        "algorithm": "AEAD_AES_256_GCM",
                        "ciphertext": base64.b64encode(ciphertext).decode(),
                        "associated_data": "certificate",
                        "nonce": nonce,
                    },
                }
            ]
        }

    # ------------------------------------------------------------ the service

    def _create(self, kind: str, body: dict) -> dict:
        if body.get("appid") != self.appid or body.get("mchid") != self.mchid:
            raise Refused(400, "PARAM_ERROR", "appid and mchid do not match")
        description = body.get("description")
        if not isinstance(description, str) or not 0 < len(description.encode()) <= 127:
            raise Refused(400, "PARAM_ERROR", "description must be 1-127 bytes")
        number = body.get("out_trade_no", "")
        if not (isinstance(number, str) and 6 <= len(number) <= 32):
            raise Refused(400, "PARAM_ERROR", "out_trade_no must be 6-32 characters")
        total = (body.get("amount") or {}).get("total")
        if not isinstance(total, int) or isinstance(total, bool) or total < 1:
            raise Refused(400, "PARAM_ERROR", "amount.total must be a whole number of fen")
        if (body.get("amount") or {}).get("currency", "CNY") != "CNY":
            raise Refused(400, "PARAM_ERROR", "currency must be CNY")
        notify_url = urlsplit(body.get("notify_url") or "")
        if notify_url.scheme not in {"http", "https"} or not notify_url.netloc or notify_url.query:
            raise Refused(400, "PARAM_ERROR", "notify_url must be absolute, without a query")
        if "time_expire" in body:
            try:
                expire = datetime.fromisoformat(body["time_expire"])
            except (TypeError, ValueError):
                raise Refused(400, "PARAM_ERROR", "time_expire is not RFC 3339") from None
            if expire.tzinfo is None or expire <= datetime.now(UTC):
                raise Refused(400, "PARAM_ERROR", "time_expire must be a future RFC 3339 time")
        if kind == "h5":
            scene = body.get("scene_info") or {}
            if not scene.get("payer_client_ip") or not (scene.get("h5_info") or {}).get("type"):
                raise Refused(400, "PARAM_ERROR", "scene_info.payer_client_ip and h5_info.type")
        trade = self.trades.get(number)
        if trade is not None:
            if trade["trade_state"] in {"SUCCESS", "REFUND"}:
                raise Refused(400, "ORDERPAID", "订单已支付")
            if trade["trade_state"] == "CLOSED":
                raise Refused(400, "ORDER_CLOSED", "订单已关闭")
            if trade["amount"]["total"] != total or trade["description"] != description:
                raise Refused(400, "INVALID_REQUEST", "201 商户订单号重复")
        else:
            prepay = "wx" + datetime.now(CHINA).strftime("%d%H%M%S") + secrets.token_hex(8)
            trade = self.trades[number] = {
                "appid": body["appid"],
                "mchid": body["mchid"],
                "out_trade_no": number,
                "description": description,
                "amount": {"total": total, "currency": "CNY"},
                "notify_url": body["notify_url"],
                "time_expire": body.get("time_expire", ""),
                "scene_info": body.get("scene_info"),
                "trade_type": "NATIVE" if kind == "native" else "MWEB",
                "trade_state": "NOTPAY",
                "transaction_id": "",
                "success_time": "",
                "refunded": 0,
                "prepay_id": prepay,
            }
        if kind == "native":
            return {"code_url": f"weixin://wxpay/bizpayurl?pr={trade['prepay_id'][-7:]}"}
        return {"h5_url": f"{self.h5_url}?prepay_id={trade['prepay_id']}&package=1405458241"}

    def trade_answer(self, trade: dict) -> dict:
        answer = {
            "appid": trade["appid"],
            "mchid": trade["mchid"],
            "out_trade_no": trade["out_trade_no"],
            "trade_type": trade["trade_type"],
            "trade_state": trade["trade_state"],
            "trade_state_desc": {"SUCCESS": "支付成功", "NOTPAY": "未支付", "CLOSED": "已关闭"}.get(
                trade["trade_state"], trade["trade_state"]
            ),
            "amount": {"total": trade["amount"]["total"], "currency": "CNY"},
        }
        if trade["transaction_id"]:
            answer.update(
                transaction_id=trade["transaction_id"],
                success_time=trade["success_time"],
                bank_type="OTHERS",
                payer={"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
            )
            answer["amount"].update(payer_total=trade["amount"]["total"], payer_currency="CNY")
        return answer

    def _refund(self, body: dict) -> dict:
        number = body.get("out_refund_no", "")
        if not (isinstance(number, str) and 1 <= len(number) <= 64):
            raise Refused(400, "PARAM_ERROR", "out_refund_no")
        if number in self.refunds:
            return self.refunds[number]  # the same refund again: no second refund
        trade = self.trades.get(body.get("out_trade_no", ""))
        if trade is None:
            raise Refused(404, "RESOURCE_NOT_EXISTS", "订单不存在")
        if trade["trade_state"] not in {"SUCCESS", "REFUND"}:
            raise Refused(403, "INVALID_REQUEST", "订单未支付")
        amount = body.get("amount") or {}
        refund, total = amount.get("refund"), amount.get("total")
        if not all(isinstance(x, int) and not isinstance(x, bool) for x in (refund, total)):
            raise Refused(400, "PARAM_ERROR", "amount.refund and amount.total must be fen")
        if total != trade["amount"]["total"]:
            raise Refused(400, "PARAM_ERROR", "amount.total does not match the trade")
        if amount.get("currency") != "CNY":
            raise Refused(400, "PARAM_ERROR", "currency must be CNY")
        if refund < 1 or refund > total - trade["refunded"]:
            raise Refused(403, "NOT_ENOUGH", "申请退款金额超过订单可退金额")
        if len(body.get("reason") or "") > 80:
            raise Refused(400, "PARAM_ERROR", "reason is longer than 80 characters")
        notify_url = body.get("notify_url") or ""
        if notify_url and urlsplit(notify_url).query:
            raise Refused(400, "PARAM_ERROR", "notify_url must be without a query")
        trade["refunded"] += refund
        trade["trade_state"] = "REFUND"
        self.refunds[number] = {
            "refund_id": "50000" + secrets.token_hex(12),
            "out_refund_no": number,
            "transaction_id": trade["transaction_id"],
            "out_trade_no": trade["out_trade_no"],
            "channel": "ORIGINAL",
            "user_received_account": "支付用户零钱",
            "create_time": china_now(),
            "status": self.refund_status,
            "funds_account": "AVAILABLE",
            "reason": body.get("reason", ""),
            "notify_url": notify_url,
            "amount": {
                "total": total,
                "refund": refund,
                "payer_total": total,
                "payer_refund": refund,
                "settlement_total": total,
                "settlement_refund": refund,
                "discount_refund": 0,
                "currency": "CNY",
            },
        }
        if self.refund_status == "SUCCESS":
            self.refunds[number]["success_time"] = china_now()
        return self.refunds[number]

    # ------------------------------------------------------------ what the buyer (or test) does

    def pay(self, out_trade_no: str) -> dict:
        """The buyer scans and pays: the trade becomes SUCCESS with a transaction_id (whatever
        its state: the tests make a payment race a close with it). KeyError for an unknown one."""
        with self._lock:
            trade = self.trades[out_trade_no]
            trade["trade_state"] = "SUCCESS"
            trade["transaction_id"] = "4200" + secrets.token_hex(12)[:24]
            trade["success_time"] = china_now()
            return trade

    def finish_refund(self, out_refund_no: str, status: str = "SUCCESS") -> dict:
        with self._lock:
            refund = self.refunds[out_refund_no]
            refund["status"] = status
            if status == "SUCCESS":
                refund["success_time"] = china_now()
            return refund

    def notification(
        self,
        out_trade_no: str,
        *,
        resource: dict | None = None,
        timestamp: int | None = None,
        serial: str = "",
        signing_key=None,
        tamper_ciphertext: bool = False,
    ) -> tuple[dict, bytes]:
        """A payment notification for a trade, as WeChat would POST it: (headers, body).
        `resource` overrides fields of the decrypted payload (for example another mchid)."""
        payload = self.trade_answer(self.trades[out_trade_no]) | (resource or {})
        success = payload.get("trade_state") == "SUCCESS"
        return self._envelope(
            payload,
            event_type="TRANSACTION.SUCCESS"
            if success
            else "TRANSACTION." + payload["trade_state"],
            summary="支付成功",
            original_type="transaction",
            timestamp=timestamp,
            serial=serial,
            signing_key=signing_key,
            tamper_ciphertext=tamper_ciphertext,
        )

    def refund_notification(self, out_refund_no: str, **kwargs) -> tuple[dict, bytes]:
        refund = self.refunds[out_refund_no]
        payload = {
            "mchid": self.mchid,
            "out_trade_no": refund["out_trade_no"],
            "transaction_id": refund["transaction_id"],
            "out_refund_no": out_refund_no,
            "refund_id": refund["refund_id"],
            "refund_status": refund["status"],
            "success_time": refund.get("success_time", ""),
            "user_received_account": refund["user_received_account"],
            "amount": {
                key: refund["amount"][key]
                for key in ("total", "refund", "payer_total", "payer_refund")
            },
        }
        return self._envelope(
            payload,
            event_type="REFUND." + refund["status"],
            summary="退款成功",
            original_type="refund",
            **kwargs,
        )

    def _envelope(
        self,
        payload: dict,
        *,
        event_type: str,
        summary: str,
        original_type: str,
        timestamp=None,
        serial="",
        signing_key=None,
        tamper_ciphertext=False,
    ) -> tuple[dict, bytes]:
        resource = encrypt_resource(self.apiv3_key, payload, original_type)
        resource["original_type"] = original_type
        if tamper_ciphertext:
            data = bytearray(base64.b64decode(resource["ciphertext"]))
            data[0] ^= 0x01
            resource["ciphertext"] = base64.b64encode(bytes(data)).decode()
        body = json.dumps(
            {
                "id": str(uuid.uuid4()),
                "create_time": china_now(),
                "resource_type": "encrypt-resource",
                "event_type": event_type,
                "summary": summary,
                "resource": resource,
            },
            ensure_ascii=False,
        )
        headers = self.signed_headers(body, timestamp=timestamp, serial=serial, key=signing_key)
        headers["Content-Type"] = "application/json"
        return headers, body.encode()
