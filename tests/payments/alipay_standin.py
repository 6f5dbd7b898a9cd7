"""A local Alipay for the tests: an HTTP server on 127.0.0.1 (a thread) in front of
payments.sandbox.AlipaySandbox, which verifies the RSA2 signature of each request the SDK sends
(with the app's public key), keeps trades in memory and answers JSON signed with a generated
"Alipay" key. Keys are generated here (cryptography, RSA 2048)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from payments.sandbox import AlipaySandbox, new_key_pair

APP_ID = "2021000000000042"
SELLER_ID = "2088000000000001"


class AlipayStandIn:
    def __init__(self) -> None:
        self.app_private_pem, self.app_public_pem = new_key_pair()
        self.alipay_private_pem, self.alipay_public_pem = new_key_pair()
        self.sandbox = AlipaySandbox(
            app_id=APP_ID,
            app_public_key_pem=self.app_public_pem,
            alipay_private_key_pem=self.alipay_private_pem,
            seller_id=SELLER_ID,
        )
        self.down = False  # True: every call fails as if Alipay could not be reached
        sandbox, standin = self.sandbox, self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                if standin.down:
                    self.send_response(503)
                    self.end_headers()
                    return
                params = dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))
                kind, answer = sandbox.handle(params)
                if kind == "page":
                    body = f"<h1>Alipay</h1><p>{answer.total_amount}</p>".encode()
                    content_type = "text/html; charset=utf-8"
                else:
                    body = answer.encode()
                    content_type = "application/json; charset=utf-8"
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/gateway.do"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def settings(self) -> dict:
        """The shop's settings for this stand-in."""
        return {
            "ALIPAY_APP_ID": APP_ID,
            "ALIPAY_APP_PRIVATE_KEY": self.app_private_pem,
            "ALIPAY_PUBLIC_KEY": self.alipay_public_pem,
            "ALIPAY_SELLER_ID": SELLER_ID,
            "ALIPAY_GATEWAY_URL": self.url,
        }

    def methods(self) -> list[str]:
        return [method for method, _biz in self.sandbox.requests]
