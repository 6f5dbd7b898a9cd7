"""A buyer whose browser speaks Chinese orders with a mobile number and no email, choosing
湖北省 / 宜昌市 / 西陵区 from the lists (htmx fills the next list), and the confirmation shows
the address in Chinese order. Without JavaScript the same order goes through the choose buttons."""

import re

import pytest
from playwright.sync_api import expect

from orders.models import Order
from tests.factories import ProductFactory, VariantFactory

pytestmark = pytest.mark.browser


def _to_checkout(page, live_server):
    page.goto(f"{live_server.url}/products/linen-shirt/")
    page.locator("label.size-opt").filter(has=page.locator("input[type=radio]")).first.click()
    page.locator("#picker button[type=submit], #picker button").first.click()
    expect(page.locator("#cart-link .cart-count")).to_have_text("1")
    page.goto(f"{live_server.url}/checkout/")


@pytest.fixture
def shirt(db):
    product = ProductFactory(name="Linen shirt", slug="linen-shirt")
    return VariantFactory(product=product, size="M", colour="Navy", stock=3)


def test_a_chinese_buyer_orders_with_a_mobile_and_an_address_from_the_lists(
    live_server, browser, shirt
):
    context = browser.new_context(locale="zh-CN")  # Accept-Language: zh-CN
    try:
        page = context.new_page()
        _to_checkout(page, live_server)
        expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
        form = page.locator("#checkout-form")
        # China is the default: no email is asked for first, no free-text city.
        expect(form.locator("select[name=country]")).to_have_value("CN")
        expect(form.locator("input[name=city]")).to_have_count(0)
        expect(form.locator("select[name=cn_city] option")).to_have_count(1)  # "choose" only
        page.evaluate("window.__marker = 1")

        form.locator("input[name=name]").fill("王芳")
        form.locator("input[name=phone]").fill("138 0013 8000")
        form.locator("select[name=cn_province]").select_option(label="湖北省")
        # htmx swaps the city list in, without a reload.
        expect(form.locator("select[name=cn_city] option", has_text="宜昌市")).to_have_count(1)
        # htmx wires the new list up when the swap settles (20 ms): a person is slower than
        # that, the test waits for it.
        expect(page.locator(".htmx-added")).to_have_count(0)
        form.locator("select[name=cn_city]").select_option(label="宜昌市")
        expect(form.locator("select[name=cn_district] option", has_text="西陵区")).to_have_count(1)
        expect(page.locator(".htmx-added")).to_have_count(0)
        form.locator("select[name=cn_district]").select_option(label="西陵区")
        assert page.evaluate("window.__marker") == 1
        # What was typed before the lists changed is still there.
        expect(form.locator("input[name=name]")).to_have_value("王芳")
        form.locator("input[name=address_line1]").fill("夷陵大道12号3栋501室")
        expect(form.locator("input[name=notify_by][value=sms]")).to_be_checked()
        form.locator("button[type=submit]").filter(has_text="¥").click()
        page.wait_for_url("**/checkout/thanks/*/")

        address = page.locator("address[data-address=cn]")
        expect(address).to_contain_text("湖北省宜昌市西陵区夷陵大道12号3栋501室")
        expect(address).to_contain_text("王芳 138 0013 8000")
        text = address.inner_text()
        assert text.index("湖北省") < text.index("王芳")  # Chinese order: place first
    finally:
        context.close()

    order = Order.objects.get()
    assert (order.email, order.phone, order.notify_by) == ("", "+8613800138000", "sms")
    assert (order.region, order.city, order.district) == ("湖北省", "宜昌市", "西陵区")
    assert order.language == "zh-hans"


def test_without_javascript_the_choose_buttons_lead_to_the_same_order(live_server, browser, shirt):
    context = browser.new_context(locale="zh-CN", java_script_enabled=False)
    try:
        page = context.new_page()
        # No JavaScript: add to the cart by the product page's plain form.
        page.goto(f"{live_server.url}/products/linen-shirt/")
        page.locator("label.size-opt").filter(has=page.locator("input[type=radio]")).first.click()
        page.locator("#picker button[type=submit], #picker button").first.click()
        page.goto(f"{live_server.url}/checkout/")
        form = page.locator("#checkout-form")
        form.locator("input[name=name]").fill("王芳")
        form.locator("input[name=phone]").fill("+86 138-0013-8000")
        form.locator("select[name=cn_province]").select_option(label="湖北省")
        form.locator("button[name=refresh][value=province]").click()
        form.locator("select[name=cn_city]").select_option(label="宜昌市")
        form.locator("button[name=refresh][value=city]").click()
        form.locator("select[name=cn_district]").select_option(label="西陵区")
        expect(form.locator("input[name=name]")).to_have_value("王芳")
        form.locator("input[name=address_line1]").fill("夷陵大道12号")
        form.locator("button[type=submit]").filter(has_text=re.compile("¥")).click()
        page.wait_for_url("**/checkout/thanks/*/")
        expect(page.locator("address[data-address=cn]")).to_contain_text(
            "湖北省宜昌市西陵区夷陵大道12号"
        )
    finally:
        context.close()
    assert Order.objects.get().phone == "+8613800138000"


def test_choosing_another_country_swaps_in_the_international_form(live_server, browser, shirt):
    context = browser.new_context(locale="en-GB")
    try:
        page = context.new_page()
        _to_checkout(page, live_server)
        form = page.locator("#checkout-form")
        form.locator("input[name=name]").fill("Mei Chen")
        page.evaluate("window.__marker = 1")
        form.locator("select[name=country]").select_option("SG")
        expect(form.locator("input[name=city]")).to_have_count(1)
        expect(page.locator(".htmx-added")).to_have_count(0)
        expect(form.locator("select[name=cn_province]")).to_have_count(0)
        expect(form.locator("input[name=notify_by]")).to_have_count(0)
        expect(form.locator("input[name=name]")).to_have_value("Mei Chen")
        assert page.evaluate("window.__marker") == 1  # swapped in place, no reload
        # And back to China: the lists return.
        form.locator("select[name=country]").select_option("CN")
        expect(form.locator("select[name=cn_province]")).to_have_count(1)
        expect(form.locator("input[name=city]")).to_have_count(0)
    finally:
        context.close()
