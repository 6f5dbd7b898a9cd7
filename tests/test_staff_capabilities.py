"""Staff and the owner see an order's facts, never the buyer's capabilities.

The buyer's links (tracking page, review form, care-check answer, unsubscribe) and a ticket's
private thread are capabilities: whoever holds one acts as the buyer (a support user once
published a "verified purchase" review in a buyer's name from the tracking page the ticket
page linked). Every page under /manage/ about an order, a ticket or a follow-up is fetched by
a support user and the owner, and none of these tokens may appear in it. Tokens are computed
with the real signing functions; a signed token carries a timestamp, so the part that names
the order (the signed payload) is what is looked for.
"""

from datetime import timedelta

import pytest
from django.contrib import admin
from django.core import mail
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from followups import dispatch, links
from followups import services as followup_services
from followups.models import FollowUp
from orders.models import Order
from reviews.services import review_token
from support import services as support_services
from support.emails import build_ticket_email
from support.models import CannedReply, Ticket

from .factories import VariantFactory
from .orders.helpers import place
from .reviews.helpers import delivered_order, review

pytestmark = pytest.mark.django_db


def _payload(signed: str) -> str:
    """The signed value without its timestamp and signature: the same on every signing."""
    return signed.split(":")[0]


@pytest.fixture
def world(settings, support_user, owner):
    """A delivered, reviewed order with every follow-up sent, one that failed with a link in
    its error, a ticket of each kind about it and a second order of the same buyer."""
    settings.FOLLOWUP_CAP = 10
    order = delivered_order()
    other = place({VariantFactory(stock=3): 1})  # the same buyer's second order
    FollowUp.objects.filter(order=order).update(due_at=timezone.now() - timedelta(seconds=1))
    with TestCase.captureOnCommitCallbacks(execute=True):
        dispatch.dispatch()
        care = FollowUp.objects.get(order=order, kind="care_check")
        care_ticket = followup_services.answer_care_check(care, "problem")
        proven = support_services.open_ticket(
            email=order.email,
            name=order.name,
            topic="defect",
            body="A seam came open.",
            order=order,
            order_proven=True,
        )
        unproven = support_services.open_ticket(
            email=order.email, name="Stranger", topic="other", body="Cancel it", order=order
        )
        support_services.reply_to_ticket(proven, "We are on it.", acting_user=support_user)
        support_services.reply_to_ticket(proven, "Thanks, photo attached.")
        support_services.resolve_ticket(proven, acting_user=support_user)
    review(order.lines.first())  # after the review request went out
    # A provider's error that quotes the refused message, its links included.
    review_link = settings.SITE_URL + reverse("reviews:write", args=[review_token(order)])
    FollowUp.objects.filter(order=order, kind="reminder").update(
        state="failed", attempts=5, last_error=f"AnymailAPIError: rejected body ... {review_link}"
    )
    canned = CannedReply.objects.create(
        title="Everything",
        body="{customer_name} {order_number} {tracking_link} {ticket_number} {review_link}",
    )
    secrets = {
        "tracking token": order.tracking_token,
        "other order's tracking token": other.tracking_token,
        "review token": _payload(review_token(order)),
        "care-check answer token": _payload(links.answer_token(care)),
        "unsubscribe token": _payload(links.unsubscribe_token(order.email)),
        "review form address": "/reviews/write/",
    }
    for ticket in (care_ticket, proven, unproven):
        secrets[f"thread token of {ticket.number}"] = ticket.token
    return {
        "order": order,
        "other": other,
        "tickets": [care_ticket, proven, unproven],
        "canned": canned,
        "secrets": secrets,
    }


def _manage_pages(world) -> list[str]:
    order = world["order"]
    pages = [
        reverse("shop_manage:dashboard"),
        reverse("support_manage:ticket_list") + "?view=all",
        reverse("support_manage:ticket_list") + f"?view=all&q={order.number}",
        reverse("support_manage:ticket_list") + "?view=resolved",
        reverse("support_manage:canned_list"),
        reverse("support_manage:canned_edit", args=[world["canned"].pk]),
        reverse("orders_manage:order_list"),
        reverse("orders_manage:order_export"),
        order.get_manage_url(),  # the owner's order page with its follow-ups
        world["other"].get_manage_url(),
        reverse("orders_manage:packing_slip", args=[order.pk]),
        reverse("followups:dashboard"),
        reverse("reviews_manage:review_list"),
        reverse("reputation"),
    ]
    for ticket in world["tickets"]:
        pages.append(ticket.get_manage_url())
        pages.append(ticket.get_manage_url() + f"?canned={world['canned'].pk}")
    return pages


