"""A buyer pays with Alipay through the demo's sandbox, in Chromium: checkout, the sandbox's
"Pay in the sandbox", the signed notification it posts to the shop, the waiting page that turns
"paid" by itself (htmx polling)."""

import re

import pytest
from playwright.sync_api import expect

from orders.models import Order
from payments import sandbox_views
from payments.models import PaymentAttempt
from payments.sandbox import new_key_pair
from shop.models import ShopProfile
from tests.factories import ProductFactory, VariantFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_sandbox(settings, live_server):
    app_private, _ = new_key_pair()
    sandbox_private, sandbox_public = new_key_pair()
    settings.DEBUG = True
    settings.PAYMENT_SANDBOX = True
    settings.SITE_URL = live_server.url
    settings.ALIPAY_APP_ID = "2021000000000000"
    settings.ALIPAY_APP_PRIVATE_KEY = app_private
    settings.ALIPAY_PUBLIC_KEY = sandbox_public
    settings.ALIPAY_GATEWAY_URL = f"{live_server.url}/payments/sandbox/alipay/gateway.do"
    settings.PAYMENT_SANDBOX_ALIPAY_PRIVATE_KEY = sandbox_private
    sandbox_views._alipay.cache_clear()
    yield
    sandbox_views._alipay.cache_clear()


def test_checkout_to_paid_through_the_sandbox(live_server, page, demo_sandbox):
    ShopProfile.load()
    product = ProductFactory(name="Linen Shirt", slug="linen-shirt")
    variant = VariantFactory(product=product, size="M", colour="Navy", stock=2)

    page.goto(f"{live_server.url}/products/linen-shirt/")
    radio = page.get_by_role("radio", name="Navy M", exact=True)
    page.locator("label.size-opt").filter(has=radio).click()
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("#cart-link .cart-count")).to_have_text("1")
    page.goto(f"{live_server.url}/checkout/")
    page.get_by_label("Mobile number").fill("+86 138 0000 0000")
    page.get_by_label("Recipient").fill("Li Wei")
    page.get_by_label("Province").select_option(label="湖北省")
    expect(page.locator("select[name=cn_city] option", has_text="宜昌市")).to_have_count(1)
    expect(page.locator(".htmx-added")).to_have_count(0)
    page.get_by_label("City").select_option(label="宜昌市")
    expect(page.locator("select[name=cn_district] option", has_text="西陵区")).to_have_count(1)
    expect(page.locator(".htmx-added")).to_have_count(0)
    page.get_by_label("District or county").select_option(label="西陵区")
    page.get_by_label("Street, building and room").fill("12 Riverside Road")
    page.get_by_label("Postcode").fill("443000")
    page.locator("input[name=payment_method][value=alipay]").check()
    page.get_by_role("button", name=re.compile(r"^Place order")).click()

    page.wait_for_url("**/pay/")
    order = Order.objects.get()
    assert order.payment_method == "alipay"
    variant.refresh_from_db()
    assert variant.stock == 1  # held while the buyer pays
    page.get_by_role("button", name="Pay with Alipay").click()

    page.wait_for_url("**/payments/sandbox/alipay/gateway.do?*")
    expect(page.get_by_role("heading", level=1)).to_have_text("Alipay (sandbox)")
    # Nothing is paid by reaching the provider, nor by a forged trip back to the return URL.
    page.goto(
        f"{live_server.url}/orders/{order.tracking_token}/payment/?trade_status=TRADE_SUCCESS"
    )
    expect(page.locator("#payment-waiting")).to_be_visible()
    page.go_back()
    page.get_by_role("button", name="Pay in the sandbox").click()

    page.wait_for_url(f"**/orders/{order.tracking_token}/payment/")
    expect(page.locator("#payment-paid")).to_be_visible(timeout=10_000)
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    attempt = PaymentAttempt.objects.get(order=order)
    assert attempt.state == "paid" and attempt.trade_no
    assert list(attempt.notices.values_list("outcome", flat=True)) == ["accepted"]


