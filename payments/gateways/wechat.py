"""WeChat Pay (微信支付) API v3 for a direct merchant, through the wechatpayv3 SDK.

Desktop buyers get Native pay (a `code_url` we draw as a QR code), phone browsers get H5 pay (a
redirect to WeChat's cashier). Every request is signed by the SDK with the merchant's private key
and every 2xx answer's Wechatpay-Signature is verified by the SDK with the platform key (the
"WeChat Pay public key", or platform certificates kept in WECHATPAY_CERT_DIR); notifications are
verified the same way and their resource decrypted with the APIv3 key (AEAD_AES_256_GCM).

Money crosses this module as Decimal yuan and is sent to WeChat as integer fen.
"""

from __future__ import annotations

import json
import re
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote, urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from wechatpayv3 import WeChatPay, WeChatPayType
from wechatpayv3.core import Core
from wechatpayv3.utils import load_private_key, load_public_key

from .base import (
    CLOSED,
    DESKTOP,
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

# Every credential a working setup needs, by setting name; a verification key comes on top.
REQUIRED = (
    "WECHATPAY_MCHID",
    "WECHATPAY_APPID",
    "WECHATPAY_APIV3_KEY",
    "WECHATPAY_PRIVATE_KEY",
    "WECHATPAY_CERT_SERIAL_NO",
)
VERIFICATION = ("WECHATPAY_PUBLIC_KEY", "WECHATPAY_PUBLIC_KEY_ID", "WECHATPAY_CERT_DIR")

# WeChat refuses a notification whose timestamp is far from now; so do we (replays of an old
# captured notification), both ways, allowing for clock drift.
NOTIFICATION_MAX_AGE = 5 * 60
DESCRIPTION_MAX_BYTES = 127  # description string(127), counted in UTF-8 bytes
REFUND_REASON_MAX = 80  # reason string(80)
# out_trade_no / out_refund_no: WeChat takes 6-32 of digits, letters, _ - | *; we leave out | and *,
# which requests would percent-encode in query and close paths after the SDK signed them raw.
NUMBER_RE = re.compile(r"[0-9A-Za-z_-]{6,32}")
TIMEOUT = (5, 20)  # connect, read (seconds)
CHINA = timezone(timedelta(hours=8))
FEN = Decimal("0.01")

# WeChat's words -> the shop's.
TRADE_STATES = {
    "SUCCESS": PAID,
    "NOTPAY": PENDING,
    "USERPAYING": PENDING,
    "CLOSED": CLOSED,
    "REVOKED": CLOSED,
    "PAYERROR": CLOSED,
    # "转入退款": some or all of a paid trade went back; the payment record keeps the amounts.
    "REFUND": REFUNDED,
}
REFUND_STATES = {
    "SUCCESS": REFUND_SUCCEEDED,
    "PROCESSING": REFUND_PENDING,
    "CLOSED": REFUND_FAILED,
    # The money could not reach the buyer (closed card, ...): the owner must act in the platform.
    "ABNORMAL": REFUND_FAILED,
}


class WechatApiError(GatewayError):
    """WeChat answered with an error (`status`, WeChat's `code` such as ORDERPAID or
    ORDER_NOT_EXIST), or its answer could not be verified (status 0)."""

    def __init__(self, message: str, *, status: int = 0, code: str = ""):
        super().__init__(message)
        self.status = status
        self.code = code


def _setting(name: str, values=None) -> str:
    """A setting's value, from django.conf.settings or from `values` (a mapping, such as the
    production settings module's globals() before Django is set up)."""
    value = getattr(settings, name, "") if values is None else values.get(name, "")
    return str(value or "").strip()


def _value(name: str) -> str:
    return _setting(name)


def _pem(value: str) -> str:
    """PEM text as given (or only its base64 body, which the SDK wraps), or the text of the file
    it names. The error never repeats a value that may be a key."""
    if "-----BEGIN" in value or (len(value) > 200 and re.fullmatch(r"[A-Za-z0-9+/=\s]+", value)):
        return value
    try:
        return Path(value).expanduser().read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        shown = repr(value) if len(value) < 256 and "\n" not in value else "the value"
        raise ImproperlyConfigured(f"{shown} is neither PEM text nor a readable file.") from None


def wechat_settings_problems(values=None) -> list[str]:
    """What is wrong with the WECHATPAY_* settings, one sentence each; [] when WeChat Pay is
    fully set up or not set up at all (then it is simply not offered). For the system check
    (payments.E001) and, with `values` (a mapping of setting names), production's refusal to
    start (payments.settings_check)."""

    def _value(name: str) -> str:
        return _setting(name, values)

    names = REQUIRED + VERIFICATION
    if not any(_value(name) for name in names):
        return []
    problems = [
        f"WeChat Pay is half configured: {name} is missing."
        for name in REQUIRED
        if not _value(name)
    ]
    public_key, public_key_id = _value("WECHATPAY_PUBLIC_KEY"), _value("WECHATPAY_PUBLIC_KEY_ID")
    cert_dir = _value("WECHATPAY_CERT_DIR")
    if bool(public_key) != bool(public_key_id):
        missing = "WECHATPAY_PUBLIC_KEY_ID" if public_key else "WECHATPAY_PUBLIC_KEY"
        problems.append(f"WeChat Pay is half configured: {missing} is missing.")
    elif not public_key and not cert_dir:
        problems.append(
            "WeChat Pay is half configured: WECHATPAY_PUBLIC_KEY and WECHATPAY_PUBLIC_KEY_ID "
            "(or WECHATPAY_CERT_DIR) are missing."
        )
    if cert_dir and not public_key and not Path(cert_dir).is_dir():
        problems.append(f"WECHATPAY_CERT_DIR {cert_dir!r} is not a directory.")
    apiv3_key = _value("WECHATPAY_APIV3_KEY")
    if apiv3_key and len(apiv3_key.encode()) != 32:
        problems.append("WECHATPAY_APIV3_KEY must be the 32-character APIv3 key.")
    for name, load, kind in (
        ("WECHATPAY_PRIVATE_KEY", load_private_key, "an RSA private key"),
        ("WECHATPAY_PUBLIC_KEY", load_public_key, "an RSA public key"),
    ):
        if _value(name):
            try:
                load(_pem(_value(name)))
            except ImproperlyConfigured as error:
                problems.append(f"{name}: {error}")
            except Exception:  # noqa: BLE001 - the SDK's loaders raise bare Exception
                problems.append(f"{name} is not {kind} in PEM form.")
    url = urlsplit(_value("WECHATPAY_API_URL") or "https://api.mch.weixin.qq.com")
    if url.scheme != "https" and url.hostname not in {"127.0.0.1", "localhost", "::1"}:
        problems.append("WECHATPAY_API_URL must be an https address.")
    return problems


def yuan_to_fen(amount: Decimal) -> int:
    """Exact yuan -> fen; ValueError for a fraction of a fen, zero or less, or not a number."""
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int):
        raise TypeError(f"amount must be a Decimal, not {type(amount).__name__}")
    amount = Decimal(amount)
    if not amount.is_finite():
        raise ValueError(f"amount {amount} is not a number")
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise ValueError(f"amount {amount} has a fraction of a fen")
    if fen <= 0:
        raise ValueError(f"amount {amount} must be more than zero")
    return int(fen)


