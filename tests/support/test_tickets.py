import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from followups.models import FollowUp
from support import services
from support.models import CannedReply, SatisfactionAnswer, Ticket, TicketMessage
from support.selectors import inbox

from ..factories import VariantFactory, image_upload
from ..followups.helpers import dispatch_and_send as dispatch  # its emails sent on commit
from ..orders.helpers import place

pytestmark = pytest.mark.django_db


def open_simple(**kw):
    defaults = {
        "email": "mei@example.com",
        "name": "Mei Chen",
        "topic": "size",
        "body": "The M is too small.",
    }
    return services.open_ticket(**{**defaults, **kw})


def test_customer_opens_ticket_from_tracking_page_with_a_photo(client, on_commit, support_user):
    order = place({VariantFactory(stock=3): 1})
    url = reverse("support:new") + f"?order={order.tracking_token}"
    page = client.get(url).content.decode()
    assert order.number in page and 'value="buyer@example.com"' in page
    with on_commit():
        response = client.post(
            url,
            {
                "email": "buyer@example.com",
                "name": "Mei Chen",
                "topic": "defect",
                "body": "A seam came open.",
                "photos": [image_upload("seam.jpg")],
                "order_token": order.tracking_token,
            },
        )
    ticket = Ticket.objects.get()
    assert response["Location"] == ticket.get_absolute_url()
    assert (
        ticket.order == order and ticket.topic == "defect" and ticket.number == f"T-{ticket.pk:06d}"
    )
    assert ticket.messages.get().attachments.count() == 1
    to_customer = [m for m in mail.outbox if m.to == ["buyer@example.com"]]
    assert len(to_customer) == 1 and ticket.get_absolute_url() in to_customer[0].body
    assert any(support_user.email in m.to for m in mail.outbox)  # staff are told


def test_contact_page_attaches_a_typed_order_for_staff_only_when_number_matches_email(client):
    order = place({VariantFactory(stock=3): 1})
    data = {
        "email": "someone@else.com",
        "name": "X",
        "topic": "delivery",
        "body": "Where is it?",
        "order_number": order.number,
    }
    response = client.post(reverse("support:new"), data)
    # No "we found no order": the answer is the one a right number gets (tests/support/
    # test_contact_proof.py compares them whole).
    first = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == first.get_absolute_url()
    assert first.order is None and first.order_number_given == order.number
    client.post(reverse("support:new"), {**data, "email": "buyer@example.com"})
    second = Ticket.objects.exclude(pk=first.pk).get()
    assert second.order == order and second.order_proven is False


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("body", "   ", "Write a message first"),
        ("email", "nope", "valid email"),
        ("topic", "refund-me", "Select a valid choice"),
    ],
)
def test_bad_contact_input_writes_nothing(client, field, value, message):
    data = {"email": "a@example.com", "name": "A", "topic": "other", "body": "Hello", field: value}
    response = client.post(reverse("support:new"), data)
    assert response.status_code == 422 and message in response.content.decode()
    assert not Ticket.objects.exists()


