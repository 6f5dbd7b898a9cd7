import re

import pytest
from playwright.sync_api import expect

from reviews import services as review_services
from reviews.models import Review, ReviewReply
from shop.models import ShopProfile
from tests.factories import ProductFactory, VariantFactory, image_bytes
from tests.reviews.helpers import delivered_order, review

pytestmark = pytest.mark.browser


def _fill_line(section, *, stars, fit, title, body):
    """Rate one order line on the review page: the radios sit inside their labels."""
    for name in (f"{stars}★", fit):
        # `has` is matched inside each label, so it is built from the page, not the section.
        inner = section.page.get_by_role("radio", name=name, exact=True)
        section.locator("label.size-opt").filter(has=inner).click()
        expect(section.get_by_role("radio", name=name, exact=True)).to_be_checked()
    section.get_by_label("Title").fill(title)
    section.get_by_label("Your review").fill(body)


def test_buyer_reviews_two_lines_with_a_photo_then_owner_replies_and_visitor_filters(
    live_server, page, owner, sign_in, tmp_path
):
    shop = ShopProfile.load()
    shirt = ProductFactory(name="Linen Shirt", slug="linen-shirt")
    trousers = ProductFactory(name="Work Trousers", slug="work-trousers")
    shirt_m = VariantFactory(product=shirt, size="M", colour="Navy", stock=5)
    trousers_l = VariantFactory(product=trousers, size="L", colour="Sand", stock=5)

    # Two earlier buyers already gave the trousers five stars, in other sizes.
    for size in ("S", "XL"):
        earlier = delivered_order(VariantFactory(product=trousers, size=size, colour="Sand"))
        review(earlier.lines.get(), rating=5, title=f"Great in {size}", display_name="Ann B.")

    order = delivered_order(shirt_m, trousers_l)
    line_a = order.lines.get(product=shirt)
    line_b = order.lines.get(product=trousers)
    photo = tmp_path / "on-me.jpg"
    photo.write_bytes(image_bytes(size=(300, 400)))

    # The buyer goes from the tracking page to the review page.
    page.goto(f"{live_server.url}{order.get_absolute_url()}")
    expect(page.locator("#order-status")).to_have_text("Delivered")
    review_link = page.locator("#review-link")
    expect(review_link).to_have_text("Review your garments")
    review_link.click()
    page.wait_for_url("**/reviews/write/*/")
    write_url = page.url
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Review your order {order.number}")

    section_a = page.locator(f"#line-{line_a.pk}")
    section_b = page.locator(f"#line-{line_b.pk}")
    expect(section_a.get_by_role("heading", level=2)).to_contain_text("you bought size M, Navy")
    expect(section_b.get_by_role("heading", level=2)).to_contain_text("you bought size L, Sand")
    expect(section_a.get_by_label("Shown as")).to_have_value("Mei C.")

    _fill_line(
        section_a,
        stars=5,
        fit="True to size",
        title="Perfect summer shirt",
        body="Soft linen, neat seams.",
    )
    section_a.locator(f"input[name=line-{line_a.pk}-photos]").set_input_files(photo)
    _fill_line(
        section_b,
        stars=1,
        fit="Runs small",
        title="Too tight at the waist",
        body="Had to send them back.",
    )
    page.get_by_role("button", name="Publish my reviews").click()

    page.wait_for_load_state()
    expect(page.locator("#messages .flash-success")).to_have_text(
        "Thank you: your review is published."
    )
    assert page.url == write_url
    expect(page.get_by_text("You have reviewed everything in this order.")).to_be_visible()
    expect(page.get_by_role("button", name="Publish my reviews")).to_have_count(0)

    review_a = Review.objects.get(order_line=line_a)
    review_b = Review.objects.get(order_line=line_b)
    assert (review_a.rating, review_a.fit, review_a.photo_count) == (5, "true", 1)
    assert (review_b.rating, review_b.fit, review_b.photo_count) == (1, "small", 0)
    assert review_a.photos.count() == 1

    # The shirt's page shows the verified review with its photo.
    page.goto(f"{live_server.url}{shirt.get_absolute_url()}")
    items = page.locator("#review-list li.review")
    expect(items).to_have_count(1)
    item = items.first
    expect(item.locator(".stars")).to_have_attribute("aria-label", "5 out of 5 stars")
    expect(item).to_contain_text("Perfect summer shirt")
    expect(item).to_contain_text("Verified purchase")
    expect(item).to_contain_text("bought M, Navy")
    expect(item.locator(".fit-line")).to_contain_text("True to size")
    img = item.locator(".review-photos img")
    expect(img).to_have_count(1)
    img.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle())
    # Shown whole (not cropped to portrait), and a keyboard link to the full-size rendition.
    assert img.evaluate("img => getComputedStyle(img).objectFit") == "contain"
    enlarge = item.get_by_role("link", name="Photo 1 of 1 from the buyer: open full size")
    for width in (360, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(tmp_path / f"review-with-photo-{width}.png"), full_page=True)
    enlarge.focus()
    assert enlarge.evaluate("a => a === document.activeElement")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{review_a.photos.get().large.url}")

    # The trousers' page shows the one-star review, newest first.
    page.goto(f"{live_server.url}{trousers.get_absolute_url()}")
    items = page.locator("#review-list li.review")
    expect(items).to_have_count(3)
    expect(items.first.locator(".stars")).to_have_attribute("aria-label", "1 out of 5 stars")
    expect(items.first).to_contain_text("Too tight at the waist")
    expect(items.first).to_contain_text("bought L, Sand")
    expect(items.first.locator(".owner-reply")).to_have_count(0)
    # Three fit answers, two "true to size": the majority is said, with the three shares.
    fit = page.locator("#fit-summary")
    expect(fit).to_contain_text("3 buyers answered")
    expect(fit).to_contain_text("Runs small: 33% (1 answer)")
    expect(fit).to_contain_text("Most buyers find it true to size.")

    # The owner answers the one-star review in place.
    owner_context = page.context.browser.new_context()
    try:
        owner_page = owner_context.new_page()
        sign_in(owner_page, owner)
        owner_page.goto(f"{live_server.url}/manage/reviews/")
        expect(owner_page.get_by_role("heading", level=1)).to_have_text("Reviews")
        row = owner_page.locator(f"#manage-review-{review_b.pk}")
        expect(row).to_contain_text("Too tight at the waist")
        owner_page.evaluate("window.__marker = 1")
        row.locator(f"#reply-{review_b.pk}").fill("Sorry: take one size up, we will swap them.")
        row.get_by_role("button", name="Publish reply").click()
        expect(row.get_by_role("button", name="Update reply")).to_be_visible()
        expect(row.get_by_role("button", name="Publish reply")).to_have_count(0)
        expect(row.locator(f"#reply-{review_b.pk}")).to_have_value(
            "Sorry: take one size up, we will swap them."
        )
        expect(row).to_contain_text("replied")
        assert owner_page.evaluate("window.__marker") == 1, "replying reloaded the page"

        # The owner hides a review for a policy reason; the log says who, when and why.
        review_services.hide_review(
            Review.objects.get(pk=review_a.pk), reason="spam", acting_user=owner, note="A link"
        )
        owner_page.goto(f"{live_server.url}/manage/reviews/")
        owner_page.get_by_role("link", name="Who hid it, when and why").click()
        owner_page.wait_for_url(f"**/manage/reviews/moderation/?review={review_a.pk}")
        log_row = owner_page.locator("#moderation-log tbody tr")
        expect(log_row).to_have_count(1)
        expect(log_row).to_contain_text("Spam or advertising")
        expect(log_row).to_contain_text("A link")
        expect(log_row).to_contain_text(owner.get_full_name() or owner.email)
        for width in (360, 1280):
            owner_page.set_viewport_size({"width": width, "height": 800})
            assert owner_page.evaluate("document.documentElement.scrollWidth") <= width
            owner_page.screenshot(
                path=str(tmp_path / f"moderation-log-{width}.png"), full_page=True
            )
        review_services.unhide_review(Review.objects.get(pk=review_a.pk), acting_user=owner)
    finally:
        owner_context.close()
    reply = ReviewReply.objects.get(review=review_b)
    assert (reply.body, reply.author_id) == (
        "Sorry: take one size up, we will swap them.",
        owner.pk,
    )

    # A visitor sees the reply and filters to the one-star reviews in place.
    visitor_context = page.context.browser.new_context()
    try:
        visitor = visitor_context.new_page()
        trousers_url = f"{live_server.url}{trousers.get_absolute_url()}"
        visitor.goto(trousers_url)
        items = visitor.locator("#review-list li.review")
        expect(items).to_have_count(3)
        one_star = items.filter(has_text="Too tight at the waist")
        expect(one_star.locator(".owner-reply")).to_contain_text(f"Reply from {shop.name}")
        expect(one_star.locator(".owner-reply")).to_contain_text(
            "Sorry: take one size up, we will swap them."
        )
        expect(visitor.locator("#review-list .owner-reply")).to_have_count(1)

        visitor.evaluate("window.__marker = 1")
        bar = visitor.get_by_role("link", name="1★ 1 review", exact=True)
        expect(visitor.get_by_role("link", name="5★ 2 reviews", exact=True)).to_be_visible()
        bar.click()
        expect(visitor).to_have_url(re.compile(r"[?&]stars=1(&|#|$)"))
        expect(items).to_have_count(1)
        expect(items.first).to_contain_text("Too tight at the waist")
        expect(items.first.locator(".owner-reply")).to_contain_text(f"Reply from {shop.name}")
        assert visitor.evaluate("window.__marker") == 1, "filtering reloaded the page"

        # A "helpful" vote says it was counted; a second one says it already was.
        helpful = items.first.locator("form.helpful button")
        expect(helpful).to_have_text("Helpful (0)")
        helpful.click()
        expect(helpful).to_have_text("✓ Thanks, counted (1)")
        helpful.click()
        expect(items.first.locator("form.helpful")).to_contain_text(
            "You already found this helpful."
        )
        expect(helpful).to_have_text("✓ Helpful (1)")
    finally:
        visitor_context.close()
