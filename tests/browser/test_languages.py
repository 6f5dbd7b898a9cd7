"""A buyer whose browser speaks Chinese sees a Chinese shop on the first visit, switches to
English and back with the catalogue's filters kept, orders, and every email about the order is
Chinese, though the owner who ships it reads the shop in English."""

import re

import pytest
from playwright.sync_api import expect

from messaging.models import Message
from orders.models import Order
from tests.factories import CategoryFactory, ProductFactory, VariantFactory

pytestmark = pytest.mark.browser

HAN = re.compile(r"[\u4e00-\u9fff]")


def test_a_chinese_buyer_switches_language_orders_and_gets_chinese_emails(
    live_server, browser, owner, sign_in
):
    shirts = CategoryFactory(slug="shirts", name="Shirts")
    product = ProductFactory(name="Linen shirt", slug="linen-shirt", category=shirts)
    VariantFactory(product=product, size="M", colour="Navy", stock=3)
    context = browser.new_context(locale="zh-CN")  # Accept-Language: zh-CN
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/products/?category=shirts")
        expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
        # A filter through htmx: the address changes without a reload.
        page.evaluate("window.__marker = 1")
        page.locator("#filters select[name=size]").select_option("M")
        expect(page).to_have_url(re.compile(r"size=M"))
        assert page.evaluate("window.__marker") == 1
        catalogue = page.url
        assert "category=shirts" in catalogue
        expect(page.locator(".main-nav")).to_contain_text(HAN)  # the header reads Chinese
        expect(page.locator(".price").first).to_have_text("¥199.00")
        switch = page.locator("form.lang-switch")
        expect(switch.locator("button[value=zh-hans]")).to_have_text("简体中文")
        expect(switch.locator("button[value=zh-hans]")).to_have_attribute("aria-pressed", "true")
        expect(switch.locator("button[value=en]")).to_have_text("English")

        # To English: the same page, the filters kept; no JavaScript involved (a plain form).
        switch.locator("button[value=en]").click()
        expect(page).to_have_url(catalogue)
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.locator(".price").first).to_have_text("CN¥199.00")
        expect(
            page.locator("#filters select[name=size], #filters [name=size]").first
        ).to_have_value("M")

        # And back: it sticks across pages.
        page.locator("form.lang-switch button[value=zh-hans]").click()
        expect(page).to_have_url(catalogue)
        expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
        page.goto(f"{live_server.url}/products/linen-shirt/")
        expect(page.locator("html")).to_have_attribute("lang", "zh-hans")

        # The order, placed in Chinese.
        page.locator("label.size-opt").filter(has=page.locator("input[type=radio]")).first.click()
        page.locator("#picker button[type=submit], #picker button").first.click()
        expect(page.locator("#cart-link .cart-count")).to_have_text("1")
        page.goto(f"{live_server.url}/checkout/")
        expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
        for name, value in {
            "email": "mei@example.com",
            "phone": "+86 138 0000 0000",
            "name": "李伟",
            "address_line1": "滨江路12号",
            "postcode": "443000",
        }.items():
            page.locator(f"input[name={name}]").fill(value)
        page.locator("select[name=cn_province]").select_option(label="湖北省")
        expect(page.locator("select[name=cn_city] option", has_text="宜昌市")).to_have_count(1)
        expect(page.locator(".htmx-added")).to_have_count(0)  # wired up once settled
        page.locator("select[name=cn_city]").select_option(label="宜昌市")
        expect(page.locator("select[name=cn_district] option", has_text="西陵区")).to_have_count(1)
        expect(page.locator(".htmx-added")).to_have_count(0)
        page.locator("select[name=cn_district]").select_option(label="西陵区")
        page.locator("input[name=notify_by][value=email]").check()  # the emails are followed
        page.locator("form button[type=submit]").filter(has_text="¥").click()
        page.wait_for_url("**/checkout/thanks/*/")
    finally:
        context.close()

    order = Order.objects.get()
    assert (order.language, order.name) == ("zh-hans", "李伟")

    # The owner reads the shop in English and ships.
    owner_context = browser.new_context(locale="en-GB")
    try:
        owner_page = owner_context.new_page()
        sign_in(owner_page, owner)
        owner_page.goto(f"{live_server.url}/manage/orders/{order.pk}/")
        expect(owner_page.locator("html")).to_have_attribute("lang", "en")
        owner_page.get_by_label("Carrier", exact=True).select_option("sf")
        owner_page.get_by_label("Tracking number").fill("SF1234567890123")
        owner_page.get_by_role("button", name="Mark shipped and email the buyer").click()
        expect(owner_page.locator("#messages .flash-success")).to_have_text(
            "Marked shipped; the buyer is emailed."
        )
    finally:
        owner_context.close()

    emails = list(Message.objects.filter(about="order", about_id=order.pk).order_by("pk"))
    assert [m.kind for m in emails] == ["order.placed", "order.shipped"]
    for email in emails:
        assert email.language == "zh-hans"
        for part in (email.subject, email.text, email.html):
            assert HAN.search(part), part
            assert "Hello" not in part and "Your order" not in part
        assert "¥" in email.text and "CN¥" not in email.text
