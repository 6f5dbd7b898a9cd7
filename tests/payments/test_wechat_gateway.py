"""WeChat Pay gateway against the local stand-in: the SDK's own request signing and response and
notification verification run both ways with generated keys; nothing leaves 127.0.0.1."""

import json
import os
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import ImproperlyConfigured

from payments.gateways.base import (
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
    GatewayError,
)
from payments.gateways.wechat import WechatPay, wechat_settings_problems

from .wechat_standin import Keys, WechatStandin

EXPIRES = timedelta(minutes=30)
RETURN_URL = "https://shop.example.cn/orders/track/AB12CD?paid=1"
NOTIFY_URL = "https://shop.example.cn/payments/notify/wechat/"
REQUIRED = [
    "WECHATPAY_MCHID",
    "WECHATPAY_APPID",
    "WECHATPAY_APIV3_KEY",
    "WECHATPAY_PRIVATE_KEY",
    "WECHATPAY_CERT_SERIAL_NO",
]


@pytest.fixture(autouse=True)
def only_localhost(monkeypatch):
    """No test may resolve any host but the stand-in's: the hosts tried are kept for asserts."""
    tried = []
    real = socket.getaddrinfo

    def guarded(host, *args, **kwargs):
        tried.append(host)
        if host not in {"127.0.0.1", "localhost"}:
            raise socket.gaierror(f"test guard: no internet ({host})")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded)
    return tried


@pytest.fixture(scope="module")
def keys():
    return Keys()


@pytest.fixture
def standin(keys):
    with WechatStandin(keys) as standin:
        yield standin


@pytest.fixture
def configure(settings):
    def configure(values: dict):
        for name, value in values.items():
            setattr(settings, name, value)

    return configure


@pytest.fixture
def gateway(standin, configure):
    configure(standin.settings())
    return WechatPay()


def start(gateway, number="WX20261202A1", amount=Decimal("309.00"), device=DESKTOP, **kwargs):
    kwargs = {
        "subject": "亚麻衬衫 x1",
        "return_url": RETURN_URL,
        "notify_url": NOTIFY_URL,
        "expires_at": datetime.now(UTC) + EXPIRES,
        "client_ip": "203.0.113.7",
    } | kwargs
    return gateway.start(out_trade_no=number, amount=amount, device=device, **kwargs)


def paid_trade(gateway, standin, number="WX20261202P1", amount=Decimal("309.00")):
    start(gateway, number, amount)
    return standin.pay(number)


# ---------------------------------------------------------------- start


@pytest.mark.parametrize(
    "amount, fen",
    [(Decimal("309.00"), 30900), (Decimal("0.01"), 1), (Decimal("12.3"), 1230), (88, 8800)],
)
def test_native_start_sends_fen_and_gives_the_code_url(gateway, standin, amount, fen):
    expires_at = datetime(2030, 5, 1, 4, 30, 15, 123456, tzinfo=UTC)

    result = start(gateway, "WX20261202N1", amount, expires_at=expires_at)

    seen = standin.requests[-1]
    assert (seen["method"], seen["path"], seen["status"]) == (
        "POST",
        "/v3/pay/transactions/native",
        200,
    )
    body = seen["body"]
    assert body["amount"] == {"total": fen, "currency": "CNY"}
    assert (body["appid"], body["mchid"]) == ("wx8888888888888888", "1900000109")
    assert body["out_trade_no"] == "WX20261202N1"
    assert body["time_expire"] == "2030-05-01T12:30:15+08:00"  # China's time, whole seconds
    assert body["notify_url"] == NOTIFY_URL
    assert body["description"] == "亚麻衬衫 x1"
    assert "scene_info" not in body
    assert result.qr_text.startswith("weixin://wxpay/bizpayurl?pr=")
    assert result.qr_text.endswith(standin.trades["WX20261202N1"]["prepay_id"][-7:])
    assert result.redirect_url == ""


