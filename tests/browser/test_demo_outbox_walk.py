import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from followups.dispatch import dispatch
from followups.models import FollowUp
from messaging.models import Message
from orders.models import Order
from reviews.models import Review
from shop.i18n import format_day
from shop.models import ShopProfile
from tests.factories import ProductFactory, VariantFactory

pytestmark = pytest.mark.browser

BUYER_EMAIL = "newcomer@example.com"


def _follow_up_row(owner_page, kind_label):
    rows = owner_page.locator("#follow-ups tbody tr")
    return rows.filter(has=owner_page.locator("td:first-child", has_text=kind_label))


def test_newcomer_walks_the_demo_outbox_from_delivery_to_a_published_review(
    live_server, page, owner, sign_in, settings
):
    # The demo's wiring: emails kept for /outbox/, links to this server, short delays.
    settings.DEBUG = True
    settings.EMAIL_BACKEND = "messaging.backends.DemoBackend"
    settings.SITE_URL = live_server.url
    settings.FOLLOWUP_CARE_CHECK_MINUTES = 0
    settings.FOLLOWUP_REVIEW_REQUEST_MINUTES = 0
    settings.FOLLOWUP_REMINDER_MINUTES = 60

    shop = ShopProfile.load()
    product = ProductFactory(name="Linen Shirt", slug="linen-shirt")
    VariantFactory(product=product, size="M", colour="Navy", stock=3)
    product_url = f"{live_server.url}{product.get_absolute_url()}"

    # The newcomer, as a guest, buys one shirt.
    page.goto(product_url)
    radio = page.get_by_role("radio", name="Navy M", exact=True)
    page.locator("label.size-opt").filter(has=radio).click()
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("#add-result").get_by_role("status")).to_have_text(
        re.compile(r"^Added Linen Shirt \(M, Navy\)\.")
    )
    page.locator("#cart-link").click()
    page.get_by_role("link", name="Check out").click()
    expect(page).to_have_url(f"{live_server.url}/checkout/")
    page.get_by_label("Email (optional)").fill(BUYER_EMAIL)
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
    page.get_by_role("button", name=re.compile(r"^Place order")).click()
    page.wait_for_url("**/checkout/thanks/*/")
    order = Order.objects.get()
    expect(page.locator("#order-number")).to_have_text(order.number)

    owner_context = page.context.browser.new_context()
    try:
        # The owner ships and delivers; delivery plans the three follow-ups.
        owner_page = owner_context.new_page()
        sign_in(owner_page, owner)
        owner_page.goto(f"{live_server.url}/manage/orders/")
        owner_page.locator("#order-table").get_by_role("link", name=order.number).click()
        order_url = f"{live_server.url}/manage/orders/{order.pk}/"
        expect(owner_page).to_have_url(order_url)
        owner_page.get_by_label("Carrier", exact=True).select_option("sf")
        owner_page.get_by_label("Tracking number").fill("SF1234567890123")
        owner_page.get_by_role("button", name="Mark shipped and email the buyer").click()
        expect(owner_page.locator("#messages .flash-success")).to_have_text(
            "Marked shipped; the buyer is emailed."
        )
        owner_page.get_by_role("button", name="Mark delivered").click()
        expect(owner_page.locator("#messages .flash-success")).to_have_text("Marked delivered.")

        expect(owner_page.locator("#follow-ups tbody tr")).to_have_count(3)
        for kind in ("Care check", "Review request", "Review reminder"):
            row = _follow_up_row(owner_page, kind)
            expect(row).to_have_count(1)
            expect(row.locator("td").nth(2)).to_have_text("Planned")
            expect(row.locator("td").nth(3)).to_have_text("—")

        order.refresh_from_db()
        assert order.status == Order.Status.DELIVERED
        rows = {r.kind: r for r in FollowUp.objects.filter(order=order)}
        assert {k: r.due_at - order.delivered_at for k, r in rows.items()} == {
            FollowUp.Kind.CARE_CHECK: timedelta(0),
            FollowUp.Kind.REVIEW_REQUEST: timedelta(0),
            FollowUp.Kind.REMINDER: timedelta(minutes=60),
        }
        assert {r.email for r in rows.values()} == {BUYER_EMAIL}

        # In the demo, Celery beat runs the dispatcher every minute; here the test runs it
        # at that moment instead (eager Celery has no beat).
        result = dispatch()
        assert (result.sent, result.skipped, result.failed) == (2, 0, 0)

        # The newcomer opens the demo outbox: newest first, every email to them (the review
        # request, due with the care check, is sent first).
        page.goto(f"{live_server.url}/outbox/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Demo outbox")
        emails = page.locator("#outbox li.outbox-email")
        expect(emails.locator(".subject")).to_have_text(
            [
                f"Did your order {order.number} arrive well?",
                f"How do you find your garments from {shop.name}?",
                f"Order {order.number} was delivered",
                f"Order {order.number} is on its way",
                f"Order {order.number} received",
            ]
        )
        for email in emails.all():
            expect(email).to_contain_text(f"to {BUYER_EMAIL}")
        assert Message.objects.count() == 5
        # The follow-ups are messaging's rows like the order's emails, sent by its channel.
        assert sorted(
            Message.objects.filter(kind__startswith="followup.").values_list("kind", "state")
        ) == [("followup.care_check", "sent"), ("followup.review_request", "sent")]

        # The care check: links are shown relative to this server.
        care_link = page.locator("#outbox a[href*='/reviews/care/']")
        expect(care_link).to_have_count(1)
        expect(care_link).to_have_attribute("href", re.compile(r"^/reviews/care/[^/]+/$"))
        care_link.click()
        page.wait_for_url("**/reviews/care/*/")
        expect(page.get_by_role("heading", level=1)).to_have_text(
            f"How did order {order.number} arrive?"
        )
        expect(page.get_by_role("button", name="All good")).to_be_visible()
        expect(page.get_by_role("button", name="There is a problem")).to_be_visible()
        page.get_by_role("button", name="All good").click()
        expect(page.locator("#messages .flash-success")).to_have_text(
            "Thank you! We are glad it arrived well."
        )
        expect(page.locator("#care-answer")).to_have_text("You told us all is good. Thank you!")
        expect(page.get_by_role("button", name="All good")).to_have_count(0)

        # Back to the outbox: the review request's link.
        page.goto(f"{live_server.url}/outbox/")
        review_link = page.locator("#outbox a[href*='/reviews/write/']")
        expect(review_link).to_have_count(1)
        expect(review_link).to_have_attribute("href", re.compile(r"^/reviews/write/[^/]+/$"))
        review_link.click()
        page.wait_for_url("**/reviews/write/*/")
        expect(page.get_by_role("heading", level=1)).to_have_text(
            f"Review your order {order.number}"
        )
        line = order.lines.get()
        section = page.locator(f"#line-{line.pk}")
        for name in ("5★", "True to size"):
            inner = page.get_by_role("radio", name=name, exact=True)
            section.locator("label.size-opt").filter(has=inner).click()
            expect(section.get_by_role("radio", name=name, exact=True)).to_be_checked()
        section.get_by_label("Title").fill("Fits like my old favourite")
        section.get_by_label("Your review").fill("Soft linen, neat seams, true to size.")
        page.get_by_role("button", name="Publish my reviews").click()
        expect(page.locator("#messages .flash-success")).to_have_text(
            "Thank you: your review is published."
        )
        review = Review.objects.get(order_line=line)
        assert (review.rating, review.fit, review.status) == (5, "true", "published")

        page.goto(product_url)
        items = page.locator("#review-list li.review")
        expect(items).to_have_count(1)
        expect(items.first).to_contain_text("Fits like my old favourite")
        expect(items.first).to_contain_text("Verified purchase")
        expect(items.first).to_contain_text("bought M, Navy")

        # The owner sees what the loop did; the reminder is still waiting for its time.
        owner_page.reload()
        care = _follow_up_row(owner_page, "Care check")
        expect(care.locator("td").nth(2)).to_have_text(re.compile(r"^Sent "))
        expect(care.locator("td").nth(3)).to_have_text("All good")
        request = _follow_up_row(owner_page, "Review request")
        expect(request.locator("td").nth(2)).to_have_text(re.compile(r"^Sent "))
        reminder = _follow_up_row(owner_page, "Review reminder")
        expect(reminder.locator("td").nth(2)).to_have_text("Planned")
        reminder_due = timezone.localtime(rows[FollowUp.Kind.REMINDER].due_at)
        expect(reminder.locator("td").nth(1)).to_have_text(
            format_day(reminder_due, "short_datetime", "en")
        )

        # An hour later the dispatcher reaches the reminder: the review stops it.
        result = dispatch(now=timezone.now() + timedelta(minutes=61))
        assert (result.sent, result.skipped, result.failed) == (0, 1, 0)
        reminder_row = FollowUp.objects.get(order=order, kind=FollowUp.Kind.REMINDER)
        assert (reminder_row.state, reminder_row.skip_reason, reminder_row.sent_at) == (
            FollowUp.State.SKIPPED,
            "already reviewed",
            None,
        )
        assert Message.objects.count() == 5
        owner_page.reload()
        expect(reminder.locator("td").nth(2)).to_have_text(re.compile(r"^Skipped"))
        expect(reminder.locator("td").nth(2)).to_contain_text("already reviewed")
    finally:
        owner_context.close()

    # The outbox exists in the demo only.
    settings.DEBUG = False
    response = page.goto(f"{live_server.url}/outbox/")
    assert response.status == 404
