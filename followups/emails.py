"""The follow-up emails (and SMS, for buyers reached by phone): one per message, whatever rows
it carries, with one-click unsubscribe (a stop link and "reply TD" in an SMS).

A care check lists one answer link per order; a review request (or the reminder) lists every
unreviewed line of its orders under each order's review link. Rendered by messaging like every
other message (the shop as sender, the buyer's language) and queued through it.
"""

from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings

from messaging import models as messaging
from messaging.links import short_url, shorten
from messaging.render import Rendered, Templates, render, render_sms
from messaging.services import queue_message
from orders.emails import Reach
from orders.models import OrderLine
from shop.models import ShopProfile

from .cap import Message
from .links import Links
from .models import FollowUp

# What messaging records a follow-up email as ("followup.care_check", ...): the cap counts these.
KINDS = tuple(f"followup.{kind}" for kind in FollowUp.Kind.values)


def unreviewed_lines(order_ids: Iterable[int]) -> dict[int, list[OrderLine]]:
    """Each order's lines that have no review yet, in one query for a whole batch."""
    lines = defaultdict(list)
    for line in OrderLine.objects.filter(order_id__in=set(order_ids), review__isnull=True):
        lines[line.order_id].append(line)
    return lines


def message_language(message: Message) -> str:
    """The language of a follow-up: its ticket's, or that of the latest order it is about (a
    buyer who ordered in English, then in Chinese, reads Chinese now)."""
    orders = [row.order for row in message.rows if row.order_id]
    if orders:
        return max(orders, key=lambda order: (order.placed_at, order.pk)).language
    lead = message.lead
    return lead.ticket.language if lead.ticket_id else settings.LANGUAGE_CODE


def build_follow_up_email(
    row: FollowUp,
    shop: ShopProfile,
    links: Links | None = None,
    *,
    merged: Iterable[FollowUp] = (),
    lines: dict[int, list[OrderLine]] | None = None,
) -> Rendered:
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
    return render(
        Templates.of(f"followups/email/{message.kind}"),
        context,
        language=message_language(message),
        sender_name=shop.name,
        headers={
            "List-Unsubscribe": f"<{one_click}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


def build_follow_up_sms(
    row: FollowUp, to: Reach, links: Links | None = None, *, merged: Iterable[FollowUp] = ()
) -> Rendered:
    """The SMS `row` carries (with the rows `merged` into it) to the phone `to`: one short
    link to the lead's one-tap page (the care check's, the order's review page, the ticket's
    question), a short stop link and "reply TD". An SMS has room for one answer link, so a
    care check merged over several orders links the lead order's page; the answer pages of
    the others stay reachable from the order pages. Short links are saved in the caller's
    transaction."""
    message = Message([row, *merged])
    links = links or Links()
    if message.kind == FollowUp.Kind.CARE_CHECK:
        target, number = links.care_check(row), row.order.number
    elif message.kind == FollowUp.Kind.SATISFACTION:
        target, number = links.satisfaction(row.ticket), row.ticket.number
    else:
        order = next(r.order for r in message.rows if r.kind == message.kind)
        target, number = links.review(order), order.number
    link, stop = shorten(target), shorten(links.unsubscribe(to.address)[0])
    return render_sms(
        f"followups/sms/{message.kind}.txt",
        {"number": number or "", "link": short_url(link), "stop": short_url(stop)},
        language=message_language(message),
        params={"number": number or "", "code": link.code, "stop": stop.code},
    )


def message_key(lead: FollowUp) -> str:
    """The key the email led by `lead` is queued under: the same however often it is queued.

    A row planned again after its email (a Retry, a ticket resolved again) still links that
    email, and the next one is keyed after it, so it is a new message, not the old one.
    """
    key = f"followup:{lead.pk}"
    return f"{key}:after:{lead.message_id}" if lead.message_id else key


def queue_follow_up_email(
    message: Message, rendered: Rendered, *, to: Reach | None = None
) -> messaging.Message:
    """Record `message` in the current transaction, to `to` (default: the lead's email), by
    email or SMS; messaging sends it once, after commit."""
    to = to or Reach("email", message.lead.email)
    return queue_message(
        rendered,
        to=to.address,
        kind=f"followup.{message.kind}",
        key=message_key(message.lead),
        about="followup",
        about_id=message.lead.pk,
        channel=to.channel,
    )
