"""Keyboard only: every flow (order, review, open a ticket, answer a ticket) with Tab, Shift+Tab,
Enter, Space and arrow keys, never the mouse; the focus ring shows at each step; after htmx
swaps the focus lands sensibly and the change is said in the polite live region."""

import re

import pytest
from playwright.sync_api import expect

from orders.models import Order
from reviews.models import Review
from support import services as support_services
from support.models import Ticket, TicketMessage
from tests.factories import ProductFactory, VariantFactory
from tests.orders.helpers import place
from tests.reviews.helpers import delivered_order, review

from .a11y import assert_focus_visible, sign_in_context

pytestmark = pytest.mark.browser

STATUS = "#a11y-status"


def tab_to(page, selector, *, back=False, limit=150):
    """Press Tab (or Shift+Tab) until the focused element matches `selector`; fail if the
    keyboard never reaches it."""
    key = "Shift+Tab" if back else "Tab"
    for _ in range(limit):
        page.keyboard.press(key)
        if page.evaluate("s => !!document.activeElement?.matches(s)", selector):
            return page.locator(":focus")
    raise AssertionError(f"the keyboard never reached {selector}")


def focused(page, selector) -> bool:
    return page.evaluate("s => !!document.activeElement?.matches(s)", selector)


def type_into(page, selector, text):
    tab_to(page, selector)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def test_order_with_the_keyboard_alone(live_server, page, tmp_path):
    product = ProductFactory(name="Linen shirt", slug="linen-shirt")
    VariantFactory(product=product, size="S", colour="Navy", stock=0)
    medium = VariantFactory(product=product, size="M", colour="Navy", stock=3)
    page.goto(live_server.url + product.get_absolute_url())

    # The first Tab shows the skip link, which takes the focus into the page's content.
    page.keyboard.press("Tab")
    assert focused(page, "a.skip")
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))

    # The sold-out S is skipped: the first size reached is M; Space picks it.
    tab_to(page, "input[name=variant]")
    assert page.evaluate("document.activeElement.value") == str(medium.pk)
    ring = assert_focus_visible(page)
    assert ring["contrast"] >= 3
    page.locator(".picker").screenshot(path=str(tmp_path / "size-focused.png"))
    page.keyboard.press("Space")
    expect(page.locator(f"input[name=variant][value='{medium.pk}']")).to_be_checked()
    tab_to(page, "#picker button[type=submit]")
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.locator("#add-result [role=status]")).to_contain_text("Added Linen shirt")
    assert focused(page, "#picker button[type=submit]"), "the focus stays on Add to cart"
    expect(page.locator("#cart-link .cart-count")).to_have_text("1")

    # Back up to the header's cart link.
    tab_to(page, "#cart-link", back=True)
    page.keyboard.press("Enter")
    page.wait_for_url("**/cart/")
    tab_to(page, "a.button[href$='/checkout/']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/checkout/")

    type_into(page, "input[name=name]", "Li Wei")
    type_into(page, "input[name=phone]", "13800138000")
    # A closed select takes arrow keys; each change swaps in the next list.
    tab_to(page, "select[name=cn_province]")
    page.keyboard.press("ArrowDown")
    expect(page.locator(STATUS)).to_have_text("The list of cities is updated.")
    assert focused(page, "select[name=cn_province]"), "the focus stays on the province"
    tab_to(page, "select[name=cn_city]")
    page.keyboard.press("ArrowDown")
    expect(page.locator(STATUS)).to_have_text("The list of districts is updated.")
    assert focused(page, "select[name=cn_city]")
    tab_to(page, "select[name=cn_district]")
    page.keyboard.press("ArrowDown")
    type_into(page, "input[name=address_line1]", "12 Riverside Road")
    place_button = tab_to(page, "#checkout-form button[type=submit]")
    expect(place_button).to_have_text(re.compile(r"^Place order"))
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    page.wait_for_url("**/checkout/thanks/*/")
    order = Order.objects.get()
    assert (order.name, order.address_line1) == ("Li Wei", "12 Riverside Road")
    assert order.region and order.city and order.district
    assert list(order.lines.values_list("variant_id", flat=True)) == [medium.pk]