def test_h5_start_redirects_to_the_cashier_and_back(gateway, standin):
    result = start(gateway, "WX20261202H1", device=MOBILE, client_ip="198.51.100.20")

    seen = standin.requests[-1]
    assert seen["path"] == "/v3/pay/transactions/h5"
    assert seen["body"]["scene_info"] == {
        "payer_client_ip": "198.51.100.20",
        "h5_info": {"type": "Wap"},
    }
    assert seen["body"]["amount"]["total"] == 30900
    prepay = standin.trades["WX20261202H1"]["prepay_id"]
    h5_url, _, back = result.redirect_url.partition("&redirect_url=")
    assert h5_url.startswith("https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?")
    assert f"prepay_id={prepay}" in h5_url
    assert back == quote(RETURN_URL, safe="")  # one query value: its own ? and & encoded
    assert "%3Fpaid%3D1" in back
    assert result.qr_text == ""


def test_h5_needs_the_buyers_ip(gateway, standin):
    with pytest.raises(ValueError, match="client_ip"):
        start(gateway, "WX20261202H2", device=MOBILE, client_ip="")
    assert standin.requests == []


def test_a_long_chinese_subject_is_cut_to_127_bytes_between_characters(gateway, standin):
    subject = "纯棉" * 50 + "衬衫"  # 102 characters, 306 bytes

    start(gateway, "WX20261202D1", subject=subject)

    description = standin.requests[-1]["body"]["description"]
    assert description == subject[:42]  # 42 x 3 = 126 bytes; a 43rd would make 129
    assert len(description.encode()) == 126


@pytest.mark.parametrize(
    "amount", [Decimal("0.001"), Decimal("1.005"), Decimal("0"), Decimal("-5"), Decimal("NaN")]
)
def test_amounts_that_are_not_whole_fen_are_refused_before_sending(gateway, standin, amount):
    with pytest.raises(ValueError):
        start(gateway, "WX20261202F1", amount)
    assert standin.requests == []


def test_floats_are_refused(gateway, standin):
    with pytest.raises(TypeError):
        start(gateway, "WX20261202F2", 0.1 + 0.2)
    assert standin.requests == []


def test_a_naive_expiry_and_a_bad_trade_number_are_refused(gateway, standin):
    with pytest.raises(ValueError, match="aware"):
        start(gateway, "WX20261202E1", expires_at=datetime.now() + EXPIRES)
    with pytest.raises(ValueError, match="out_trade_no"):
        start(gateway, "WX 1/../x")
    with pytest.raises(ValueError, match="out_trade_no"):
        start(gateway, "WX2026120\n")
    assert standin.requests == []


def test_an_expiry_in_the_past_is_refused_by_wechat(gateway, standin):
    with pytest.raises(GatewayError) as refused:
        start(gateway, "WX20261202E2", expires_at=datetime.now(UTC) - timedelta(minutes=1))
    assert (refused.value.status, refused.value.code) == (400, "PARAM_ERROR")
    assert standin.trades == {}


def test_the_same_trade_number_with_another_amount_is_refused_by_wechat(gateway, standin):
    first = start(gateway, "WX20261202R1", Decimal("10.00"))
    assert start(gateway, "WX20261202R1", Decimal("10.00")) == first  # same trade, same code

    with pytest.raises(GatewayError) as refused:
        start(gateway, "WX20261202R1", Decimal("11.00"))
    assert refused.value.code == "INVALID_REQUEST"


# ---------------------------------------------------------------- notifications


def test_a_payment_notification_is_verified_and_decrypted(gateway, standin):
    trade = paid_trade(gateway, standin)
    headers, body = standin.notification("WX20261202P1")

    notification = gateway.verify_notification(headers=headers, body=body)

    assert notification.out_trade_no == "WX20261202P1"
    assert notification.trade_no == trade["transaction_id"] != ""
    assert notification.state == PAID
    assert notification.amount == Decimal("309.00")
    assert (notification.app_id, notification.merchant_id) == ("wx8888888888888888", "1900000109")
    assert notification.raw["resource"]["amount"]["total"] == 30900
    assert notification.raw["event_type"] == "TRANSACTION.SUCCESS"


