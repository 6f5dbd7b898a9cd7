"""Ticket emails, rendered and queued through messaging with the change they tell about."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q

from accounts.models import OWNER, SUPPORT
from messaging.models import Message
from messaging.render import Rendered, Templates, render
from messaging.services import queue_message
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
    """Record the `kind` email to each recipient in the current transaction (none when there
    is nobody to tell); each is sent once, after commit."""
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
