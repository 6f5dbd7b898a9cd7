"""axe-core (WCAG 2.0-2.2 A and AA) on the main pages of every role, in both languages, at a
phone's width and a desk's: no serious or critical violation, and <html lang> says the language
the page is written in. Screenshots of each page land in the test's tmp_path."""

import re

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from reviews.models import Review
from shop.models import ImportJob, Product
from support import services as support_services
from tests.factories import CategoryFactory, ProductFactory, VariantFactory
from tests.orders.helpers import place
from tests.reviews.helpers import delivered_order, review

from .a11y import (
    assert_focus_visible,
    inject_axe,
    serious_violations,
    set_language,
    sign_in_context,
)

pytestmark = pytest.mark.browser

HAN = re.compile(r"[\u4e00-\u9fff]")
# The page's own words in the other language (the shop's name and the buyers' texts are what
# they are): the main navigation, the skip link and the h1 are the shop's texts.
CHROME = "a.skip, .main-nav, main h1"
WIDTHS = (1280, 360)


def _shop(owner, support_user):
    """Everything the pages show: products with reviews (star bars, fit), orders placed and
    delivered, a ticket answered by staff, an import under way."""
    shirts = CategoryFactory(slug="shirts", name="Shirts")
    shirt = ProductFactory(name="Linen shirt", slug="linen-shirt", category=shirts)
    VariantFactory(product=shirt, size="S", colour="Navy", stock=3)
    VariantFactory(product=shirt, size="M", colour="Navy", stock=3)
    VariantFactory(product=shirt, size="L", colour="Navy", stock=0)
    ProductFactory(name="Work trousers", slug="work-trousers", category=shirts)
    for rating, fit, size in ((5, "true", "XL"), (4, "small", "XXL"), (2, "small", "3XL")):
        earlier = delivered_order(VariantFactory(product=shirt, size=size, colour="Sand"))
        review(earlier.lines.get(), rating=rating, fit=fit, title=f"{rating} stars")
    assert Review.objects.filter(order_line__product=shirt).count() == 3
    delivered = delivered_order()
    placed = place({VariantFactory(product=shirt, size="XS", colour="Navy", stock=2): 1})
    ticket = support_services.open_ticket(
        email=placed.email, name=placed.name, topic="size", body="Too small", order=placed
    )
    support_services.reply_to_ticket(ticket, "Sorry: we will swap it.", acting_user=support_user)
    job = ImportJob.objects.create(
        file="imports/products.csv", status=ImportJob.Status.VALIDATING, total_rows=10
    )
    job.processed_rows = 4
    job.save(update_fields=["processed_rows"])
    return {"shirt": shirt, "delivered": delivered, "placed": placed, "ticket": ticket, "job": job}


def _check(page, path_or_url, language, live_server, tmp_path, name, problems):
    """Open the page at each width, run axe, check <html lang>, keep a screenshot."""
    url = path_or_url if path_or_url.startswith("http") else live_server.url + path_or_url
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})
    response = page.goto(url)
    assert response.status == 200, (url, response.status)
    lang = page.locator("html").get_attribute("lang")
    assert lang.lower() == language, (name, lang)
    chrome = " ".join(page.locator(CHROME).all_inner_texts())
    if language == "zh-hans":
        assert HAN.search(chrome), (name, chrome)
    else:
        assert not HAN.search(chrome), (name, chrome)
    assert page.locator("h1").count() == 1, f"{name}: one h1 per page"
    assert page.locator("main h1").count() == 1, f"{name}: the h1 is the main content's"
    expect(page.locator("a.skip[href='#main']")).to_have_count(1)
    expect(page.locator("main#main")).to_have_count(1)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for line in serious_violations(page):
            problems.append(f"{name} [{language}, {width}px] {line}")
        page.screenshot(path=str(tmp_path / f"{name}-{language}-{width}.png"), full_page=True)