def test_django_style_and_lower_case_headers_are_read(gateway, standin):
    paid_trade(gateway, standin)
    headers, body = standin.notification("WX20261202P1")
    meta = {"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()}
    lower = {name.lower(): value for name, value in headers.items()}

    assert gateway.verify_notification(headers=meta, body=body).state == PAID
    assert gateway.verify_notification(headers=lower, body=body).state == PAID


def test_one_fen_comes_back_as_one_fen(gateway, standin):
    paid_trade(gateway, standin, "WX20261202P2", Decimal("0.01"))
    headers, body = standin.notification("WX20261202P2")

    assert gateway.verify_notification(headers=headers, body=body).amount == Decimal("0.01")


def test_another_merchant_in_the_payload_is_reported_for_the_caller_to_refuse(gateway, standin):
    paid_trade(gateway, standin)
    headers, body = standin.notification(
        "WX20261202P1", resource={"mchid": "1900000999", "appid": "wxaaaaaaaaaaaaaaaa"}
    )

    notification = gateway.verify_notification(headers=headers, body=body)

    assert notification.merchant_id == "1900000999"
    assert notification.app_id == "wxaaaaaaaaaaaaaaaa"


def test_a_notification_signed_with_another_key_is_refused(gateway, standin):
    paid_trade(gateway, standin)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    headers, body = standin.notification("WX20261202P1", signing_key=other)

    with pytest.raises(BadNotification, match="signature"):
        gateway.verify_notification(headers=headers, body=body)


def test_a_body_changed_after_signing_is_refused(gateway, standin):
    paid_trade(gateway, standin)
    headers, body = standin.notification("WX20261202P1")
    changed = json.loads(body) | {"summary": "支付成功!"}

    with pytest.raises(BadNotification):
        gateway.verify_notification(headers=headers, body=json.dumps(changed).encode())


def test_an_unknown_serial_is_refused_without_asking_wechat(gateway, standin):
    paid_trade(gateway, standin)
    seen = len(standin.requests)
    headers, body = standin.notification("WX20261202P1", serial="PUB_KEY_ID_0114000000000000")

    with pytest.raises(BadNotification, match="Wechatpay-Serial"):
        gateway.verify_notification(headers=headers, body=body)
    assert len(standin.requests) == seen  # no certificate download on a stranger's say-so


def test_a_tampered_ciphertext_is_refused(gateway, standin):
    paid_trade(gateway, standin)
    headers, body = standin.notification("WX20261202P1", tamper_ciphertext=True)

    with pytest.raises(BadNotification):
        gateway.verify_notification(headers=headers, body=body)


def test_a_notification_encrypted_with_another_apiv3_key_is_refused(gateway, standin, keys):
    paid_trade(gateway, standin)
    standin.sandbox.apiv3_key = "0" * 32  # the stand-in is made afresh for each test
    headers, body = standin.notification("WX20261202P1")

    with pytest.raises(BadNotification):
        gateway.verify_notification(headers=headers, body=body)


@pytest.mark.parametrize("seconds", [-301, -3600, 301])
def test_a_stale_or_future_timestamp_is_refused(gateway, standin, seconds):
    paid_trade(gateway, standin)
    headers, body = standin.notification("WX20261202P1", timestamp=int(time.time()) + seconds)

    with pytest.raises(BadNotification, match="Timestamp"):
        gateway.verify_notification(headers=headers, body=body)


def test_four_minutes_old_is_still_fresh(gateway, standin):
    paid_trade(gateway, standin)
    headers, body = standin.notification("WX20261202P1", timestamp=int(time.time()) - 240)

    assert gateway.verify_notification(headers=headers, body=body).state == PAID


def test_missing_headers_and_signed_garbage_are_refused(gateway, standin):
    paid_trade(gateway, standin)
    headers, body = standin.notification("WX20261202P1")
    with pytest.raises(BadNotification, match="missing"):
        gateway.verify_notification(headers={"Content-Type": "application/json"}, body=body)

    for garbage in ["not json", '{"resource_type": "encrypt-resource"}', "[1, 2]"]:
        with pytest.raises(BadNotification):
            gateway.verify_notification(headers=standin.signed_headers(garbage), body=garbage)
    with pytest.raises(BadNotification, match="UTF-8"):
        gateway.verify_notification(headers=headers, body=b"\xff\xfe")


def test_a_verified_payload_without_the_fields_is_refused(gateway, standin):
    paid_trade(gateway, standin)
    headers, body = standin.notification("WX20261202P1", resource={"amount": {"total": "309"}})

    with pytest.raises(BadNotification, match="malformed"):
        gateway.verify_notification(headers=headers, body=body)


def test_a_notification_posted_over_http_verifies_at_the_receiving_end(gateway, standin):
    """deliver() POSTs to the notify_url the trade was started with; a receiver standing in for
    the shop's endpoint verifies what arrived (headers and body as they cross HTTP)."""
    received = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            try:
                received.append(gateway.verify_notification(headers=self.headers, body=body))
                status, answer = 200, gateway.success_body
            except BadNotification:
                status, answer = gateway.failure_status, gateway.failure_body
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}).start()
    try:
        notify_url = f"http://127.0.0.1:{server.server_address[1]}/payments/notify/wechat/"
        start(gateway, "WX20261202W1", notify_url=notify_url)
        standin.pay("WX20261202W1")

        answer = standin.deliver("WX20261202W1")
        refused = standin.deliver("WX20261202W1", timestamp=int(time.time()) - 600)
    finally:
        server.shutdown()
        server.server_close()

    assert (answer.status_code, answer.json()) == (200, {"code": "SUCCESS", "message": "OK"})
    assert (refused.status_code, refused.json()["code"]) == (400, "FAIL")
    assert [(n.out_trade_no, n.state) for n in received] == [("WX20261202W1", PAID)]


