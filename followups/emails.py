"""The follow-up emails: one per message, whatever rows it carries, with one-click unsubscribe.

A care check lists one answer link per order; a review request (or the reminder) lists every
unreviewed line of its orders under each order's review link.
"""

from collections import defaultdict
from collections.abc import Iterable

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from orders.emails import compose
from orders.models import OrderLine
from shop.models import ShopProfile

from .cap import Message
from .links import Links
from .models import FollowUp


def unreviewed_lines(order_ids: Iterable[int]) -> dict[int, list[OrderLine]]:
    """Each order's lines that have no review yet, in one query for a whole batch."""
    lines = defaultdict(list)
    for line in OrderLine.objects.filter(order_id__in=set(order_ids), review__isnull=True):
        lines[line.order_id].append(line)
    return lines


def build_email(
    row: FollowUp,
    shop: ShopProfile,
    links: Links | None = None,
    *,
    merged: Iterable[FollowUp] = (),
    lines: dict[int, list[OrderLine]] | None = None,
) -> EmailMultiAlternatives:
    """The email `row` carries, together with the rows `merged` into it.

    `links` and `lines` are read once per batch by the dispatcher; alone, they are read here.
    """
    message = Message([row, *merged])
    links = links or Links()
    unsubscribe, one_click = links.unsubscribe(row.email)
    context = {
        "row": row,
        "shop": shop,
        "unsubscribe_url": unsubscribe,
        "order": row.order,
        "ticket": row.ticket,
    }
    if message.kind == FollowUp.Kind.CARE_CHECK:
        context["items"] = [
            {"order": r.order, "answer_url": links.care_check(r)} for r in message.rows
        ]
    elif message.kind == FollowUp.Kind.SATISFACTION:
        context["answer_url"] = links.satisfaction(row.ticket)
    else:
        if lines is None:
            lines = unreviewed_lines(message.order_ids)
        context["items"] = [
            {
                "order": r.order,
                "review_url": links.review(r.order),
                "lines": lines.get(r.order_id, []),
            }
            for r in message.rows
        ]
    if "items" in context:
        context["numbers"] = ", ".join(item["order"].number for item in context["items"])
    name = (row.order.name if row.order_id else row.ticket.name).split()
    context["first_name"] = name[0] if name else ""
    template = f"followups/email/{message.kind}"
    return compose(
        shop,
        to=[row.email],
        subject=render_to_string(f"{template}_subject.txt", context),
        text=render_to_string(f"{template}.txt", context),
        html=render_to_string(f"{template}.html", context),
        headers={
            "List-Unsubscribe": f"<{one_click}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
