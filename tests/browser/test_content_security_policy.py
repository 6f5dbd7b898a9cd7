"""The Content-Security-Policy in a real browser: no page breaks it, and the behaviour that
moved out of inline handlers (confirmations, auto-submit) still works."""

import pytest
from playwright.sync_api import expect

from shop.models import Product
from support import services as support_services
from tests.factories import ProductFactory, VariantFactory
from tests.orders.helpers import place

pytestmark = pytest.mark.browser


def _watch(page):
    """Collect every CSP violation and script error the page reports."""
    problems = []
    page.on(
        "console",
        lambda msg: (
            problems.append(msg.text)
            if msg.type == "error" and "Content Security Policy" in msg.text
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "console.error('Content Security Policy: ' + e.violatedDirective + ' ' + e.blockedURI))"
    )
    return problems


def test_no_page_breaks_the_policy_and_confirmations_still_ask(live_server, page, owner, sign_in):
    variant = VariantFactory(stock=4, product__status=Product.Status.ACTIVE)
    product = variant.product
    order = place({variant: 1})
    ticket = support_services.open_ticket(
        email=order.email, name=order.name, topic="size", body="Too small", order=order
    )
    problems = _watch(page)

    for path in ("/", "/products/", product.get_absolute_url(), "/support/new/"):
        page.goto(live_server.url + path)
        expect(page.locator("main")).to_be_visible()

    sign_in(page, owner)
    pages = [
        "/manage/",
        "/manage/products/",
        f"/manage/products/{product.pk}/",
        "/manage/stock/",
        "/manage/orders/",
        f"/manage/orders/{order.pk}/",
        f"/manage/orders/{order.pk}/packing-slip/",
        "/manage/tickets/",
        f"/manage/tickets/{ticket.pk}/",
        "/manage/reviews/",
        "/manage/reputation/",
        "/manage/follow-ups/",
    ]
    for path in pages:
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
    assert problems == []

    # A confirmation that moved to data-confirm still asks, and "no" keeps the product.
    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.goto(f"{live_server.url}/manage/products/{product.pk}/")
    page.get_by_role("button", name="Archive").click()
    assert asked and "Archive this product?" in asked[0]
    product.refresh_from_db()
    assert product.status == Product.Status.ACTIVE
    assert problems == []


def test_the_stock_filter_still_sends_itself(live_server, page, owner, sign_in):
    ProductFactory(status=Product.Status.ACTIVE)
    problems = _watch(page)
    sign_in(page, owner)
    page.goto(f"{live_server.url}/manage/stock/")
    options = page.locator("#show option")
    last = options.nth(options.count() - 1).get_attribute("value")
    page.locator("#show").select_option(last)
    page.wait_for_url(f"**/manage/stock/?*show={last}*")
    assert problems == []