def fen_to_yuan(fen) -> Decimal:
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise ValueError(f"amount in fen must be an integer, not {fen!r}")
    return Decimal(fen).scaleb(-2).quantize(FEN)


def rfc3339_china(moment: datetime) -> str:
    """`2026-12-02T12:30:00+08:00`: WeChat's time_expire, in China's time, whole seconds."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("expires_at must be an aware datetime")
    return moment.astimezone(CHINA).replace(microsecond=0).isoformat()


def truncate_utf8(text: str, limit: int) -> str:
    """At most `limit` UTF-8 bytes, never cutting a character in two."""
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


def _number(value: str, what: str) -> str:
    if not NUMBER_RE.fullmatch(value or ""):
        raise ValueError(f"{what} {value!r} must be 6-32 letters, digits, _ or -")
    return value


class _Core(Core):
    """The SDK's Core with our API address.

    wechatpayv3 2.0.4 hard-codes `self._gate_way = 'https://api.mch.weixin.qq.com'` in
    Core.__init__ and, in certificate mode, downloads the platform certificates from it inside
    that same __init__; setting the attribute afterwards would be too late. A read-only property
    keeps the SDK's assignment from ever taking effect."""

    def __init__(self, *, api_url: str, **kwargs):
        self._api_url = api_url.rstrip("/")
        super().__init__(**kwargs)

    @property
    def _gate_way(self) -> str:
        return self._api_url

    @_gate_way.setter
    def _gate_way(self, value: str) -> None:
        pass  # the SDK's hard-coded production address; ours stays