def test_the_answers_wechat_expects(gateway):
    assert json.loads(gateway.success_body) == {"code": "SUCCESS", "message": "OK"}
    assert gateway.success_content_type == "application/json"
    assert gateway.failure_status == 400
    assert json.loads(gateway.failure_body)["code"] == "FAIL"


# ---------------------------------------------------------------- query and close


def test_query_follows_the_trade(gateway, standin):
    assert gateway.query("WX20261202Q1").state == UNKNOWN

    start(gateway, "WX20261202Q1", Decimal("45.60"))
    pending = gateway.query("WX20261202Q1")
    assert (pending.state, pending.amount, pending.trade_no) == (PENDING, Decimal("45.60"), "")

    trade = standin.pay("WX20261202Q1")
    paid = gateway.query("WX20261202Q1")
    assert (paid.state, paid.trade_no) == (PAID, trade["transaction_id"])
    assert (
        standin.requests[-1]["path"]
        == "/v3/pay/transactions/out-trade-no/WX20261202Q1?mchid=1900000109"
    )


@pytest.mark.parametrize(
    "wechat, shop",
    [
        ("USERPAYING", PENDING),
        ("CLOSED", CLOSED),
        ("REVOKED", CLOSED),
        ("PAYERROR", CLOSED),
        ("REFUND", REFUNDED),
    ],
)
def test_trade_states_are_mapped(gateway, standin, wechat, shop):
    start(gateway, "WX20261202S1")
    standin.trades["WX20261202S1"]["trade_state"] = wechat

    assert gateway.query("WX20261202S1").state == shop


def test_an_unknown_trade_state_is_an_error_not_a_guess(gateway, standin):
    start(gateway, "WX20261202S2")
    standin.trades["WX20261202S2"]["trade_state"] = "SOMETHING_NEW"

    with pytest.raises(GatewayError, match="malformed"):
        gateway.query("WX20261202S2")


def test_close_closes_an_unpaid_trade(gateway, standin):
    start(gateway, "WX20261202C1")

    gateway.close("WX20261202C1")

    seen = standin.requests[-1]
    assert (seen["path"], seen["body"], seen["status"]) == (
        "/v3/pay/transactions/out-trade-no/WX20261202C1/close",
        {"mchid": "1900000109"},
        204,
    )
    assert standin.trades["WX20261202C1"]["trade_state"] == "CLOSED"
    assert gateway.query("WX20261202C1").state == CLOSED