def _leaks(text: str, secrets: dict[str, str]) -> list[str]:
    return [name for name, secret in secrets.items() if secret in text]


@pytest.mark.parametrize("who", ["support_user", "owner"])
def test_no_manage_page_holds_a_buyer_capability(client, world, who, request):
    user = request.getfixturevalue(who)
    client.force_login(user)
    fetched = 0
    for url in _manage_pages(world):
        response = client.get(url)
        if who == "support_user" and response.status_code == 403:
            continue  # an owner's page: the role matrix keeps support out
        assert response.status_code == 200, url
        assert _leaks(response.content.decode(), world["secrets"]) == [], url
        fetched += 1
    # Support reads the dashboard, the inbox, canned replies and the three tickets at least.
    assert fetched >= (len(_manage_pages(world)) if who == "owner" else 12)


def test_the_ticket_sidebar_shows_the_order_facts(client, world, support_user):
    order = world["order"]
    client.force_login(support_user)
    page = client.get(world["tickets"][1].get_manage_url()).content.decode()
    card = page[page.index('id="ticket-order"') :]
    line = order.lines.first()
    for fact in (order.number, line.product_name, line.sku, "SF1", order.city, order.postcode):
        assert fact in card
    assert "Delivered" in card and "Placed" in card
    assert "Buyer&#x27;s tracking page" not in page and "Buyer's tracking page" not in page


def test_staff_notification_emails_hold_no_buyer_capability(world):
    for ticket in world["tickets"]:
        message = ticket.messages.filter(author_kind="customer").last()
        for kind in ("staff_new", "staff_customer_reply"):
            email = build_ticket_email(ticket, kind, message)
            text = email.text + email.html
            assert _leaks(text, world["secrets"]) == [], (ticket.number, kind)
            assert ticket.get_manage_url() in text


def test_staff_emails_sent_for_real_hold_no_buyer_capability(world, support_user):
    staff_mail = [m for m in mail.outbox if support_user.email in m.to]
    assert len(staff_mail) >= 4  # three tickets opened, one customer reply
    for message in staff_mail:
        assert _leaks(message.body + message.alternatives[0][0], world["secrets"]) == []


def test_the_admin_never_shows_a_token_field():
    """No registration shows a token (none of the shop's token-bearing models is registered
    today; one that is later must exclude its tokens), nor a sent message's text, which holds
    the buyer's links (follow-ups store no token: their links are signed when sent)."""
    from messaging.models import Message

    message_admin = admin.site._registry[Message]
    assert not {"subject", "text", "html", "headers"} & set(message_admin.fields)
    assert "message" in admin.site._registry[FollowUp].exclude
    checked = 0
    for model, model_admin in admin.site._registry.items():
        tokens = {f.name for f in model._meta.get_fields() if "token" in f.name}
        if model in (Order, Ticket):
            assert tokens, model  # the guard below has something to guard
        if not tokens:
            continue
        if model_admin.fieldsets:
            shown = {name for _, options in model_admin.fieldsets for name in options["fields"]}
        elif model_admin.fields:
            shown = set(model_admin.fields)
        else:  # every field but the excluded ones
            shown = {f.name for f in model._meta.fields} - set(model_admin.exclude or ())
        shown |= set(model_admin.list_display) | set(model_admin.readonly_fields)
        shown |= set(model_admin.search_fields)
        assert not (shown & tokens), (model, shown & tokens)
        checked += 1
    assert checked == sum(m in admin.site._registry for m in (Order, Ticket))


def test_staff_cannot_reach_a_review_form_without_the_buyer_link(client, world, support_user):
    """The review form takes only the buyer's signed link: not the order's number, id or
    tracking token, nor another signed link of the buyer's (the care check's)."""
    order = world["order"]
    client.force_login(support_user)
    care = FollowUp.objects.get(order=order, kind="care_check")
    for token in (
        order.number,
        str(order.pk),
        order.tracking_token,
        links.answer_token(care),
        links.unsubscribe_token(order.email),
        world["tickets"][1].token,
    ):
        assert client.get(reverse("reviews:write", args=[token])).status_code == 400, token
        assert client.post(reverse("reviews:write", args=[token]), {}).status_code == 400
        edit = reverse("reviews:edit", args=[token, order.lines.first().review.pk])
        assert client.get(edit).status_code == 400
    # The buyer's own link still works.
    assert client.get(reverse("reviews:write", args=[review_token(order)])).status_code == 200
