"""The demo's payment sandbox: the whole walk inside the site with DEBUG on, and unreachable
with DEBUG off (production forces PAYMENT_SANDBOX off as well)."""

from urllib.parse import urlsplit

import pytest
from django.core.management import call_command

from orders.models import Order
from payments import sandbox_views
from payments.sandbox import new_key_pair

from .helpers import online_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_sandbox(settings, tmp_path):
    app_private, _ = new_key_pair()
    sandbox_private, sandbox_public = new_key_pair()
    settings.DEBUG = True
    settings.PAYMENT_SANDBOX = True
    settings.SITE_URL = "http://testserver"
    settings.ALIPAY_APP_ID = "2021000000000000"
    settings.ALIPAY_APP_PRIVATE_KEY = app_private
    settings.ALIPAY_PUBLIC_KEY = sandbox_public
    settings.ALIPAY_SELLER_ID = ""
    settings.ALIPAY_GATEWAY_URL = "http://testserver/payments/sandbox/alipay/gateway.do"
    settings.PAYMENT_SANDBOX_ALIPAY_PRIVATE_KEY = sandbox_private
    sandbox_views._alipay.cache_clear()
    yield sandbox_views._sandbox()
    sandbox_views._alipay.cache_clear()


def test_the_sandbox_walk(client, demo_sandbox, shop_profile, monkeypatch):
    # The sandbox posts the notification over HTTP to the shop; here, to the test client.
    sent = []

    def post_to_shop(request, timeout):
        sent.append(request.full_url)
        path = urlsplit(request.full_url).path
        answer = client.post(path, data=request.data, content_type=request.headers["Content-type"])

        class Answer:
            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return False

            def read(self):
                return answer.content

        assert answer.content == b"success"
        return Answer()

    monkeypatch.setattr(sandbox_views, "urlopen", post_to_shop)
    order, _variant = online_order()
    to_alipay = client.post(f"/orders/{order.tracking_token}/pay/")
    url = urlsplit(to_alipay["Location"])
    assert url.path == "/payments/sandbox/alipay/gateway.do"
    page = client.get(f"{url.path}?{url.query}")
    assert b"Pay in the sandbox" in page.content
    attempt = order.payment_attempts.get()
    assert list(demo_sandbox.trades) == [attempt.out_trade_no]
    back = client.post("/payments/sandbox/alipay/pay/", {"out_trade_no": attempt.out_trade_no})
    assert back["Location"] == f"http://testserver/orders/{order.tracking_token}/payment/"
    assert sent == ["http://testserver/payments/notify/alipay/"]
    order.refresh_from_db()
    assert order.payment_state == Order.PaymentState.PAID
    # The SDK's API calls are answered too (query, close, refund): signed, verified by the SDK.
    from payments.gateways import get_gateway

    sdk = get_gateway("alipay").client
    for method, biz, field, value in (
        (
            "alipay.trade.query",
            {"out_trade_no": attempt.out_trade_no},
            "trade_status",
            "TRADE_SUCCESS",
        ),
        (
            "alipay.trade.refund",
            {"out_trade_no": attempt.out_trade_no, "refund_amount": "1.00", "out_request_no": "R1"},
            "fund_change",
            "Y",
        ),
    ):
        signed = sdk.sign_data(sdk.build_body(method, biz))
        raw = client.get(f"/payments/sandbox/alipay/gateway.do?{signed}").content.decode()
        answer = sdk._verify_and_return_sync_response(raw, method.replace(".", "_") + "_response")
        assert answer[field] == value


def test_a_tampered_sandbox_request_is_refused(client, demo_sandbox, shop_profile):
    order, _variant = online_order()
    url = urlsplit(client.post(f"/orders/{order.tracking_token}/pay/")["Location"])
    tampered = url.query.replace("total_amount%22%3A%22", "total_amount%22%3A%220")
    assert tampered != url.query
    answer = client.get(f"{url.path}?{tampered}")
    assert b"isv.invalid-signature" in answer.content
    assert demo_sandbox.trades == {}


def test_the_sandbox_is_unreachable_with_debug_off(client, demo_sandbox, settings):
    settings.DEBUG = False
    assert client.get("/payments/sandbox/alipay/gateway.do?method=x").status_code == 404
    assert client.post("/payments/sandbox/alipay/pay/", {"out_trade_no": "x"}).status_code == 404


def test_production_forces_the_sandbox_off():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "config/settings/production.py").read_text()
    assert "PAYMENT_SANDBOX = False" in text


def test_demo_keys_command(settings, tmp_path, monkeypatch):
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    settings.DEBUG = True
    call_command("payment_sandbox_keys")
    paths = sandbox_views.sandbox_key_paths(tmp_path)
    keys = [p for name, p in paths.items() if name != "wechat_apiv3"]  # the APIv3 key is text
    assert all(p.read_text().startswith("-----BEGIN") for p in keys)
    assert oct(paths["app"].stat().st_mode & 0o777) == "0o600"