class _Client(WeChatPay):
    """wechatpayv3.WeChatPay built on _Core. WeChatPay.__init__ (2.0.4) only stores these six
    attributes and builds a Core; we do the same with ours, so that the SDK's own pay, query,
    close, refund and callback methods run unchanged."""

    def __init__(self, *, api_url: str, mchid: str, appid: str, **core_kwargs):
        self._type = WeChatPayType.NATIVE
        self._mchid = mchid
        self._appid = appid
        self._notify_url = None
        self._partner_mode = False
        self._core = _Core(api_url=api_url, mchid=mchid, timeout=TIMEOUT, **core_kwargs)


class WechatPay(Gateway):
    code = "wechat"
    # Current docs: 200 or 204 means received (any body is ignored); older docs asked for this
    # JSON. 200 with it satisfies both. Refused: 4xx/5xx with code FAIL, and WeChat retries.
    success_body = b'{"code":"SUCCESS","message":"OK"}'
    success_content_type = "application/json"
    failure_body = b'{"code":"FAIL","message":"FAIL"}'
    failure_status = 400

    @staticmethod
    def settings_problem() -> list[str]:
        """For payments.checks: wechat_settings_problems(), one sentence each."""
        return wechat_settings_problems()

    @classmethod
    def configured(cls) -> bool:
        """Every credential and a verification key (public key + id, or a certificate dir)."""
        has_key = bool(_value("WECHATPAY_PUBLIC_KEY") and _value("WECHATPAY_PUBLIC_KEY_ID"))
        has_key = has_key or bool(_value("WECHATPAY_CERT_DIR"))
        return has_key and all(_value(name) for name in REQUIRED)

    def __init__(self):
        problems = wechat_settings_problems()
        if problems:
            raise ImproperlyConfigured(" ".join(problems))
        if not self.configured():
            raise ImproperlyConfigured("WeChat Pay is not configured (no WECHATPAY_* settings).")
        self.mchid = _value("WECHATPAY_MCHID")
        self.appid = _value("WECHATPAY_APPID")
        self.public_key_id = ""
        self.api_url = _value("WECHATPAY_API_URL") or "https://api.mch.weixin.qq.com"
        kwargs = {
            "private_key": _pem(_value("WECHATPAY_PRIVATE_KEY")),
            "cert_serial_no": _value("WECHATPAY_CERT_SERIAL_NO"),
            "apiv3_key": _value("WECHATPAY_APIV3_KEY"),
        }
        if _value("WECHATPAY_PUBLIC_KEY"):
            self.public_key_id = _value("WECHATPAY_PUBLIC_KEY_ID")
            kwargs["public_key"] = _pem(_value("WECHATPAY_PUBLIC_KEY"))
            kwargs["public_key_id"] = self.public_key_id
        else:
            kwargs["cert_dir"] = _value("WECHATPAY_CERT_DIR")
        try:
            self.client = _Client(
                api_url=self.api_url, mchid=self.mchid, appid=self.appid, **kwargs
            )
        except requests.RequestException as error:
            # Certificate mode with no valid certificate on disk: the SDK downloads them now.
            raise WechatApiError(
                f"WeChat Pay certificates could not be fetched: {error}"
            ) from error
        except Exception as error:  # the SDK raises bare Exception for everything else
            if "No wechatpay platform certificate" in str(error):
                raise WechatApiError(f"WeChat Pay certificates: {error}") from error
            raise ImproperlyConfigured(f"WeChat Pay settings are unusable: {error}") from error

    # ------------------------------------------------------------ requests

    def _call(self, method, *args, ok=(200, 204), **kwargs) -> tuple[int, dict]:
        """One SDK request -> (status, JSON answer). GatewayError when WeChat cannot be reached,
        its answer's signature does not verify, or the status is not in `ok`."""
        try:
            status, text = method(*args, **kwargs)
        except requests.RequestException as error:
            raise WechatApiError(f"WeChat Pay could not be reached: {error}") from error
        except Exception as error:  # the SDK raises bare Exception, e.g. for a bad signature
            raise WechatApiError(f"WeChat Pay's answer was refused: {error}") from error
        if isinstance(text, bytes):
            text = text.decode("utf-8", errors="replace")
        try:
            data = json.loads(text) if text else {}
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        if status not in ok:
            code = str(data.get("code", ""))
            message = str(data.get("message", text))[:200]
            raise WechatApiError(
                f"WeChat Pay answered {status} {code}: {message}", status=status, code=code
            )
        return status, data

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
        """Native (desktop: the code_url to draw as a QR code) or H5 (phone browser: WeChat's
        cashier, which sends the buyer back to `return_url`). ValueError for an amount with a
        fraction of a fen, an out_trade_no WeChat refuses, an H5 start without client_ip."""
        _number(out_trade_no, "out_trade_no")
        description = truncate_utf8((subject or "").strip(), DESCRIPTION_MAX_BYTES) or out_trade_no
        params = {
            "description": description,
            "out_trade_no": out_trade_no,
            "amount": {"total": yuan_to_fen(amount), "currency": "CNY"},
            "notify_url": notify_url,
        }
        if expires_at is not None:
            params["time_expire"] = rfc3339_china(expires_at)
        if device == DESKTOP:
            _, data = self._call(self.client.pay, pay_type=WeChatPayType.NATIVE, **params)
            if not data.get("code_url"):
                raise WechatApiError("WeChat Pay gave no code_url")
            return Start(qr_text=data["code_url"])
        if device == MOBILE:
            if not client_ip:
                raise ValueError("H5 pay needs the buyer's IP address (client_ip)")
            scene_info = {"payer_client_ip": client_ip, "h5_info": {"type": "Wap"}}
            _, data = self._call(
                self.client.pay, pay_type=WeChatPayType.H5, scene_info=scene_info, **params
            )
            if not data.get("h5_url"):
                raise WechatApiError("WeChat Pay gave no h5_url")
            # WeChat's cashier returns the buyer to redirect_url (urlencoded) after paying.
            return Start(
                redirect_url=data["h5_url"] + "&redirect_url=" + quote(return_url, safe="")
            )
        raise ValueError(f"unknown device {device!r}")

    def query(self, out_trade_no: str) -> TradeStatus:
        """Where a trade stands; UNKNOWN when WeChat has no such trade (ORDER_NOT_EXIST)."""
        try:
            _, data = self._call(
                self.client.query, out_trade_no=_number(out_trade_no, "out_trade_no")
            )
        except WechatApiError as error:
            if error.status == 404 and error.code == "ORDER_NOT_EXIST":
                return TradeStatus(out_trade_no, "", UNKNOWN, None, {"code": error.code})
            raise
        try:
            state = TRADE_STATES[data["trade_state"]]
            total = data.get("amount", {}).get("total")
            amount = fen_to_yuan(total) if total is not None else None
        except (KeyError, AttributeError, ValueError) as error:
            raise WechatApiError(f"WeChat Pay's trade answer is malformed: {error!r}") from error
        if data.get("out_trade_no") != out_trade_no or data.get("mchid") not in (None, self.mchid):
            raise WechatApiError("WeChat Pay answered about another trade")
        return TradeStatus(out_trade_no, data.get("transaction_id", ""), state, amount, data)

    def close(self, out_trade_no: str) -> None:
        """Close an unpaid trade (204). A paid trade answers WechatApiError code ORDERPAID."""
        self._call(self.client.close, out_trade_no=_number(out_trade_no, "out_trade_no"))

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
        """Ask for a refund of `amount` of a trade paid `total` (both sent in fen; WeChat checks
        total against the trade). ValueError when amount exceeds total or has a fraction of a fen;
        the same out_refund_no again is the same refund (WeChat answers it, no second refund)."""
        refund_fen, total_fen = yuan_to_fen(amount), yuan_to_fen(total)
        if refund_fen > total_fen:
            raise ValueError(f"refund {amount} is more than the trade's {total}")
        _, data = self._call(
            self.client.refund,
            out_refund_no=_number(out_refund_no, "out_refund_no"),
            out_trade_no=_number(out_trade_no, "out_trade_no"),
            amount={"refund": refund_fen, "total": total_fen, "currency": "CNY"},
            reason=(reason or "").strip()[:REFUND_REASON_MAX] or None,
            notify_url=notify_url or None,
        )
        return self._refund_status(out_refund_no, data)

    def query_refund(self, *, out_trade_no: str, out_refund_no: str) -> RefundStatus:
        """Where a refund stands. WechatApiError (404, RESOURCE_NOT_EXISTS) for an unknown one."""
        _, data = self._call(
            self.client.query_refund, out_refund_no=_number(out_refund_no, "out_refund_no")
        )
        if data.get("out_trade_no") not in (None, out_trade_no):
            raise WechatApiError("WeChat Pay answered about another trade's refund")
        return self._refund_status(out_refund_no, data)

    @staticmethod
    def _refund_status(out_refund_no: str, data: dict) -> RefundStatus:
        try:
            state = REFUND_STATES[data["status"]]
            amount = fen_to_yuan(data["amount"]["refund"])
        except (KeyError, TypeError, ValueError) as error:
            raise WechatApiError(f"WeChat Pay's refund answer is malformed: {error!r}") from error
        if data.get("out_refund_no") != out_refund_no:
            raise WechatApiError("WeChat Pay answered about another refund")
        return RefundStatus(out_refund_no, data.get("refund_id", ""), state, amount, data)

    # ------------------------------------------------------------ notifications

    def verify_notification(self, *, headers, body: bytes) -> Notification:
        """Verify (platform key), check freshness (5 minutes), decrypt (APIv3 key) and read one
        notification. A payment notification gives the trade's state (PAID, CLOSED, PENDING);
        a refund notification (event_type REFUND.*) gives REFUND_SUCCEEDED / REFUND_FAILED with
        the refunded amount, app_id "" (WeChat sends none) and raw["out_refund_no"].
        The app id and merchant are returned, not judged: the caller compares them.
        Raises BadNotification for anything that does not verify or parse."""
        wanted = {
            name: _header(headers, name)
            for name in (
                "Wechatpay-Signature",
                "Wechatpay-Timestamp",
                "Wechatpay-Nonce",
                "Wechatpay-Serial",
                "Wechatpay-Signature-Type",
            )
        }
        try:
            text = body.decode("utf-8") if isinstance(body, bytes) else str(body)
        except UnicodeDecodeError as error:
            raise BadNotification("the body is not UTF-8") from error
        if not all(wanted[name] for name in wanted if name != "Wechatpay-Signature-Type"):
            raise BadNotification("Wechatpay-* signature headers are missing")
        try:
            age = abs(time.time() - int(wanted["Wechatpay-Timestamp"]))
        except ValueError as error:
            raise BadNotification("Wechatpay-Timestamp is not a number") from error
        if age > NOTIFICATION_MAX_AGE:
            raise BadNotification(f"Wechatpay-Timestamp is {int(age)} s away from now")
        serial = wanted["Wechatpay-Serial"]
        # In public key mode an unknown serial would make the SDK download certificates from
        # WeChat on the sender's say-so: refuse it here. In certificate mode that download is how
        # a rotated platform certificate is learnt.
        if self.public_key_id and serial != self.public_key_id:
            raise BadNotification(f"unknown Wechatpay-Serial {serial[:64]!r}")
        if not self.public_key_id and not re.fullmatch(r"[0-9A-Fa-f]{1,64}", serial):
            raise BadNotification(f"malformed Wechatpay-Serial {serial[:64]!r}")
        try:
            data = self.client.callback(wanted, text)
        except Exception as error:  # the SDK raises bare Exception (algorithm, JSON, base64)
            raise BadNotification(f"the notification could not be read: {error}") from error
        if not data:
            raise BadNotification("bad signature or undecryptable resource")
        return _notification(data)

    def refuse_foreign(self, notification: Notification) -> None:
        """Another merchant's notification, or a payment notification for another app id
        (refund notifications carry no app id): BadNotification, as for a bad signature."""
        if notification.merchant_id != self.mchid:
            raise BadNotification(f"another merchant (mchid {notification.merchant_id[:32]!r})")
        refund = notification.state in REFUND_STATES.values()
        if not refund and notification.app_id != self.appid:
            raise BadNotification(f"another app (appid {notification.app_id[:32]!r})")


