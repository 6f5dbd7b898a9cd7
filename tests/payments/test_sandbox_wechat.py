"""The demo's WeChat Pay sandbox: the shop's SDK calls it over HTTP at WECHATPAY_API_URL inside
the site (here a live server) and verifies its signed answers; "Pay in the sandbox" posts a signed,
encrypted notification to the shop. Unreachable with DEBUG off."""

import html
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.core.management import call_command

from orders.models import Order
from payments import sandbox_views, services
from payments.gateways import get_gateway
from payments.gateways.base import PAID, REFUND_SUCCEEDED
from payments.models import Refund
from payments.sandbox import new_key_pair
from payments.sandbox_wechat import new_apiv3_key

from .helpers import PHONE_UA, online_order

pytestmark = pytest.mark.django_db(transaction=True)
SUCCESS = b'{"code":"SUCCESS","message":"OK"}'


@pytest.fixture
def wechat_demo(settings, live_server):
    merchant_private, _ = new_key_pair()
    platform_private, platform_public = new_key_pair()
    settings.DEBUG = True
    settings.PAYMENT_SANDBOX = True
    settings.SITE_URL = live_server.url
    settings.WECHATPAY_MCHID = "1900000109"
    settings.WECHATPAY_APPID = "wx0000000000sandbox"
    settings.WECHATPAY_APIV3_KEY = new_apiv3_key()
    settings.WECHATPAY_PRIVATE_KEY = merchant_private
    settings.WECHATPAY_CERT_SERIAL_NO = "5A4D0000000000000000000000000000SANDBOX0"
    settings.WECHATPAY_PUBLIC_KEY = platform_public
    settings.WECHATPAY_PUBLIC_KEY_ID = "PUB_KEY_ID_0114000000000000000000000000000000"
    settings.WECHATPAY_CERT_DIR = ""
    settings.WECHATPAY_API_URL = f"{live_server.url}/payments/sandbox/wechat"
    settings.PAYMENT_SANDBOX_WECHAT_PRIVATE_KEY = platform_private
    sandbox_views._wechat.cache_clear()
    yield sandbox_views.wechat_sandbox()
    sandbox_views._wechat.cache_clear()


def test_the_qr_walk_to_paid_and_the_api_calls(client, wechat_demo, shop_profile, live_server):
    order, _variant = online_order(method="wechat")
    page = client.post(f"/orders/{order.tracking_token}/pay/")
    assert page.status_code == 200
    attempt = order.payment_attempts.get()
    seen = wechat_demo.requests[-1]
    assert (seen["path"], seen["status"]) == ("/v3/pay/transactions/native", 200)
    trade = wechat_demo.trades[attempt.out_trade_no]
    code_url = f"weixin://wxpay/bizpayurl?pr={trade['prepay_id'][-7:]}"
    text = page.content.decode()
    assert f'data-code-url="{html.escape(code_url)}"' in text
    assert "Pay in the sandbox" in text and 'action="/payments/sandbox/wechat/pay/"' in text

    status_path = f"/orders/{order.tracking_token}/payment/"
    back = client.post(
        "/payments/sandbox/wechat/pay/",
        {"out_trade_no": attempt.out_trade_no, "next": status_path},
    )
    assert back.status_code == 302 and back["Location"] == status_path
    order.refresh_from_db()
    attempt.refresh_from_db()
    assert order.payment_state == Order.PaymentState.PAID
    assert attempt.trade_no == trade["transaction_id"]
    assert list(attempt.notices.values_list("outcome", flat=True)) == ["accepted"]
    # Paying a paid trade again is refused by the sandbox; nothing more reaches the shop.
    again = client.post("/payments/sandbox/wechat/pay/", {"out_trade_no": attempt.out_trade_no})
    assert again.status_code == 400
    assert attempt.notices.count() == 1

    # query, refund, refund query: signed by the sandbox, verified by the SDK.
    gateway = get_gateway("wechat")
    assert gateway.query(attempt.out_trade_no).state == PAID
    refund = services.request_refund(attempt, amount=attempt.amount, reason="demo")
    assert refund.state == Refund.State.SUCCEEDED
    assert wechat_demo.refunds[refund.out_refund_no]["amount"]["refund"] == int(
        attempt.amount * 100
    )
    status = gateway.query_refund(
        out_trade_no=attempt.out_trade_no, out_refund_no=refund.out_refund_no
    )
    assert status.state == REFUND_SUCCEEDED

    # close: another order's trade, closed at the sandbox.
    other, _variant = online_order(method="wechat")
    client.post(f"/orders/{other.tracking_token}/pay/")
    number = other.payment_attempts.get().out_trade_no
    gateway.close(number)
    assert wechat_demo.trades[number]["trade_state"] == "CLOSED"
    assert client.post("/payments/sandbox/wechat/pay/", {"out_trade_no": number}).status_code == 400