def test_the_waiting_page_turns_paid_by_itself(live_server, page, demo_sandbox):
    from tests.orders.helpers import place

    ShopProfile.load()
    order = place({VariantFactory(stock=2): 1}, payment_method="alipay")
    page.goto(f"{live_server.url}/orders/{order.tracking_token}/pay/")
    page.get_by_role("button", name="Pay with Alipay").click()
    page.wait_for_url("**/payments/sandbox/alipay/gateway.do?*")
    status_url = f"{live_server.url}/orders/{order.tracking_token}/payment/"
    page.goto(status_url)
    expect(page.locator("#payment-waiting")).to_be_visible()
    page.evaluate("window.__marker = 1")
    # The notification arrives while the buyer watches: htmx's poll shows it, no reload.
    attempt = PaymentAttempt.objects.get(order=order)
    sandbox = sandbox_views._sandbox()
    from urllib.parse import urlencode
    from urllib.request import Request, urlopen

    form = sandbox.pay(attempt.out_trade_no)
    request = Request(  # noqa: S310 - the local live server
        f"{live_server.url}/payments/notify/alipay/",
        data=urlencode(form).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    with urlopen(request, timeout=10) as answer:  # noqa: S310
        assert answer.read() == b"success"
    expect(page.locator("#payment-paid")).to_be_visible(timeout=8_000)
    assert page.evaluate("window.__marker") == 1


@pytest.fixture
def wechat_sandbox(settings, live_server):
    from payments.sandbox_wechat import new_apiv3_key

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


def test_checkout_with_wechat_pay_to_paid_through_the_sandbox_qr_page(
    live_server, page, wechat_sandbox
):
    ShopProfile.load()
    product = ProductFactory(name="Linen Shirt", slug="linen-shirt")
    variant = VariantFactory(product=product, size="M", colour="Navy", stock=2)

    page.goto(f"{live_server.url}/products/linen-shirt/")
    radio = page.get_by_role("radio", name="Navy M", exact=True)
    page.locator("label.size-opt").filter(has=radio).click()
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("#cart-link .cart-count")).to_have_text("1")
    page.goto(f"{live_server.url}/checkout/")
    page.get_by_label("Mobile number").fill("+86 138 0000 0000")
    page.get_by_label("Recipient").fill("Li Wei")
    page.get_by_label("Province").select_option(label="湖北省")
    expect(page.locator("select[name=cn_city] option", has_text="宜昌市")).to_have_count(1)
    expect(page.locator(".htmx-added")).to_have_count(0)
    page.get_by_label("City").select_option(label="宜昌市")
    expect(page.locator("select[name=cn_district] option", has_text="西陵区")).to_have_count(1)
    expect(page.locator(".htmx-added")).to_have_count(0)
    page.get_by_label("District or county").select_option(label="西陵区")
    page.get_by_label("Street, building and room").fill("12 Riverside Road")
    page.get_by_label("Postcode").fill("443000")
    page.locator("input[name=payment_method][value=wechat]").check()
    page.get_by_role("button", name=re.compile(r"^Place order")).click()

    page.wait_for_url("**/pay/")
    order = Order.objects.get()
    assert order.payment_method == "wechat"
    page.get_by_role("button", name="Pay with WeChat Pay").click()

    # Our own page with the QR code of the sandbox's code_url (no redirect on a computer).
    expect(page.get_by_role("heading", level=1)).to_have_text("Scan with WeChat to pay")
    attempt = PaymentAttempt.objects.get(order=order)
    trade = wechat_sandbox.trades[attempt.out_trade_no]
    qr = page.locator("#payment-qr")
    expect(qr).to_have_attribute(
        "data-code-url", f"weixin://wxpay/bizpayurl?pr={trade['prepay_id'][-7:]}"
    )
    expect(qr.locator("svg")).to_be_visible()
    expect(page.locator("#pay-amount")).to_contain_text(f"{order.total:.2f}")
    expect(page.get_by_text(re.compile(r"This code works for \d+ more minutes"))).to_be_visible()
    variant.refresh_from_db()
    assert variant.stock == 1  # held while the buyer pays
    page.get_by_role("button", name="Pay in the sandbox").click()

    page.wait_for_url(f"**/orders/{order.tracking_token}/payment/")
    expect(page.locator("#payment-paid")).to_be_visible(timeout=10_000)
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    attempt.refresh_from_db()
    assert attempt.state == "paid" and attempt.trade_no == trade["transaction_id"]
    assert list(attempt.notices.values_list("outcome", flat=True)) == ["accepted"]


def test_the_qr_page_turns_paid_by_itself(live_server, page, wechat_sandbox):
    import requests

    from tests.orders.helpers import place

    ShopProfile.load()
    order = place({VariantFactory(stock=2): 1}, payment_method="wechat")
    page.goto(f"{live_server.url}/orders/{order.tracking_token}/pay/")
    page.get_by_role("button", name="Pay with WeChat Pay").click()
    expect(page.locator("#payment-qr svg")).to_be_visible()
    page.evaluate("window.__marker = 1")
    # The buyer pays on their phone; WeChat's notification reaches the shop meanwhile.
    attempt = PaymentAttempt.objects.get(order=order)
    wechat_sandbox.pay(attempt.out_trade_no)
    headers, body = wechat_sandbox.notification(attempt.out_trade_no)
    answer = requests.post(
        f"{live_server.url}/payments/notify/wechat/", data=body, headers=headers, timeout=10
    )
    assert answer.content == b'{"code":"SUCCESS","message":"OK"}'
    expect(page.locator("#payment-paid")).to_be_visible(timeout=8_000)
    assert page.evaluate("window.__marker") == 1  # htmx's poll, no reload
