"""No page scrolls sideways on a phone: every main page of every role, at 360 x 740 and at
1280 x 800, on the demo's history (seed_demo) with the long things that broke it: a tracking
link, links in ticket messages, a review with a long unbroken address, an outbox of long emails,
products without a photo. Screenshots of every page at both widths go to
test-results/screenshots/<width>/<name>.png (look at them: a page can fit and still look wrong).
"""

import io
import re
from dataclasses import replace
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from orders.models import Order
from reviews.models import Review
from reviews.services import review_token
from shop.images import clean_image
from shop.models import Product, ShopProfile
from shop.services import add_images
from support import services as support
from tests.factories import ProductFactory, VariantFactory, image_upload
from tests.orders.helpers import BUYER, place

pytestmark = pytest.mark.browser

WIDTHS = {360: 740, 1280: 800}
SHOTS = Path("test-results/screenshots")
LONG_URL = (
    "https://www.example-carrier-tracking.cn/express/waybill/detail/SF1234567890123456789"
    "?lang=zh-hans&source=jinghe-storefront-order-confirmation&utm_campaign=winter"
)
SHOWCASE = "linen-work-shirt"

# Lazy images below the fold would be empty boxes in a full-page screenshot: load them all.
LOAD_IMAGES = """() => Promise.all([...document.images].map(img => {
  img.loading = 'eager';
  return img.complete ? null : new Promise(done => { img.onload = img.onerror = done; });
}))"""
# The elements whose right edge lies past the viewport: what to fix when a page is too wide.
TOO_WIDE = """(width) => [...document.querySelectorAll('body *')]
  .filter(el => el.getBoundingClientRect().right > width + 0.5)
  .filter(el => !el.closest('.table-scroll, [data-scrolls]'))
  .slice(0, 6)
  .map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
       + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '')
       + ' ' + Math.round(el.getBoundingClientRect().right))"""


def _history(owner, support_user):
    """The demo's six weeks, plus what made pages too wide, made through the real services."""
    call_command("seed_demo", images=0, stdout=io.StringIO())
    ShopProfile.load()
    showcase = Product.objects.get(slug=SHOWCASE)
    add_images(showcase, [clean_image(image_upload())])
    review = Review.objects.filter(product=showcase, status="published", photo_count__gt=0).first()
    Review.objects.filter(pk=review.pk).update(
        body="It fits as the size chart says; I wrote it all down here: " + LONG_URL * 2
    )
    ticket = support.open_ticket(
        email="a-rather-long-address-of-a-buyer@example-mail-provider.com",
        name="Mei",
        topic="delivery",
        body=f"请看{LONG_URL}，谢谢。The courier's page says: {LONG_URL}{LONG_URL}",
    )
    support.reply_to_ticket(
        ticket, f"Here is the waybill: {LONG_URL} and the returns page.", acting_user=support_user
    )
    variant = showcase.variants.filter(stock__gt=1).first()
    buyer = replace(
        BUYER,
        region="湖北省",
        city="宜昌市",
        district="西陵区",
        address_line1="江边路 12 号 3 单元",
    )
    order = place({variant: 1}, buyer=buyer)
    delivered = (
        Order.objects.filter(status=Order.Status.DELIVERED, lines__review__isnull=True)
        .order_by("-pk")
        .first()
    )
    return {
        "showcase": showcase,
        "ticket": ticket,
        "order": order,
        "review_url": f"/reviews/write/{review_token(delivered)}/",
    }


def _check(page, name: str, width: int, url: str, problems: dict) -> None:
    response = page.goto(url)
    if not response.ok:  # a 404 that happens to fit proves nothing
        problems[f"{name}@{width}"] = ("status", response.status)
        return
    page.evaluate(LOAD_IMAGES)
    folder = SHOTS / str(width)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
    scroll = page.evaluate("document.documentElement.scrollWidth")
    if scroll > width:
        problems[f"{name}@{width}"] = (scroll, page.evaluate(TOO_WIDE, width))