def test_closing_a_paid_trade_says_so(gateway, standin):
    paid_trade(gateway, standin, "WX20261202C2")

    with pytest.raises(GatewayError) as refused:
        gateway.close("WX20261202C2")
    assert (refused.value.status, refused.value.code) == (400, "ORDERPAID")
    assert standin.trades["WX20261202C2"]["trade_state"] == "SUCCESS"


# ---------------------------------------------------------------- refunds


def test_a_partial_refund_round_trip(gateway, standin):
    paid_trade(gateway, standin, "WX20261202F5")

    asked = gateway.refund(
        out_trade_no="WX20261202F5",
        out_refund_no="RF20261202F5a",
        amount=Decimal("100.50"),
        total=Decimal("309.00"),
        reason="尺码不合适",
        notify_url=NOTIFY_URL,
    )

    seen = standin.requests[-1]
    assert seen["path"] == "/v3/refund/domestic/refunds"
    assert seen["body"] == {
        "notify_url": NOTIFY_URL,
        "out_refund_no": "RF20261202F5a",
        "amount": {"refund": 10050, "total": 30900, "currency": "CNY"},
        "out_trade_no": "WX20261202F5",
        "reason": "尺码不合适",
    }
    assert (asked.state, asked.amount) == (REFUND_PENDING, Decimal("100.50"))
    assert asked.refund_id == standin.refunds["RF20261202F5a"]["refund_id"] != ""

    standin.finish_refund("RF20261202F5a")
    done = gateway.query_refund(out_trade_no="WX20261202F5", out_refund_no="RF20261202F5a")
    assert (done.state, done.amount) == (REFUND_SUCCEEDED, Decimal("100.50"))
    assert standin.requests[-1]["path"] == "/v3/refund/domestic/refunds/RF20261202F5a"


@pytest.mark.parametrize("wechat, shop", [("CLOSED", REFUND_FAILED), ("ABNORMAL", REFUND_FAILED)])
def test_failed_refund_states_are_mapped(gateway, standin, wechat, shop):
    paid_trade(gateway, standin, "WX20261202F6")
    gateway.refund(
        out_trade_no="WX20261202F6",
        out_refund_no="RF20261202F6",
        amount=Decimal("309.00"),
        total=Decimal("309.00"),
        reason="",
    )
    standin.finish_refund("RF20261202F6", wechat)

    status = gateway.query_refund(out_trade_no="WX20261202F6", out_refund_no="RF20261202F6")
    assert status.state == shop


def test_the_same_refund_number_twice_refunds_once(gateway, standin):
    paid_trade(gateway, standin, "WX20261202F7")
    kwargs = {
        "out_trade_no": "WX20261202F7",
        "out_refund_no": "RF20261202F7",
        "amount": Decimal("200.00"),
        "total": Decimal("309.00"),
        "reason": "",
    }
    first = gateway.refund(**kwargs)
    again = gateway.refund(**kwargs)

    assert again.refund_id == first.refund_id
    assert standin.trades["WX20261202F7"]["refunded"] == 20000


def test_refunding_more_than_was_paid_is_refused(gateway, standin):
    paid_trade(gateway, standin, "WX20261202F8")
    with pytest.raises(ValueError, match="more than"):
        gateway.refund(
            out_trade_no="WX20261202F8",
            out_refund_no="RF20261202F8a",
            amount=Decimal("309.01"),
            total=Decimal("309.00"),
            reason="",
        )
    gateway.refund(
        out_trade_no="WX20261202F8",
        out_refund_no="RF20261202F8b",
        amount=Decimal("300.00"),
        total=Decimal("309.00"),
        reason="",
    )
    with pytest.raises(GatewayError) as refused:  # only 9.00 is left to refund
        gateway.refund(
            out_trade_no="WX20261202F8",
            out_refund_no="RF20261202F8c",
            amount=Decimal("10.00"),
            total=Decimal("309.00"),
            reason="",
        )
    assert refused.value.code == "NOT_ENOUGH"
    assert standin.trades["WX20261202F8"]["refunded"] == 30000