def _errors_are_linked(page, name):
    """A form sent back with errors: every invalid field says so (aria-invalid) and points at
    its error (aria-describedby names elements that exist), and the first one has the focus."""
    invalid = page.locator("main [aria-invalid=true]")
    assert invalid.count() >= 1, f"{name}: no field marked invalid"
    for i in range(invalid.count()):
        field = invalid.nth(i)
        # A radio's error belongs to its group: the fieldset names it.
        described = field.evaluate(
            "el => el.getAttribute('aria-describedby') || (el.type === 'radio'"
            " && el.closest('fieldset')?.getAttribute('aria-describedby')) || ''"
        )
        assert described, f"{name}: {field.get_attribute('name')} names no error"
        for ref in described.split():
            expect(page.locator(f"[id='{ref}']")).to_have_count(1)
        assert page.locator(f"[id='{described.split()[-1]}']").inner_text().strip()
    assert page.evaluate(
        "document.activeElement === document.querySelector('main [aria-invalid=true]')"
    ), f"{name}: the first invalid field has the focus"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_axe_finds_nothing_serious_on_any_main_page(
    live_server, browser, owner, support_user, language, tmp_path
):
    data = _shop(owner, support_user)
    problems = []

    buyer = browser.new_context()
    try:
        set_language(buyer, live_server, language)
        page = buyer.new_page()
        check = lambda name, path: _check(  # noqa: E731
            page, path, language, live_server, tmp_path, name, problems
        )
        check("home", "/")
        check("catalogue", "/products/")
        check("catalogue-filtered", "/products/?category=shirts&size=M&in_stock=1")
        check("product", data["shirt"].get_absolute_url())
        # Into the cart through the page's own form (sizes are radios in labels).
        page.locator("#picker label.size-opt").filter(
            has=page.locator("input:enabled")
        ).first.click()
        page.locator("#picker button[type=submit]").click()
        expect(page.locator("#cart-link .cart-count")).to_have_text("1")
        for line in serious_violations(page):  # the product page after the htmx answer
            problems.append(f"product-added [{language}] {line}")
        check("cart", "/cart/")
        check("checkout", "/checkout/")
        # The checkout's errors, shown by the server: each field names its error.
        page.locator("#checkout-form button[type=submit]").last.click()
        page.wait_for_load_state()
        _errors_are_linked(page, "checkout")
        for line in serious_violations(page):
            problems.append(f"checkout-errors [{language}] {line}")
        placed = data["placed"]
        check("confirmation", f"/checkout/thanks/{placed.tracking_token}/")
        check("tracking", placed.get_absolute_url())
        check("contact", f"/support/new/?order={placed.tracking_token}")
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
        _errors_are_linked(page, "contact")
        page.goto(live_server.url + data["delivered"].get_absolute_url())
        check("review-form", page.locator("#review-link").get_attribute("href"))
        page.locator("main form button[type=submit]").last.click()
        page.wait_for_load_state()
        _errors_are_linked(page, "review-form")
        for line in serious_violations(page):
            problems.append(f"review-form-errors [{language}] {line}")
        check("ticket-thread", data["ticket"].get_absolute_url())
        check("sign-in", "/account/sign-in/")
    finally:
        buyer.close()

    staff = browser.new_context()
    try:
        set_language(staff, live_server, language)
        sign_in_context(staff, live_server, support_user)
        page = staff.new_page()
        _check(page, "/manage/tickets/", language, live_server, tmp_path, "inbox", problems)
        _check(
            page,
            data["ticket"].get_manage_url(),
            language,
            live_server,
            tmp_path,
            "ticket-staff",
            problems,
        )
    finally:
        staff.close()

    owner_context = browser.new_context()
    try:
        set_language(owner_context, live_server, language)
        sign_in_context(owner_context, live_server, owner)
        page = owner_context.new_page()
        shirt = data["shirt"]
        for name, path in (
            ("owner-home", "/manage/"),
            ("product-new", "/manage/products/new/"),
            ("product-form", f"/manage/products/{shirt.pk}/"),
            ("import-status", f"/manage/products/import/{data['job'].pk}/"),
            ("orders", "/manage/orders/"),
            ("order", data["placed"].get_manage_url()),
            ("reputation", "/manage/reputation/"),
            ("follow-ups", "/manage/follow-ups/"),
            ("reviews", "/manage/reviews/"),
            ("moderation-log", "/manage/reviews/moderation/"),
            ("stock", "/manage/stock/"),
            ("categories", "/manage/categories/"),
            ("shop-profile", "/manage/shop/"),
            ("canned-replies", "/manage/tickets/canned/"),
            ("my-orders", "/account/orders/"),
        ):
            _check(page, path, language, live_server, tmp_path, name, problems)
    finally:
        owner_context.close()

    assert problems == [], "\n".join(problems)
    assert Product.objects.count() >= 2


def test_the_csp_keeps_axe_out_of_script_tags_so_it_is_evaluated(live_server, page):
    """Why inject_axe evaluates the file: the shop's CSP refuses an injected <script>."""
    page.goto(live_server.url + "/")
    with pytest.raises(PlaywrightError, match="Content Security Policy"):
        page.add_script_tag(content="window.__injected = 1")
    assert page.evaluate("window.__injected") is None
    inject_axe(page)
    assert page.evaluate("axe.version") == "4.14.1"


def _tab_through(page, path, limit=120):
    """Tab from the top to the end of the page, checking the ring at every stop."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement === document.body || !document.hasFocus()"):
            break
        ring = assert_focus_visible(page)
        seen.append((path, ring["tag"], ring["name"]))
    return seen


def test_every_focusable_element_shows_a_ring_of_enough_contrast(
    live_server, browser, owner, support_user
):
    """Tab through the product page, the checkout and a ticket page: each stop shows a ring of
    at least 2 px and 3:1 against what surrounds it (WCAG 2.4.7, 2.4.11, 1.4.11)."""
    data = _shop(owner, support_user)
    context = browser.new_context()
    try:
        page = context.new_page()
        seen = []
        for path in ("/", data["shirt"].get_absolute_url(), "/products/"):
            page.goto(live_server.url + path)
            seen += _tab_through(page, path)
        assert ("input", "variant") in {(tag, name) for _, tag, name in seen}, "no size reached"
        assert len(seen) > 40
        sign_in_context(context, live_server, support_user)
        page.goto(live_server.url + data["ticket"].get_manage_url())
        assert len(_tab_through(page, "ticket")) > 10
        page.goto(live_server.url + "/manage/tickets/")
        assert len(_tab_through(page, "inbox")) > 5
    finally:
        context.close()
    context = browser.new_context()
    try:
        page = context.new_page()
        sign_in_context(context, live_server, owner)
        for path in ("/manage/", f"/manage/products/{data['shirt'].pk}/", "/manage/orders/"):
            page.goto(live_server.url + path)
            assert len(_tab_through(page, path, limit=200)) > 10, path
    finally:
        context.close()
