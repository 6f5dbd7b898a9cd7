from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.template.loader import render_to_string

from accounts.models import OWNER, SUPPORT
from orders.emails import compose
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


def build_ticket_email(
    ticket: Ticket, kind: str, message: TicketMessage | None
) -> EmailMultiAlternatives | None:
    """The email of `kind` about `ticket`, or None when there is nobody to send it to.

    Refuses (ValueError) to build a customer email around an internal note.
    """
    if message is not None and message.internal and kind in CUSTOMER_KINDS:
        raise ValueError("internal notes are never emailed to customers")
    shop = ShopProfile.load()
    site = settings.SITE_URL.rstrip("/")
    context = {"ticket": ticket, "message": message, "shop": shop}
    if kind in CUSTOMER_KINDS:
        to = [ticket.email]
        context["thread_url"] = site + ticket.get_absolute_url()
    elif kind in STAFF_KINDS:
        # Staff get the staff page only: the ticket's token is the customer's capability.
        to = staff_recipients(ticket)
        context["manage_url"] = site + ticket.get_manage_url()
    else:
        raise ValueError(f"unknown ticket email {kind!r}")
    if not to:
        return None
    # Every kind has an HTML template of its own, rendered with autoescaping: the plain text
    # is never pasted into HTML, where a name or a reply would become markup.
    return compose(
        shop,
        to=to,
        subject=render_to_string(f"support/email/{kind}_subject.txt", context),
        text=render_to_string(f"support/email/{kind}.txt", context),
        html=render_to_string(f"support/email/{kind}.html", context),
    )
