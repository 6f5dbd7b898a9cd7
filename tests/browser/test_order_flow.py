import re
from decimal import Decimal

import pytest
from django.core import mail
from playwright.sync_api import expect

from orders.models import Order
from shop.i18n import format_money
from shop.models import ShopProfile, Variant
from tests.factories import ProductFactory, VariantFactory

pytestmark = pytest.mark.browser

GUEST_EMAIL = "guest@example.com"


def test_guest_checkout_then_owner_ships_and_delivers(live_server, page, owner, sign_in):
    shop = ShopProfile.load()
    assert (shop.shipping_flat_rate, shop.free_shipping_over) == (
        Decimal("15.00"),
        Decimal("299.00"),
    )
    # Two at this price make exactly the free-delivery threshold ("at least", not "over"),
    # while one alone would pay delivery.
    price = Decimal("149.50")
    product = ProductFactory(name="Linen Shirt", slug="linen-shirt", price=price)
    small = VariantFactory(product=product, size="S", colour="Navy", stock=3)
    medium = VariantFactory(product=product, size="M", colour="Navy", stock=3)
    VariantFactory(product=product, size="L", colour="Navy", stock=0)
    subtotal = 2 * price
    delivery = Decimal("0.00") if subtotal >= shop.free_shipping_over else shop.shipping_flat_rate
    expected_total = format_money(subtotal + delivery, shop.currency, "en")
    assert expected_total == "CN¥299.00"

    # The guest adds S then M from the product page; htmx answers in place.
    page.goto(f"{live_server.url}/products/linen-shirt/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Linen Shirt")
    expect(page.get_by_role("radio", name="Navy L – sold out", exact=True)).to_be_disabled()
    cart_link = page.locator("#cart-link")
    expect(cart_link.locator(".cart-count")).to_have_count(0)
    page.evaluate("window.__marker = 1")

    add_result = page.locator("#add-result")
    for size, count in (("S", "1"), ("M", "2")):
        radio = page.get_by_role("radio", name=f"Navy {size}", exact=True)
        page.locator("label.size-opt").filter(has=radio).click()
        expect(radio).to_be_checked()
        page.get_by_role("button", name="Add to cart").click()
        expect(add_result.get_by_role("status")).to_have_text(
            re.compile(rf"^Added Linen Shirt \({size}, Navy\)\.")
        )
        expect(cart_link.locator(".cart-count")).to_have_text(count)
        assert page.evaluate("window.__marker") == 1, "adding to the cart reloaded the page"
    # Its name starts with what it shows (WCAG 2.5.3), then says what the number counts.
    expect(cart_link).to_have_accessible_name("Cart 2 items")

    cart_link.click()
    expect(page).to_have_url(f"{live_server.url}/cart/")
    rows = page.locator("#cart-body tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("S · Navy")
    expect(rows.nth(1)).to_contain_text("M · Navy")
    for row in (rows.nth(0), rows.nth(1)):
        expect(row.locator("input[name=quantity]")).to_have_value("1")
        expect(row.locator("td").last).to_have_text(f"CN¥{price}")
    expect(page.locator("#cart-body tfoot tr").nth(1).locator("td").last).to_have_text("Free")

    page.get_by_role("link", name="Check out").click()
    expect(page).to_have_url(f"{live_server.url}/checkout/")
    page.get_by_label("Email (optional)").fill(GUEST_EMAIL)
    page.get_by_label("Mobile number").fill("+86 138 0000 0000")
    page.get_by_label("Recipient").fill("Li Wei")
    page.get_by_label("Province").select_option(label="湖北省")
    # htmx fills the next list and wires it up when the swap settles.
    expect(page.locator("select[name=cn_city] option", has_text="宜昌市")).to_have_count(1)
    expect(page.locator(".htmx-added")).to_have_count(0)
    page.get_by_label("City").select_option(label="宜昌市")
    expect(page.locator("select[name=cn_district] option", has_text="西陵区")).to_have_count(1)
    expect(page.locator(".htmx-added")).to_have_count(0)
    page.get_by_label("District or county").select_option(label="西陵区")
    page.get_by_label("Street, building and room").fill("12 Riverside Road")
    page.get_by_label("Postcode").fill("443000")
    page.get_by_label("By email").check()  # the emails below are what this test follows
    expect(page.locator("input[name=payment_method][value=cod]")).to_be_checked()
    place = page.get_by_role("button", name=re.compile(r"^Place order"))
    expect(place).to_have_text(f"Place order · {expected_total}")
    place.click()

    page.wait_for_url("**/checkout/thanks/*/")
    order = Order.objects.get()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, your order is in")
    expect(page.locator("#order-number")).to_have_text(order.number)
    assert order.email == GUEST_EMAIL
    assert order.customer is None
    assert order.payment_method == "cod"
    assert (order.subtotal, order.shipping_cost, order.total) == (
        subtotal,
        delivery,
        subtotal + delivery,
    )
    assert sorted(order.lines.values_list("size", "quantity")) == [("M", 1), ("S", 1)]
    small.refresh_from_db()
    medium.refresh_from_db()
    assert (small.stock, medium.stock) == (2, 2)
    assert Variant.objects.get(product=product, size="L").stock == 0

    page.locator("#tracking-link").click()
    tracking_url = f"{live_server.url}{order.get_absolute_url()}"
    expect(page).to_have_url(tracking_url)
    expect(page.locator("#order-status")).to_have_text("Placed")
    expect(page.locator(".steps li")).to_have_count(3)  # cash on delivery: no "Paid" step
    expect(page.locator(".steps li.done")).to_have_count(1)
    expect(page.locator(".steps li.done")).to_contain_text(["Placed"])
    expect(page.locator("#tracking-info")).to_have_count(0)

    # The owner, in a browser context of their own, ships and then delivers the order.
    owner_context = page.context.browser.new_context()
    try:
        owner_page = owner_context.new_page()
        sign_in(owner_page, owner)
        owner_page.goto(f"{live_server.url}/manage/orders/")
        owner_page.locator("#order-table").get_by_role("link", name=order.number).click()
        expect(owner_page).to_have_url(f"{live_server.url}/manage/orders/{order.pk}/")
        expect(owner_page.get_by_role("heading", level=1)).to_contain_text(f"Order {order.number}")
        owner_page.get_by_label("Carrier", exact=True).select_option("sf")
        owner_page.get_by_label("Tracking number").fill("SF1234567890123")
        owner_page.get_by_role("button", name="Mark shipped and email the buyer").click()
        expect(owner_page.locator("#messages .flash-success")).to_have_text(
            "Marked shipped; the buyer is emailed."
        )
        order.refresh_from_db()
        assert (order.status, order.carrier, order.tracking_number) == (
            Order.Status.SHIPPED,
            "SF Express",
            "SF1234567890123",
        )
        owner_page.get_by_role("button", name="Mark delivered").click()
        expect(owner_page.locator("#messages .flash-success")).to_have_text("Marked delivered.")
        expect(owner_page.get_by_text("Nothing left to do on this order.")).to_be_visible()
    finally:
        owner_context.close()

    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED
    assert order.payment_state == Order.PaymentState.PAID  # cash on delivery is paid on delivery

    # The guest's tracking page now shows the whole journey.
    page.reload()
    expect(page.locator("#order-status")).to_have_text("Delivered")
    steps = page.locator(".steps li")
    expect(steps).to_have_count(3)
    for i, label in enumerate(("Placed", "Shipped", "Delivered")):
        expect(steps.nth(i)).to_contain_text(label)
        expect(steps.nth(i)).to_have_class("done")
    expect(page.locator("#tracking-info")).to_have_text(re.compile(r"^SF Express · SF123456"))
    # Only the public events, oldest first: the emails sent are not shown to the buyer.
    expect(page.locator("#timeline > li > strong")).to_have_text(
        ["Order placed", "Shipped", "Delivered"]
    )
    expect(page.locator("#timeline > li").nth(1)).to_contain_text("SF Express SF123456")

    # locmem outbox, filled by eager Celery tasks run on commit in the live server's thread.
    to_guest = [m for m in mail.outbox if m.to == [GUEST_EMAIL]]
    assert [m.subject for m in to_guest] == [
        f"Order {order.number} received",
        f"Order {order.number} is on its way",
        f"Order {order.number} was delivered",
    ]
    assert "SF123456" in to_guest[1].body