def test_non_image_attachment_is_refused(client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {
        "email": "a@example.com",
        "name": "A",
        "topic": "other",
        "body": "Hello",
        "photos": [SimpleUploadedFile("x.jpg", b"text", "image/jpeg")],
    }
    response = client.post(reverse("support:new"), data)
    assert response.status_code == 422 and "not an image" in response.content.decode()
    assert not Ticket.objects.exists()


def test_wrong_ticket_token_is_404(client):
    open_simple()
    assert client.get(reverse("support:thread", args=["not-the-token"])).status_code == 404
    assert (
        client.post(
            reverse("support:thread", args=["not-the-token"]), {"body": "hi", "nonce": "n"}
        ).status_code
        == 404
    )


def test_internal_note_never_reaches_the_customer(client, support_user, on_commit):
    with on_commit():
        ticket = open_simple()
        services.add_internal_note(
            ticket, "SECRET: customer is a regular, be generous", acting_user=support_user
        )
        services.reply_to_ticket(ticket, "We will send a size L today.", acting_user=support_user)
    page = client.get(ticket.get_absolute_url()).content.decode()
    assert "We will send a size L today." in page
    assert "SECRET" not in page
    for message in mail.outbox:
        assert "SECRET" not in message.body
        assert all("SECRET" not in alt[0] for alt in message.alternatives)
    assert any("size L" in m.body for m in mail.outbox if m.to == ["mei@example.com"])
    with pytest.raises(ValueError):
        from support.emails import build_ticket_email

        build_ticket_email(ticket, "staff_reply", ticket.messages.get(internal=True))


def test_first_response_and_resolution_recorded_once(support_user):
    ticket = open_simple()
    services.reply_to_ticket(ticket, "First answer", acting_user=support_user)
    ticket.refresh_from_db()
    first = ticket.first_response_at
    assert first is not None and ticket.status == Ticket.Status.WAITING
    services.reply_to_ticket(ticket, "Second answer", acting_user=support_user)
    ticket.refresh_from_db()
    assert ticket.first_response_at == first
    services.resolve_ticket(ticket, acting_user=support_user)
    ticket.refresh_from_db()
    resolved = ticket.resolved_at
    assert resolved is not None
    with pytest.raises(services.TicketError):
        services.resolve_ticket(ticket, acting_user=support_user)
    ticket.refresh_from_db()
    assert ticket.resolved_at == resolved


def test_customer_reply_reopens_a_resolved_ticket_and_double_post_makes_one(client, support_user):
    ticket = open_simple()
    services.resolve_ticket(ticket, acting_user=support_user)
    page = client.get(ticket.get_absolute_url()).content.decode()
    nonce = re.search(r'name="nonce" value="([^"]+)"', page).group(1)
    client.post(ticket.get_absolute_url(), {"body": "Still too small!", "nonce": nonce})
    client.post(ticket.get_absolute_url(), {"body": "Still too small!", "nonce": nonce})
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN and ticket.resolved_at is None
    assert ticket.messages.filter(body="Still too small!").count() == 1
    assert not SatisfactionAnswer.objects.filter(ticket=ticket).exists()


def test_empty_reply_is_refused(client):
    ticket = open_simple()
    response = client.post(ticket.get_absolute_url(), {"body": "  ", "nonce": "abc"})
    assert response.status_code == 422
    assert ticket.messages.count() == 1


def test_customer_closes_and_then_cannot_reply(client):
    ticket = open_simple()
    client.post(ticket.get_absolute_url(), {"close": "1"})
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CLOSED
    with pytest.raises(services.TicketError):
        services.reply_to_ticket(ticket, "hello?")


def test_overdue_marking_with_a_frozen_clock(support_user, settings):
    settings.SUPPORT_TARGETS = {**settings.SUPPORT_TARGETS, "normal": (24, 72), "high": (4, 24)}
    ticket = open_simple()
    opened = ticket.created_at
    assert not ticket.is_overdue(now=opened + timedelta(hours=23))
    assert ticket.is_overdue(now=opened + timedelta(hours=25))
    assert list(inbox("overdue", user=support_user, now=opened + timedelta(hours=25))) == [ticket]
    assert list(inbox("overdue", user=support_user, now=opened + timedelta(hours=23))) == []
    services.reply_to_ticket(ticket, "On it", acting_user=support_user)
    ticket.refresh_from_db()
    assert not ticket.is_overdue(now=opened + timedelta(hours=25))
    assert ticket.is_overdue(now=opened + timedelta(hours=73))  # resolution target missed
    services.set_priority(ticket, "high", acting_user=support_user)
    ticket.refresh_from_db()
    assert ticket.is_overdue(now=opened + timedelta(hours=25))


def test_canned_reply_variables():
    order = place({VariantFactory(stock=3): 1})
    proven = open_simple(order=order, order_proven=True, name="Mei Chen")
    text = services.render_canned(
        "Hi {customer_name}, order {order_number} ({ticket_number}) {unknown} {tracking_link}",
        proven,
    )
    # No tracking link any more: staff never hold the buyer's links, so it stays as typed.
    assert text == f"Hi Mei, order {order.number} ({proven.number}) {{unknown}} {{tracking_link}}"
    assert services.render_canned("Hi {customer_name}", open_simple()) == "Hi Mei"
    # A typed number proves nothing: the reply must not tell the opener it is a real order.
    unproven = open_simple(order=order, name="Mei Chen")
    assert services.render_canned("order {order_number}", unproven) == "order {order_number}"


def test_satisfaction_question_sent_once_after_the_delay_and_get_changes_nothing(
    client, support_user, settings
):
    settings.FOLLOWUP_SATISFACTION_MINUTES = 60
    ticket = open_simple()
    services.resolve_ticket(ticket, acting_user=support_user)
    row = FollowUp.objects.get(ticket=ticket, kind="satisfaction")
    assert row.state == "planned" and row.due_at > timezone.now() + timedelta(minutes=59)
    mail.outbox.clear()
    assert dispatch().sent == 0  # not due yet
    FollowUp.objects.update(due_at=timezone.now() - timedelta(minutes=1))
    assert dispatch().sent == 1
    assert dispatch().sent == 0
    [email] = mail.outbox
    url = reverse("support:satisfaction", args=[ticket.token])
    assert url in email.body and email.to == ["mei@example.com"]
    client.get(url)
    assert SatisfactionAnswer.objects.get().answered_at is None
    client.post(url, {"solved": "no", "comment": "Still waiting"})
    answer = SatisfactionAnswer.objects.get()
    assert answer.solved is False and answer.comment == "Still waiting"
    client.post(url, {"solved": "yes"})
    assert SatisfactionAnswer.objects.get().solved is False  # the first answer stands


def test_satisfaction_question_skipped_when_the_ticket_reopens(support_user, settings):
    settings.FOLLOWUP_SATISFACTION_MINUTES = 0
    ticket = open_simple()
    services.resolve_ticket(ticket, acting_user=support_user)
    services.reply_to_ticket(ticket, "It broke again")  # the customer's reply reopens it
    mail.outbox.clear()
    dispatch()
    row = FollowUp.objects.get(ticket=ticket)
    assert row.state == "skipped" and "reopened" in row.skip_reason
    assert not [m for m in mail.outbox if "solved" in m.subject.lower()]


def test_staff_inbox_roles_and_views(client, customer, support_user, owner):
    mine = open_simple(name="Mine")
    services.assign_ticket(mine, support_user, acting_user=support_user)
    unassigned = open_simple(name="Nobody's", email="li@example.com")
    anon = Client()
    assert anon.get(reverse("support_manage:ticket_list")).status_code == 302
    client.force_login(customer)
    assert client.get(reverse("support_manage:ticket_list")).status_code == 403
    assert client.get(reverse("support_manage:ticket_detail", args=[mine.pk])).status_code == 403
    assert (
        client.post(reverse("support_manage:ticket_action", args=[mine.pk, "resolve"])).status_code
        == 403
    )
    client.force_login(support_user)
    html = client.get(
        reverse("support_manage:ticket_list"), {"view": "unassigned"}
    ).content.decode()
    assert unassigned.number in html and mine.number not in html
    html = client.get(reverse("support_manage:ticket_list"), {"view": "mine"}).content.decode()
    assert mine.number in html and unassigned.number not in html
    html = client.get(
        reverse("support_manage:ticket_list"),
        {"view": "all", "q": "li@example"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert (
        html.lstrip().startswith('<div id="inbox"')
        and 'hx-trigger="every 15s"' in html
        and "view=all" in html
    )
    assert unassigned.number in html and mine.number not in html
    # Support is kept out of the Owner's pages.
    assert client.get(reverse("shop_manage:product_list")).status_code == 403
    assert client.get(reverse("shop_manage:shop_profile")).status_code == 403
    client.force_login(owner)
    assert client.get(reverse("support_manage:ticket_list")).status_code == 200


def test_staff_reply_note_assign_resolve_through_the_page(client, support_user, on_commit):
    ticket = open_simple()
    CannedReply.objects.create(title="Exchange", body="Hello {customer_name}, we will exchange it.")
    client.force_login(support_user)
    url = reverse("support_manage:ticket_detail", args=[ticket.pk])
    page = client.get(url, {"canned": CannedReply.objects.get().pk}).content.decode()
    assert "Hello Mei, we will exchange it." in page
    nonce = re.search(r'name="nonce" value="([^"]+)"', page).group(1)
    with on_commit():
        client.post(url, {"body": "Hello Mei, we will exchange it.", "nonce": nonce})
        client.post(url, {"body": "Hello Mei, we will exchange it.", "nonce": nonce})  # double post
        client.post(url, {"body": "Check stock of L first", "internal": "on", "nonce": "note-1"})
    assert ticket.messages.filter(author_kind="staff", internal=False).count() == 1
    assert ticket.messages.filter(internal=True, body="Check stock of L first").exists()
    client.post(
        reverse("support_manage:ticket_action", args=[ticket.pk, "assign"]), {"assignee": "me"}
    )
    client.post(reverse("support_manage:ticket_action", args=[ticket.pk, "resolve"]))
    ticket.refresh_from_db()
    assert ticket.assignee == support_user and ticket.status == Ticket.Status.RESOLVED
    customer_page = Client().get(ticket.get_absolute_url()).content.decode()
    assert "Check stock of L first" not in customer_page and "we will exchange it" in customer_page


def test_staff_cancels_an_unshipped_order_from_the_ticket(client, support_user):
    variant = VariantFactory(stock=3)
    order = place({variant: 2})
    ticket = open_simple(order=order)
    client.force_login(support_user)
    client.post(
        reverse("support_manage:ticket_action", args=[ticket.pk, "cancel-order"]),
        {"reason": "Wrong size ordered"},
    )
    order.refresh_from_db()
    variant.refresh_from_db()
    assert (
        order.status == "cancelled"
        and order.cancel_reason == "Wrong size ordered"
        and variant.stock == 3
    )
    assert ticket.messages.filter(internal=True, body__contains=order.number).exists()


def test_an_order_is_cancelled_from_a_ticket_only_with_its_note(client, support_user, monkeypatch):
    """One transaction: when the note cannot be written, the order is not cancelled either."""
    variant = VariantFactory(stock=3)
    order = place({variant: 2})
    ticket = open_simple(order=order)
    notes = ticket.messages.filter(internal=True).count()

    def refuse(*args, **kwargs):
        raise services.TicketError("The note was refused.")

    monkeypatch.setattr(services, "add_internal_note", refuse)
    client.force_login(support_user)
    response = client.post(
        reverse("support_manage:ticket_action", args=[ticket.pk, "cancel-order"]),
        {"reason": "Wrong size ordered"},
    )
    assert response.status_code == 409 and "The note was refused." in response.content.decode()
    order.refresh_from_db()
    variant.refresh_from_db()
    assert (order.status, variant.stock) == ("placed", 1)
    assert ticket.messages.filter(internal=True).count() == notes


def test_the_ticket_page_shows_this_customers_reviews_only(client, support_user):
    from dataclasses import replace

    from ..orders.helpers import BUYER
    from ..reviews.helpers import delivered_order, review

    theirs = review(delivered_order().lines.first(), title="Soft linen")
    other = place({VariantFactory(stock=2): 1}, buyer=replace(BUYER, email="li@example.com"))
    ticket = open_simple(email=theirs.order_line.order.email)
    client.force_login(support_user)
    page = client.get(ticket.get_manage_url()).content.decode()
    card = page[page.index("This customer") :]
    assert f'href="{theirs.product.get_absolute_url()}#review-{theirs.pk}"' in card
    assert "5★ Soft linen" in card
    assert other.number not in card
    stranger = open_simple(email="li@example.com")
    card = client.get(stranger.get_manage_url()).content.decode()
    assert "Soft linen" not in card


def test_care_check_ticket_has_the_order_and_high_priority():
    order = place({VariantFactory(stock=3): 1})
    ticket = services.open_ticket_from_care_check(order)
    assert (ticket.order, ticket.source, ticket.priority, ticket.email) == (
        order,
        "care_check",
        "high",
        order.email,
    )
    assert TicketMessage.objects.filter(ticket=ticket).count() == 1


def test_ticket_resolved_signal_inside_transaction(support_user):
    from django.db import connection

    from support.signals import ticket_resolved

    seen = []

    def receiver(sender, ticket, **kwargs):
        seen.append((ticket.pk, connection.in_atomic_block))

    ticket_resolved.connect(receiver)
    try:
        ticket = open_simple()
        services.resolve_ticket(ticket, acting_user=support_user)
    finally:
        ticket_resolved.disconnect(receiver)
    assert seen == [(ticket.pk, True)]


def test_staff_ticket_page_opens_after_system_notes(client, support_user):
    # Regression: notes with no author (assign, resolve) made the staff page a 500.
    ticket = open_simple()
    services.assign_ticket(ticket, support_user, acting_user=support_user)
    services.resolve_ticket(ticket, acting_user=support_user)
    client.force_login(support_user)
    response = client.get(reverse("support_manage:ticket_detail", args=[ticket.pk]))
    assert response.status_code == 200
    assert "Assigned to" in response.content.decode() and "Resolved by" in response.content.decode()


def test_inbox_search_by_number_email_name_and_order(support_user, monkeypatch):
    variant = VariantFactory(stock=10)
    order = place({variant: 1})
    with_order = open_simple(email="lin@example.com", name="Lin Wu", order=order)
    other = open_simple(email="mei@example.com", name="Mei Chen")

    def found(q):
        return set(inbox("all", user=support_user, q=q))

    assert found(with_order.number.lower()) == {with_order}  # numbers typed in lower case
    assert found("LIN@EXAMPLE") == {with_order}
    assert found("chen") == {other}
    assert found(order.number[-4:]) == {with_order}
    assert found("nobody") == set()
    # More matching orders than are looked up first: the slower form gives the same answer.
    monkeypatch.setattr("support.selectors.ORDER_IDS", 0)
    assert found(order.number[-4:]) == {with_order}


def test_inbox_figures_are_cached_until_a_ticket_changes(
    client, support_user, django_capture_on_commit_callbacks
):
    from support.selectors import inbox_figures

    with django_capture_on_commit_callbacks(execute=True):
        ticket = open_simple()
    assert inbox_figures(support_user)["counts"]["mine"] == 0
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert inbox_figures(support_user)["counts"]["unassigned"] == 1
    assert len(ctx) == 0  # read from the cache
    with django_capture_on_commit_callbacks(execute=True):
        services.assign_ticket(ticket, support_user, acting_user=support_user)
    figures = inbox_figures(support_user)["counts"]
    assert (figures["mine"], figures["unassigned"]) == (1, 0)