def test_review_through_the_review_link_with_the_keyboard(live_server, page):
    order = delivered_order()
    page.goto(live_server.url + order.get_absolute_url())
    tab_to(page, "#review-link")
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    page.wait_for_url("**/reviews/write/*/")
    for line in order.lines.all():
        prefix = f"line-{line.pk}-"
        tab_to(page, f"input[name={prefix}rating]")
        ring = assert_focus_visible(page)  # a star button's ring, drawn on its label
        assert ring["contrast"] >= 3
        page.keyboard.press("ArrowRight")  # arrows move along the stars and choose: 4★
        tab_to(page, f"input[name={prefix}fit]")
        page.keyboard.press("Space")
        type_into(page, f"input[name={prefix}title]", f"Good {line.size}")
        type_into(page, f"textarea[name={prefix}body]", "Neat seams, soft linen.")
    tab_to(page, "main form button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.locator("#messages .flash-success")).to_contain_text("your review is published")
    reviews = Review.objects.filter(order_line__order=order)
    assert reviews.count() == 2
    assert {r.title for r in reviews} == {f"Good {line.size}" for line in order.lines.all()}
    assert {(r.rating, r.fit) for r in reviews} == {(4, "small")}


def test_a_buyer_opens_a_ticket_and_staff_answer_it_with_the_keyboard(
    live_server, page, browser, support_user
):
    order = place({VariantFactory(stock=3): 1})
    page.goto(live_server.url + order.get_absolute_url())
    tab_to(page, "#help-link")
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    page.wait_for_url("**/support/new/*")
    tab_to(page, "select[name=topic]")
    page.keyboard.press("ArrowDown")
    type_into(page, "textarea[name=body]", "The seam came apart.")
    tab_to(page, "main form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/support/*/")
    ticket = Ticket.objects.get()
    assert ticket.order_id == order.pk
    assert ticket.messages.get().body == "The seam came apart."

    staff = browser.new_context()
    try:
        sign_in_context(staff, live_server, support_user)
        staff_page = staff.new_page()
        staff_page.goto(f"{live_server.url}/manage/tickets/")
        tab_to(staff_page, f"#inbox a[href='{ticket.get_manage_url()}']")
        assert_focus_visible(staff_page)
        staff_page.keyboard.press("Enter")
        staff_page.wait_for_url(f"**{ticket.get_manage_url()}")
        type_into(staff_page, "#id_body", "Sorry: we send a new one today.")
        tab_to(staff_page, "#reply-form button[type=submit]")
        assert_focus_visible(staff_page)
        staff_page.keyboard.press("Enter")
        expect(staff_page.locator("#messages .flash-success")).to_contain_text("Reply sent")
    finally:
        staff.close()
    answer = ticket.messages.get(author_kind=TicketMessage.Author.STAFF, internal=False)
    assert answer.body == "Sorry: we send a new one today."


# ----------------------------------------------------------------- focus after htmx swaps
def test_catalogue_filter_keeps_the_focus_and_says_how_many(live_server, page):
    for name, size in (("Shirt", "M"), ("Trousers", "M"), ("Coat", "L")):
        VariantFactory(product=ProductFactory(name=name), size=size, stock=2)
    page.goto(f"{live_server.url}/products/")
    tab_to(page, "#id_size")
    page.evaluate("window.__marker = 1")
    # Options: Any, then the sizes; each change filters in place.
    expected = {"M": ("2 garments", 2), "L": ("1 garment", 1)}
    for _ in range(2):
        page.keyboard.press("ArrowDown")
        size = page.evaluate("document.activeElement.value")
        text, count = expected[size]
        expect(page).to_have_url(re.compile(rf"size={size}"))
        expect(page.locator(STATUS)).to_have_text(text)
        assert focused(page, "#id_size"), "the filter keeps the focus"
        expect(page.locator("#product-grid .grid > li")).to_have_count(count)
    assert page.evaluate("window.__marker") == 1, "filtering reloaded the page"
    expect(page.locator(STATUS)).to_have_attribute("aria-live", "polite")


def test_cart_updates_keep_the_focus_on_the_line_and_say_the_total(live_server, page):
    variant = VariantFactory(product=ProductFactory(name="Linen shirt", price=100), stock=5)
    page.goto(live_server.url + variant.product.get_absolute_url())
    tab_to(page, "input[name=variant]")
    page.keyboard.press("Space")
    tab_to(page, "#picker button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.locator("#cart-link .cart-count")).to_have_text("1")
    page.goto(f"{live_server.url}/cart/")
    page.evaluate("window.__marker = 1")
    type_into(page, "#cart-body input[name=quantity]", "3")
    page.keyboard.press("Enter")  # sends the line's form through htmx
    expect(page.locator(STATUS)).to_have_text("Cart updated. Total: CN¥300.00")
    # The line was drawn again; the focus is on its new quantity field, not lost to the page.
    assert focused(page, "#cart-body input[name=quantity]")
    expect(page.locator("#cart-body input[name=quantity]")).to_have_value("3")
    expect(page.locator("#cart-link .cart-count")).to_have_text("3")

    tab_to(page, "#cart-body button[name=remove]")
    page.keyboard.press("Enter")
    expect(page.locator(STATUS)).to_have_text("Your cart is empty.")
    # The line is gone: the focus moves to the cart's region, not to the top of the page.
    assert focused(page, "#cart-body")
    assert page.evaluate("window.__marker") == 1


def test_review_bars_and_helpful_votes_keep_the_focus_and_speak(live_server, page):
    product = ProductFactory(name="Linen shirt", slug="linen-shirt")
    for rating, size in ((5, "S"), (1, "M")):
        order = delivered_order(VariantFactory(product=product, size=size))
        review(order.lines.get(), rating=rating, title=f"{rating} stars")
    page.goto(live_server.url + product.get_absolute_url())
    bar = tab_to(page, ".bars a[href='?stars=1#reviews']")
    expect(bar).to_have_accessible_name("1★ 1 review")
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.locator("#review-list li.review")).to_have_count(1)
    expect(page.locator(STATUS)).to_have_text("1 review")
    assert focused(page, ".bars a[href='?stars=1#reviews']"), "the bar keeps the focus"

    one_star = Review.objects.get(rating=1)
    tab_to(page, f"#helpful-{one_star.pk}")
    page.keyboard.press("Enter")
    vote = page.locator("#review-list form.helpful")
    expect(vote).to_contain_text("Thanks, counted (1)")
    expect(vote).to_have_attribute("aria-live", "polite")  # the form stays: its words are read
    assert focused(page, f"#helpful-{one_star.pk}"), "the new button has the focus"
    page.keyboard.press("Enter")
    expect(vote).to_contain_text("You already found this helpful.")
    assert focused(page, f"#helpful-{one_star.pk}")


def test_inbox_filter_keeps_the_focus_and_says_how_many(live_server, page, support_user):
    for n in range(3):
        support_services.open_ticket(
            email=f"b{n}@example.com", name="Mei", topic="size", body=f"Problem {n}"
        )
    sign_in_context(page.context, live_server, support_user)
    page.goto(f"{live_server.url}/manage/tickets/?view=unassigned")
    tab_to(page, "#view")
    # Views in order: unassigned, mine, ...: "mine" has none.
    page.keyboard.press("ArrowDown")
    expect(page.locator(STATUS)).to_have_text("0 tickets")
    assert focused(page, "#view")
    page.keyboard.press("ArrowUp")
    expect(page.locator(STATUS)).to_have_text("3 tickets")
    assert focused(page, "#view")
    expect(page.locator("#inbox tr.ticket-row")).to_have_count(3)

    # The inbox refreshes itself every 15 s: a poll keeps the focus on the same ticket and says
    # nothing (the poll is started here as htmx starts it, from the inbox itself).
    link = tab_to(page, "#inbox tr.ticket-row a")
    href = link.get_attribute("href")
    page.evaluate("document.getElementById('a11y-status').textContent = '-'")
    page.evaluate(
        "() => new Promise(done => { document.addEventListener('htmx:afterSettle', () =>"
        " setTimeout(done, 200), {once: true}); htmx.ajax('GET', location.href,"
        " {source: '#inbox', target: '#inbox', swap: 'outerHTML'}); })"
    )
    assert focused(page, f"#inbox a[href='{href}']"), "the poll kept the focus on the ticket"
    expect(page.locator(STATUS)).to_have_text("-")