def test_an_unknown_refund_is_an_error(gateway, standin):
    with pytest.raises(GatewayError) as refused:
        gateway.query_refund(out_trade_no="WX20261202F9", out_refund_no="RF20261202F9")
    assert refused.value.code == "RESOURCE_NOT_EXISTS"


def test_a_refund_notification_is_verified_and_decrypted(gateway, standin):
    paid_trade(gateway, standin, "WX20261202FA")
    gateway.refund(
        out_trade_no="WX20261202FA",
        out_refund_no="RF20261202FA",
        amount=Decimal("9.90"),
        total=Decimal("309.00"),
        reason="",
        notify_url=NOTIFY_URL,
    )
    standin.finish_refund("RF20261202FA")
    headers, body = standin.refund_notification("RF20261202FA")

    notification = gateway.verify_notification(headers=headers, body=body)

    assert notification.state == REFUND_SUCCEEDED
    assert notification.amount == Decimal("9.90")
    assert notification.out_trade_no == "WX20261202FA"
    assert notification.raw["out_refund_no"] == "RF20261202FA"
    assert notification.merchant_id == "1900000109"


# ---------------------------------------------------------------- keys and the network


def test_a_request_signed_with_the_wrong_merchant_key_is_refused(standin, configure):
    configure(standin.settings() | {"WECHATPAY_PRIVATE_KEY": Keys().merchant_private_pem})

    with pytest.raises(GatewayError, match="401"):
        start(WechatPay(), "WX20261202K1")
    assert standin.requests[-1]["status"] == 401
    assert standin.trades == {}


def test_a_request_with_the_wrong_serial_is_refused(standin, configure):
    configure(standin.settings() | {"WECHATPAY_CERT_SERIAL_NO": "ABCDEF0123456789"})

    with pytest.raises(GatewayError) as refused:
        WechatPay().query("WX20261202K2")
    assert (refused.value.status, refused.value.code) == (401, "SIGN_ERROR")


def test_an_answer_not_signed_by_the_platform_is_refused(standin, configure):
    impostor = Keys()
    configure(standin.settings() | {"WECHATPAY_PUBLIC_KEY": impostor.platform_public_pem})

    with pytest.raises(GatewayError, match="verify the signature"):
        start(WechatPay(), "WX20261202K3")
    assert standin.requests[-1]["status"] == 200  # WeChat took it; we could not trust the answer


def test_a_closed_port_is_a_gateway_error(standin, configure):
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    configure(standin.settings() | {"WECHATPAY_API_URL": f"http://127.0.0.1:{port}"})

    with pytest.raises(GatewayError, match="reached"):
        WechatPay().query("WX20261202K4")


def test_the_sdk_goes_only_where_it_is_told(standin, configure, only_localhost):
    """The SDK hard-codes api.mch.weixin.qq.com; the gateway's address wins, and the guard
    that keeps the tests offline does catch the production host when it is configured."""
    configure(standin.settings())
    start(WechatPay(), "WX20261202K5")
    assert set(only_localhost) == {"127.0.0.1"}

    configure({"WECHATPAY_API_URL": "https://api.mch.weixin.qq.com"})
    with pytest.raises(GatewayError, match="reached"):
        WechatPay().query("WX20261202K5")
    assert only_localhost[-1] == "api.mch.weixin.qq.com"  # stopped by the guard, not sent


def test_certificate_mode_downloads_the_platform_certificate_from_the_api(
    keys, configure, tmp_path
):
    with WechatStandin(keys, mode="certificate", cert_dir=str(tmp_path)) as standin:
        configure(standin.settings())

        gateway = WechatPay()  # the SDK fetches /v3/certificates (no certificate on disk yet)

        assert standin.requests[0]["path"] == "/v3/certificates"
        assert os.listdir(tmp_path) == [keys.certificate_serial + ".pem"]
        start(gateway, "WX20261202M1")
        standin.pay("WX20261202M1")
        assert gateway.query("WX20261202M1").state == PAID
        headers, body = standin.notification("WX20261202M1")
        assert gateway.verify_notification(headers=headers, body=body).state == PAID

        WechatPay()  # the saved certificate is used: no second download
        assert [r["path"] for r in standin.requests].count("/v3/certificates") == 1