def _header(headers, name: str) -> str:
    """A header from Django's request.headers, request.META or a plain dict, any case."""
    meta = "HTTP_" + name.upper().replace("-", "_")
    for key in (name, name.lower(), meta):
        value = headers.get(key)
        if value:
            return str(value)
    for key, value in headers.items():
        if str(key).lower() == name.lower():
            return str(value)
    return ""


def _notification(data: dict) -> Notification:
    resource = data.get("resource")
    event = str(data.get("event_type", ""))
    try:
        if not isinstance(resource, dict):
            raise ValueError("resource is not an object")
        if event.startswith("REFUND."):
            return Notification(
                out_trade_no=str(resource["out_trade_no"]),
                trade_no=str(resource.get("transaction_id", "")),
                state=REFUND_STATES[resource["refund_status"]],
                amount=fen_to_yuan(resource["amount"]["refund"]),
                app_id="",
                merchant_id=str(resource["mchid"]),
                raw=data | {"out_refund_no": str(resource["out_refund_no"])},
            )
        return Notification(
            out_trade_no=str(resource["out_trade_no"]),
            trade_no=str(resource.get("transaction_id", "")),
            state=TRADE_STATES[resource["trade_state"]],
            amount=fen_to_yuan(resource["amount"]["total"]),
            app_id=str(resource["appid"]),
            merchant_id=str(resource["mchid"]),
            raw=data,
        )
    except (KeyError, TypeError, ValueError) as error:
        raise BadNotification(f"malformed notification resource: {error!r}") from error
