"""A local stand-in for api.mch.weixin.qq.com (WeChat Pay API v3), for tests: an HTTP server on
127.0.0.1 (a thread) in front of payments.sandbox_wechat.WechatSandbox (the same pretend service
the demo's sandbox serves), with keys generated for the test.

WechatSandbox verifies each request's signature with the merchant's public key, keeps trades and
refunds in memory, checks each body the way WeChat does, signs every answer with its "platform"
key and builds signed, AES-GCM encrypted notifications for a trade or a refund.

Two verification modes, like real merchants: "public_key" (the WeChat Pay public key and its
PUB_KEY_ID_...) and "certificate" (a self-signed platform certificate served, encrypted, at
/v3/certificates for the SDK to download).
"""

from __future__ import annotations

import os
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from payments.sandbox_wechat import (  # noqa: F401 - re-exported for the tests
    SIGNATURE_TYPE,
    Refused,
    WechatSandbox,
    china_now,
    encrypt_resource,
    new_apiv3_key,
    sign,
)


def _pem_private(key) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _pem_public(key) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@dataclass
class Keys:
    """Everything both sides hold: the merchant's key pair and serial (the merchant keeps the
    private key, WeChat knows the public one), the platform's key pair (WeChat keeps the private
    key, the merchant configures the public key or downloads the certificate), the APIv3 key."""

    mchid: str = "1900000109"
    appid: str = "wx8888888888888888"
    apiv3_key: str = field(default_factory=new_apiv3_key)  # 32 characters
    merchant_key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    merchant_serial: str = field(default_factory=lambda: secrets.token_hex(20).upper())
    platform_key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    public_key_id: str = field(
        default_factory=lambda: (
            "PUB_KEY_ID_0114" + "".join(secrets.choice("0123456789") for _ in range(28))
        )
    )

    def __post_init__(self):
        # The platform certificate for certificate mode: self-signed with the platform key.
        now = datetime.now(UTC)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tenpay.com Root CA stand-in")])
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.platform_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=365))
            .sign(self.platform_key, hashes.SHA256())
        )
        self.certificate_serial = format(self.certificate.serial_number, "X")

    @property
    def merchant_private_pem(self) -> str:
        return _pem_private(self.merchant_key)

    @property
    def platform_public_pem(self) -> str:
        return _pem_public(self.platform_key)

    @property
    def certificate_pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode()


class WechatStandin:
    """Start with `with WechatStandin(keys) as standin:`; point WECHATPAY_API_URL at standin.url
    (standin.settings() gives every WECHATPAY_* value). Trades, refunds, requests, pay(),
    notification() ... are the WechatSandbox's."""

    def __init__(self, keys: Keys, *, mode: str = "public_key", cert_dir: str = ""):
        assert mode in {"public_key", "certificate"}
        self.keys = keys
        self.mode = mode
        self.cert_dir = cert_dir
        self.sandbox = WechatSandbox(
            mchid=keys.mchid,
            appid=keys.appid,
            apiv3_key=keys.apiv3_key,
            merchant_public_key=keys.merchant_key.public_key(),
            merchant_serial=keys.merchant_serial,
            platform_key=keys.platform_key,
            serial=keys.public_key_id if mode == "public_key" else keys.certificate_serial,
            certificate=keys.certificate if mode == "certificate" else None,
        )
        self._server = None

    def __getattr__(self, name):
        # trades, refunds, requests, pay, finish_refund, notification, signed_headers, ...
        return getattr(self.__dict__["sandbox"], name)

    # ------------------------------------------------------------ lifecycle

    def __enter__(self):
        sandbox = self.sandbox

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self._answer()

            def do_POST(self):
                self._answer()

            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                status, body, headers = sandbox.handle(self.command, self.path, raw, self.headers)
                data = body.encode()
                self.send_response(status)
                if status != 204:
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if status != 204:
                    self.wfile.write(data)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def serial(self) -> str:
        """What the platform puts in Wechatpay-Serial."""
        return self.sandbox.serial

    def settings(self) -> dict:
        return self.settings_for(self.url)

    def settings_for(self, api_url: str) -> dict:
        """Every WECHATPAY_* value for these keys, WeChat Pay at `api_url`."""
        values = {
            "WECHATPAY_MCHID": self.keys.mchid,
            "WECHATPAY_APPID": self.keys.appid,
            "WECHATPAY_APIV3_KEY": self.keys.apiv3_key,
            "WECHATPAY_PRIVATE_KEY": self.keys.merchant_private_pem,
            "WECHATPAY_CERT_SERIAL_NO": self.keys.merchant_serial,
            "WECHATPAY_PUBLIC_KEY": "",
            "WECHATPAY_PUBLIC_KEY_ID": "",
            "WECHATPAY_CERT_DIR": "",
            "WECHATPAY_API_URL": api_url,
        }
        if self.mode == "public_key":
            values["WECHATPAY_PUBLIC_KEY"] = self.keys.platform_public_pem
            values["WECHATPAY_PUBLIC_KEY_ID"] = self.keys.public_key_id
        else:
            values["WECHATPAY_CERT_DIR"] = self.cert_dir
        return values

    def deliver(self, out_trade_no: str, **kwargs) -> requests.Response:
        """POST the trade's notification to the notify_url the shop gave (a live server)."""
        headers, body = self.sandbox.notification(out_trade_no, **kwargs)
        return requests.post(
            self.trades[out_trade_no]["notify_url"], data=body, headers=headers, timeout=10
        )


def write_certificate(keys: Keys, directory: str) -> str:
    """What the SDK would have saved after a download: <serial>.pem in the certificate dir."""
    path = os.path.join(directory, keys.certificate_serial + ".pem")
    with open(path, "w") as f:
        f.write(keys.certificate_pem)
    return path