def test_no_page_scrolls_sideways(live_server, browser, owner, support_user, sign_in, settings):
    settings.DEBUG = True  # the demo's outbox
    settings.EMAIL_BACKEND = "messaging.backends.DemoBackend"
    settings.SITE_URL = live_server.url
    data = _history(owner, support_user)
    base = live_server.url
    showcase, ticket, order = data["showcase"], data["ticket"], data["order"]
    no_photo = Product.objects.filter(status="active", images__isnull=True).order_by("pk").first()
    buyer_pages = [
        ("home", "/"),
        ("catalogue", "/products/?size=M&in_stock=1&min_price=100&max_price=600&sort=price_asc"),
        ("category", "/products/?category=shirts"),
        ("product", showcase.get_absolute_url()),
        ("product-no-photo", no_photo.get_absolute_url()),
        ("cart", "/cart/"),
        ("checkout", "/checkout/"),
        ("confirmation", f"/checkout/thanks/{order.tracking_token}/"),
        ("tracking", order.get_absolute_url()),
        ("review-form", data["review_url"]),
        ("ticket-thread", ticket.get_absolute_url()),
        ("ticket-new", "/support/new/"),
        ("outbox", "/outbox/"),
        ("sign-in", "/account/sign-in/"),
    ]
    staff_pages = [
        ("inbox", "/manage/tickets/?view=all"),
        ("ticket", f"/manage/tickets/{ticket.pk}/"),
    ]
    owner_pages = [
        ("owner-home", "/manage/"),
        ("products", "/manage/products/"),
        ("product-form", f"/manage/products/{showcase.pk}/"),
        ("orders", "/manage/orders/"),
        ("order", f"/manage/orders/{order.pk}/"),
        ("reviews", "/manage/reviews/"),
        ("reputation", "/manage/reputation/"),
        ("follow-ups", "/manage/follow-ups/"),
        ("categories", "/manage/categories/"),
        ("moderation-log", "/manage/reviews/moderation/"),
    ]
    problems: dict = {}
    for width, height in WIDTHS.items():
        viewport = {"viewport": {"width": width, "height": height}}
        buyer = browser.new_context(**viewport).new_page()
        # A cart with the showcase shirt, put there as a buyer does.
        buyer.goto(base + showcase.get_absolute_url())
        buyer.locator("label.size-opt:not(.sold-out)").first.click()
        buyer.get_by_role("button", name="Add to cart").click()
        expect(buyer.locator("#add-result").get_by_role("status")).to_contain_text("Added")
        for name, path in buyer_pages:
            _check(buyer, name, width, base + path, problems)
        if width == 360:
            # Chinese, the shop's first language, at the narrowest width: its own labels.
            buyer.context.add_cookies(
                [{"name": "django_language", "value": "zh-hans", "url": base}]
            )
            for name, path in buyer_pages:
                _check(buyer, f"zh-{name}", width, base + path, problems)
        buyer.context.close()
        for user, pages in ((support_user, staff_pages), (owner, owner_pages)):
            staff = browser.new_context(**viewport).new_page()
            sign_in(staff, user)
            for name, path in pages:
                _check(staff, name, width, base + path, problems)
            staff.context.close()
    assert not problems, "\n".join(f"{page}: {found}" for page, found in problems.items())


ROW_TOPS = "(sel) => [...document.querySelector(sel).children].map(el => Math.round(el.getBoundingClientRect().top))"


def _inside(box, width) -> bool:
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width


def test_the_header_on_a_phone_is_two_tidy_rows(live_server, page, owner, sign_in):
    ShopProfile.load()
    page.set_viewport_size({"width": 360, "height": 740})
    sign_in(page, owner)  # the longest menu: shop, cart, my orders, manage, sign out
    page.goto(f"{live_server.url}/manage/categories/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # The menu is one row (it scrolls inside itself), not a ragged wrap.
    assert len(set(page.evaluate(ROW_TOPS, ".main-nav"))) == 1
    header = page.locator(".site-header").bounding_box()
    assert header["height"] <= 2 * 44 + 8
    # The shop's name and both languages share the first line; the cart is on screen.
    brand = page.locator(".brand").bounding_box()
    for button in page.locator(".lang-switch button").all():
        box = button.bounding_box()
        assert _inside(box, 360) and abs(box["y"] - brand["y"]) < 12
    assert _inside(page.locator("#cart-link").bounding_box(), 360)
    # The manage menu is one row too, scrolled so that the current section is in sight.
    assert len(set(page.evaluate(ROW_TOPS, ".manage-nav"))) == 1
    assert _inside(page.locator(".manage-nav [aria-current=page]").bounding_box(), 360)
    # Sign out, the last item, is reached by scrolling the row, not the page.
    sign_out = page.get_by_role("button", name="Sign out")
    sign_out.scroll_into_view_if_needed()
    assert _inside(sign_out.bounding_box(), 360)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(SHOTS / "header-owner-360.png"))


def test_the_header_on_a_wide_screen_is_one_row(live_server, page, owner, sign_in):
    ShopProfile.load()
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, owner)
    header = page.locator(".site-header").bounding_box()
    assert header["height"] <= 64


@pytest.mark.parametrize("width", [360, 1280])
def test_the_checkout_shows_the_order_and_total_before_its_button(live_server, page, width):
    ShopProfile.load()
    product = ProductFactory(name="Linen Shirt", slug="linen-shirt")
    VariantFactory(product=product, size="M", colour="Navy", stock=3)
    page.set_viewport_size({"width": width, "height": WIDTHS[width]})
    page.goto(f"{live_server.url}{product.get_absolute_url()}")
    page.locator("label.size-opt").first.click()
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("#add-result").get_by_role("status")).to_contain_text("Added")
    page.goto(f"{live_server.url}/checkout/")
    summary = page.locator(".checkout-summary").bounding_box()
    total = page.locator(".checkout-summary th", has_text="Total").bounding_box()
    button = page.get_by_role("button", name=re.compile(r"^Place order")).bounding_box()
    assert total["y"] + total["height"] <= button["y"]  # read before the last press
    if width == 360:
        assert summary["y"] + summary["height"] <= button["y"]  # between the fields and it
    else:
        fields = page.locator(".checkout-fields").bounding_box()
        assert summary["x"] > fields["x"] + fields["width"] - 1  # beside the fields
        assert abs(summary["y"] - fields["y"]) < 24
    assert page.evaluate("document.documentElement.scrollWidth") <= width