# ---------------------------------------------------------------- settings


def test_nothing_set_is_not_configured_and_not_a_problem(configure):
    configure({name: "" for name in [*REQUIRED, "WECHATPAY_PUBLIC_KEY", "WECHATPAY_PUBLIC_KEY_ID"]})

    assert WechatPay.configured() is False
    assert wechat_settings_problems() == []
    with pytest.raises(ImproperlyConfigured, match="not configured"):
        WechatPay()


def test_fully_set_is_configured(standin, configure):
    configure(standin.settings())

    assert WechatPay.configured() is True
    assert wechat_settings_problems() == []


@pytest.mark.parametrize("missing", [*REQUIRED, "WECHATPAY_PUBLIC_KEY", "WECHATPAY_PUBLIC_KEY_ID"])
def test_half_configured_names_the_missing_variable(standin, configure, missing):
    configure(standin.settings() | {missing: ""})

    assert WechatPay.configured() is False
    assert any(missing in problem for problem in wechat_settings_problems())
    with pytest.raises(ImproperlyConfigured, match=missing):
        WechatPay()


def test_no_verification_key_at_all_is_named(standin, configure):
    configure(standin.settings() | {"WECHATPAY_PUBLIC_KEY": "", "WECHATPAY_PUBLIC_KEY_ID": ""})

    with pytest.raises(ImproperlyConfigured, match="WECHATPAY_CERT_DIR"):
        WechatPay()


def test_unusable_values_are_named(standin, configure, keys, tmp_path):
    configure(standin.settings() | {"WECHATPAY_APIV3_KEY": "short"})
    with pytest.raises(ImproperlyConfigured, match="WECHATPAY_APIV3_KEY"):
        WechatPay()

    configure(standin.settings() | {"WECHATPAY_PRIVATE_KEY": str(tmp_path / "nowhere.pem")})
    with pytest.raises(ImproperlyConfigured, match="WECHATPAY_PRIVATE_KEY"):
        WechatPay()

    configure(standin.settings() | {"WECHATPAY_PUBLIC_KEY": "-----BEGIN PUBLIC KEY-----\nxyz"})
    with pytest.raises(ImproperlyConfigured, match="WECHATPAY_PUBLIC_KEY is not an RSA public"):
        WechatPay()

    body = "".join(keys.merchant_private_pem.splitlines()[1:-1])  # no BEGIN/END lines
    configure(standin.settings() | {"WECHATPAY_PRIVATE_KEY": body[:-8]})
    with pytest.raises(ImproperlyConfigured, match="WECHATPAY_PRIVATE_KEY") as refused:
        WechatPay()
    assert body[:40] not in str(refused.value)  # a secret is never repeated in the error

    configure(standin.settings() | {"WECHATPAY_API_URL": "http://api.mch.weixin.qq.com"})
    assert wechat_settings_problems() == ["WECHATPAY_API_URL must be an https address."]


def test_keys_may_be_paths_to_pem_files(standin, configure, keys, tmp_path):
    private = tmp_path / "apiclient_key.pem"
    private.write_text(keys.merchant_private_pem)
    public = tmp_path / "pub_key.pem"
    public.write_text(keys.platform_public_pem)
    configure(
        standin.settings()
        | {"WECHATPAY_PRIVATE_KEY": str(private), "WECHATPAY_PUBLIC_KEY": str(public)}
    )

    assert start(WechatPay(), "WX20261202K6").qr_text.startswith("weixin://")

    body = "".join(keys.merchant_private_pem.splitlines()[1:-1])  # the base64 body alone
    configure({"WECHATPAY_PRIVATE_KEY": body})
    assert start(WechatPay(), "WX20261202K7").qr_text.startswith("weixin://")
