import pytest
from django.core import mail
from playwright.sync_api import expect

from shop.models import ShopProfile
from support.models import CannedReply, Ticket, TicketMessage
from tests.factories import VariantFactory, image_bytes
from tests.orders.helpers import BUYER, place

pytestmark = pytest.mark.browser

PROBLEM = "The seam on the left sleeve came apart after one wash."
NOTE = "Regular buyer, add a gift"
ANSWER = "Thank you, L please"


def _email_texts(message):
    """The plain body and every alternative (the HTML part) of one sent email."""
    return [message.subject, message.body, *(content for content, _ in message.alternatives)]


def test_customer_ticket_with_photo_staff_canned_reply_and_note_then_resolve(
    live_server, page, support_user, sign_in, tmp_path
):
    ShopProfile.load()
    order = place({VariantFactory(size="M", colour="Navy", stock=5): 1})
    assert (order.email, order.name) == (BUYER.email.lower(), "Mei Chen")
    CannedReply.objects.create(
        title="Exchange", body="Hello {customer_name}, we will exchange order {order_number}."
    )
    canned_text = f"Hello Mei, we will exchange order {order.number}."
    photo = tmp_path / "torn-seam.jpg"
    photo.write_bytes(image_bytes(size=(300, 400)))

    # The buyer goes from the tracking page to the contact form, with the order attached.
    page.goto(f"{live_server.url}{order.get_absolute_url()}")
    help_link = page.locator("#help-link")
    expect(help_link).to_have_text("Tell us about this order")
    help_link.click()
    page.wait_for_url(f"{live_server.url}/support/new/?order={order.tracking_token}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tell us what is wrong")
    expect(page.get_by_text(f"About order {order.number}: it is attached")).to_be_visible()
    expect(page.get_by_label("Email", exact=True)).to_have_value("buyer@example.com")
    expect(page.get_by_label("Name", exact=True)).to_have_value("Mei Chen")
    expect(page.get_by_label("Order number (optional)")).to_have_count(0)
    page.get_by_label("Topic").select_option(label="Defect")
    page.get_by_label("Your message").fill(PROBLEM)
    page.locator("input[name=photos]").set_input_files(photo)
    page.get_by_role("button", name="Send", exact=True).click()

    page.wait_for_url(f"{live_server.url}/support/*/")
    ticket = Ticket.objects.get()
    thread_url = f"{live_server.url}{ticket.get_absolute_url()}"
    assert page.url == thread_url
    assert (ticket.order_id, ticket.topic, ticket.email, ticket.name) == (
        order.pk,
        Ticket.Topic.DEFECT,
        "buyer@example.com",
        "Mei Chen",
    )
    expect(page.locator("#messages .flash-success")).to_contain_text("Thank you.")
    expect(page.locator("#ticket-status")).to_have_text("Open")
    messages = page.locator("#thread > li")
    expect(messages).to_have_count(1)
    expect(messages.first).to_contain_text(PROBLEM)
    img = messages.first.locator(".review-photos img")
    expect(img).to_have_count(1)
    img.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle())

    # Support, in a browser context of their own, takes the ticket and answers it.
    staff_context = page.context.browser.new_context()
    try:
        staff = staff_context.new_page()
        sign_in(staff, support_user)
        staff.goto(f"{live_server.url}/manage/tickets/")
        expect(staff.locator("#view")).to_have_value("unassigned")
        expect(staff.locator("#inbox .manage-nav a[aria-current=page]")).to_have_text(
            "Unassigned (1)"
        )
        rows = staff.locator("#inbox tr.ticket-row")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text(PROBLEM)
        expect(rows.first).to_contain_text(order.number)
        rows.first.get_by_role("link", name=ticket.number, exact=True).click()
        manage_url = f"{live_server.url}{ticket.get_manage_url()}"
        staff.wait_for_url(manage_url)
        expect(staff.locator("#ticket-order")).to_contain_text(f"Order {order.number}")
        expect(staff.locator("#thread")).to_contain_text(PROBLEM)

        staff.get_by_role("button", name="Take it", exact=True).click()
        staff.wait_for_load_state()
        expect(staff.locator("#messages .flash-success")).to_have_text("Done.")
        assert staff.url == manage_url
        expect(staff.get_by_role("button", name="Take it", exact=True)).to_have_count(0)
        expect(staff.locator("#assignee")).to_have_value(str(support_user.pk))

        # The canned reply is filled in for this ticket and inserted in place.
        staff.evaluate("window.__marker = 1")
        body = staff.locator("#id_body")
        expect(body).to_have_value("")
        staff.locator(".canned").get_by_role("link", name="Exchange", exact=True).click()
        expect(body).to_have_value(canned_text)
        assert staff.evaluate("window.__marker") == 1, "inserting a canned reply reloaded the page"
        assert staff.url == manage_url
        reply_form = staff.locator("#reply-form")
        reply_form.get_by_role("button", name="Send", exact=True).click()
        expect(staff.locator("#messages .flash-success")).to_have_text(
            "Reply sent to buyer@example.com."
        )
        expect(staff.locator("#ticket-status")).to_have_text("Waiting on customer")
        expect(staff.locator("#thread > li.from-staff:not(.internal)")).to_contain_text(
            [canned_text]
        )

        # An internal note for colleagues only.
        body.fill(NOTE)
        staff.get_by_label("Internal note").check()
        reply_form.get_by_role("button", name="Send", exact=True).click()
        expect(staff.locator("#messages .flash-success")).to_have_text("Note added (staff only).")
        expect(staff.locator("#thread > li.internal").filter(has_text=NOTE)).to_have_count(1)
        expect(staff.get_by_label("Internal note")).not_to_be_checked()

        # The customer reads the answer, never the note, and answers.
        page.reload()
        expect(page.locator("#ticket-status")).to_have_text("Waiting on customer")
        expect(page.locator("#thread > li.from-staff")).to_have_count(1)
        expect(page.locator("#thread > li.from-staff")).to_contain_text(canned_text)
        expect(page.locator("body")).not_to_contain_text("add a gift")
        assert "add a gift" not in page.content()
        page.get_by_label("Your reply").fill(ANSWER)
        page.get_by_role("button", name="Send", exact=True).click()
        expect(page.locator("#messages .flash-success")).to_have_text(
            "Sent. We will answer here and by email."
        )
        assert page.url == thread_url
        expect(page.locator("#thread > li.from-customer").last).to_contain_text(ANSWER)
        expect(page.locator("#ticket-status")).to_have_text("Open")

        # Support sees the answer and resolves the ticket.
        staff.reload()
        expect(staff.locator("#thread > li.from-customer").last).to_contain_text(ANSWER)
        staff.get_by_role("button", name="Resolve", exact=True).click()
        expect(staff.locator("#messages .flash-success")).to_have_text("Done.")
        expect(staff.locator("#ticket-status")).to_have_text("Resolved")
        expect(staff.get_by_role("button", name="Reopen", exact=True)).to_be_visible()
    finally:
        staff_context.close()

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.RESOLVED
    assert ticket.first_response_at is not None
    assert ticket.resolved_at is not None
    assert ticket.assignee == support_user
    assert ticket.messages.get(internal=True, body=NOTE).author == support_user
    assert list(
        ticket.messages.filter(author_kind=TicketMessage.Author.STAFF, internal=False).values_list(
            "body", flat=True
        )
    ) == [canned_text]
    assert ticket.messages.filter(author_kind=TicketMessage.Author.CUSTOMER).count() == 2
    assert ticket.messages.get(body=PROBLEM).attachments.count() == 1

    # locmem outbox, filled by eager Celery tasks run on commit in the live server's thread.
    to_buyer = [m for m in mail.outbox if m.to == ["buyer@example.com"]]
    reply_emails = [m for m in to_buyer if canned_text in m.body]
    assert len(reply_emails) == 1, [m.subject for m in to_buyer]
    assert reply_emails[0].subject == f"[{ticket.number}] A reply from {ShopProfile.load().name}"
    leaked = [m.subject for m in mail.outbox if any("add a gift" in t for t in _email_texts(m))]
    assert leaked == [], f"the internal note was emailed: {leaked}"