def test_the_phone_walk_through_the_sandbox_cashier(client, wechat_demo, shop_profile):
    order, _variant = online_order(method="wechat")
    response = client.post(f"/orders/{order.tracking_token}/pay/", headers={"User-Agent": PHONE_UA})
    url = urlsplit(response["Location"])
    assert url.path == "/payments/sandbox/wechat/h5/"
    query = parse_qs(url.query)
    status_url = (
        f"{wechat_demo.h5_url.split('/payments/')[0]}/orders/{order.tracking_token}/payment/"
    )
    assert query["redirect_url"] == [status_url]
    cashier = client.get(f"{url.path}?{url.query}").content.decode()
    assert "WeChat Pay (sandbox)" in cashier and "Pay in the sandbox" in cashier
    attempt = order.payment_attempts.get()
    back = client.post(
        "/payments/sandbox/wechat/pay/",
        {"out_trade_no": attempt.out_trade_no, "next": status_url},
    )
    assert back["Location"] == status_url
    order.refresh_from_db()
    assert order.payment_state == Order.PaymentState.PAID


def test_an_unsigned_or_tampered_request_is_refused(client, wechat_demo, live_server):
    url = f"{live_server.url}/payments/sandbox/wechat/v3/pay/transactions/native"
    answer = requests.post(url, json={"out_trade_no": "P1234567"}, timeout=10)
    assert answer.status_code == 401 and answer.json()["code"] == "SIGN_ERROR"
    forged = requests.post(
        url,
        data='{"out_trade_no":"P1234567"}',
        headers={
            "Authorization": 'WECHATPAY2-SHA256-RSA2048 mchid="1900000109",nonce_str="n1",'
            'signature="AAAA",timestamp="1",serial_no="5A4D0000000000000000000000000000SANDBOX0"'
        },
        timeout=10,
    )
    assert forged.status_code == 401
    assert wechat_demo.trades == {}


def test_a_next_address_off_the_site_is_not_followed(client, wechat_demo, shop_profile):
    order, _variant = online_order(method="wechat")
    client.post(f"/orders/{order.tracking_token}/pay/")
    attempt = order.payment_attempts.get()
    back = client.post(
        "/payments/sandbox/wechat/pay/",
        {"out_trade_no": attempt.out_trade_no, "next": "https://evil.example/"},
    )
    assert back["Location"] == "/"


def test_the_wechat_sandbox_is_unreachable_with_debug_off(client, wechat_demo, settings):
    settings.DEBUG = False
    assert client.get("/payments/sandbox/wechat/v3/certificates").status_code == 404
    assert client.post("/payments/sandbox/wechat/v3/pay/transactions/native").status_code == 404
    assert client.get("/payments/sandbox/wechat/h5/?prepay_id=x").status_code == 404
    assert client.post("/payments/sandbox/wechat/pay/", {"out_trade_no": "x"}).status_code == 404
    assert sandbox_views.sandbox_serves("wechat") is False


def test_demo_keys_command_makes_wechat_keys_once(settings, tmp_path, monkeypatch):
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    settings.DEBUG = True
    call_command("payment_sandbox_keys")
    paths = sandbox_views.sandbox_key_paths(tmp_path)
    assert len(paths["wechat_apiv3"].read_text()) == 32
    assert paths["wechat"].read_text().startswith("-----BEGIN PRIVATE KEY")
    assert oct(paths["wechat_merchant"].stat().st_mode & 0o777) == "0o600"
    alipay_key = paths["app"].read_text()
    paths["wechat_apiv3"].unlink()
    call_command("payment_sandbox_keys")
    assert paths["app"].read_text() == alipay_key  # Alipay's set stays
    assert len(paths["wechat_apiv3"].read_text()) == 32
