"""Ticket messages, rendered and queued through messaging with the change they tell about: to
the customer by email, or by SMS when the ticket is about an order whose buyer is reached by
SMS (`reach`); to staff always by email."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q

from accounts.models import OWNER, SUPPORT
from messaging.links import short_url, shorten
from messaging.models import Message
from messaging.render import Rendered, Templates, render, render_sms
from messaging.services import queue_message
from orders.emails import Reach
from orders.emails import reach as reach_order
from shop.models import ShopProfile

from .models import Ticket, TicketMessage

CUSTOMER_KINDS = {"opened", "staff_reply", "resolved"}
STAFF_KINDS = {"staff_new", "staff_customer_reply"}


def staff_recipients(ticket: Ticket) -> list[str]:
    if ticket.assignee_id and ticket.assignee.email:
        return [ticket.assignee.email]
    if settings.SUPPORT_NOTIFY_EMAILS:
        return list(settings.SUPPORT_NOTIFY_EMAILS)
    users = (
        get_user_model().objects.filter(is_active=True).filter(Q(groups__name__in=[SUPPORT, OWNER]))
    )
    return sorted(set(users.values_list("email", flat=True)))


def reach(ticket: Ticket) -> Reach:
    """Where the customer's messages about `ticket` go: by SMS to the order's phone when the
    ticket is about an order whose buyer is reached by SMS and was not opened with an email
    address (the care check's "problem" answered from an SMS, a buyer who gave no email);
    a ticket opened with an email address stays on email."""
    if ticket.order_id:
        order = reach_order(ticket.order)
        if order.by_sms and (ticket.source == Ticket.Source.CARE_CHECK or not ticket.email):
            return order
    return Reach("email", ticket.email)


def build_ticket_sms(ticket: Ticket, kind: str) -> Rendered:
    """The customer's SMS of `kind`: the ticket's number and a short link to its page, in the
    ticket's language. The short link is saved in the caller's transaction."""
    if kind not in CUSTOMER_KINDS:
        raise ValueError(f"unknown customer ticket message {kind!r}")
    link = shorten(settings.SITE_URL.rstrip("/") + ticket.get_absolute_url())
    number = ticket.number or ""
    return render_sms(
        f"support/sms/{kind}.txt",
        {"ticket": ticket, "number": number, "link": short_url(link)},
        language=ticket.language,
        params={"number": number, "code": link.code},
    )


def recipients(ticket: Ticket, kind: str) -> list[str]:
    """Who gets the `kind` email: the customer, or staff (maybe nobody)."""
    if kind in CUSTOMER_KINDS:
        return [ticket.email]
    if kind in STAFF_KINDS:
        return staff_recipients(ticket)
    raise ValueError(f"unknown ticket email {kind!r}")


def build_ticket_email(ticket: Ticket, kind: str, message: TicketMessage | None) -> Rendered:
    """The email of `kind` about `ticket`: in the ticket's language to the customer, in the
    shop's to staff.

    Refuses (ValueError) to build a customer email around an internal note, or an unknown kind.
    """
    if message is not None and message.internal and kind in CUSTOMER_KINDS:
        raise ValueError("internal notes are never emailed to customers")
    shop = ShopProfile.load()
    site = settings.SITE_URL.rstrip("/")
    context = {"ticket": ticket, "message": message, "shop": shop}
    if kind in CUSTOMER_KINDS:
        context["thread_url"] = site + ticket.get_absolute_url()
    elif kind in STAFF_KINDS:
        # Staff get the staff page only: the ticket's token is the customer's capability.
        context["manage_url"] = site + ticket.get_manage_url()
    else:
        raise ValueError(f"unknown ticket email {kind!r}")
    # Every kind has an HTML template of its own, rendered with autoescaping: the plain text
    # is never pasted into HTML, where a name or a reply would become markup. The customer
    # reads the ticket's language; staff the shop's, whoever wrote in which.
    return render(
        Templates.of(f"support/email/{kind}"),
        context,
        language=ticket.language if kind in CUSTOMER_KINDS else settings.LANGUAGE_CODE,
        sender_name=shop.name,
    )


def queue_ticket_email(
    ticket: Ticket, kind: str, message: TicketMessage | None = None
) -> list[Message]:
    """Record the `kind` message to each recipient in the current transaction (none when there
    is nobody to tell); each is sent once, after commit. The customer's goes where
    `reach(ticket)` says (an SMS carries no reply text: a link to the ticket's page)."""
    if message is not None and message.internal and kind in CUSTOMER_KINDS:
        raise ValueError("internal notes are never emailed to customers")
    if kind in CUSTOMER_KINDS and (to_customer := reach(ticket)).by_sms:
        return [
            queue_message(
                build_ticket_sms(ticket, kind),
                to=to_customer.address,
                kind=f"ticket.{kind}",
                key=f"ticket:{ticket.pk}:{kind}:{message.pk if message else ''}:{to_customer.address}",
                about="ticket",
                about_id=ticket.pk,
                channel="sms",
            )
        ]
    to = recipients(ticket, kind)
    if not to:
        return []
    rendered = build_ticket_email(ticket, kind, message)
    return [
        queue_message(
            rendered,
            to=address,
            kind=f"ticket.{kind}",
            key=f"ticket:{ticket.pk}:{kind}:{message.pk if message else ''}:{address.lower()}",
            about="ticket",
            about_id=ticket.pk,
        )
        for address in to
    ]
