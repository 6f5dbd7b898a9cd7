"""Messages to buyers about their order (email, or SMS for a buyer reached by phone),
rendered and queued through messaging.

The message is recorded in the transaction of the step it tells about (placing, shipping...),
so it exists exactly when the step was saved; messaging sends it after commit, retries it and
sweeps it up after a broker outage.
"""

from dataclasses import dataclass

from django.conf import settings
from django.dispatch import receiver
from django.utils import translation

from messaging.links import short_url, shorten
from messaging.models import Message
from messaging.render import Rendered, Templates, one_line, render, render_sms
from messaging.services import queue_message
from messaging.signals import message_sent
from shop.models import ShopProfile

from .couriers import carrier_label
from .models import Order, OrderEvent

__all__ = [
    "Reach",
    "build_order_email",
    "build_order_sms",
    "one_line",
    "queue_order_email",
    "reach",
]


@dataclass(frozen=True)
class Reach:
    """How a buyer is reached: `channel` ("email" or "sms", a MESSAGING_CHANNELS name) and
    `address` there (an email address, or an E.164 mobile number)."""

    channel: str
    address: str

    @property
    def by_sms(self) -> bool:
        return self.channel == "sms"


def reach(order: Order) -> Reach:
    """The channel and address every message about `order` goes to: its phone by SMS when the
    buyer chose SMS (Order.notify_by; a buyer who gave only a phone has), else its email.
    Every sender asks this (order notices, ticket replies, follow-ups)."""
    if order.notify_by == Order.NotifyBy.SMS and order.phone:
        return Reach("sms", order.phone)
    return Reach("email", order.email)


KINDS = {"placed", "shipped", "delivered", "cancelled"}


def absolute_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def build_order_email(order: Order, kind: str, *, shop=None, lines=None) -> Rendered:
    """The message for `kind` ("placed", "shipped", "delivered", "cancelled"), in the order's
    language whoever triggers it (texts made in Python, like the payment instructions, too).
    A caller that holds the shop profile and the order's lines (place_order, which just
    wrote them) passes them; else they are read."""
    if kind not in KINDS:
        raise ValueError(f"unknown order email {kind!r}")
    shop = shop or ShopProfile.load()
    with translation.override(order.language):
        context = {
            "order": order,
            "lines": list(order.lines.all()) if lines is None else list(lines),
            "shop": shop,
            "tracking_url": absolute_url(order.get_absolute_url()),
            "instructions": order.payment_provider.instructions(order, shop),
        }
    return render(
        Templates.of(f"orders/email/{kind}"),
        context,
        language=order.language,
        sender_name=shop.name,
    )


def build_order_sms(order: Order, kind: str) -> Rendered:
    """The SMS for `kind`, in the order's language: the order's number and, once shipped, the
    courier's name (in that language), the tracking number and a short link to the order's
    tracking page. Short links are saved in the caller's transaction."""
    if kind not in KINDS:
        raise ValueError(f"unknown order email {kind!r}")
    params = {"number": order.number or ""}
    context = {"order": order, "number": order.number or ""}
    if kind == "shipped":
        link = shorten(absolute_url(order.get_absolute_url()))
        with translation.override(order.language):
            courier = carrier_label(order.carrier)
        params |= {"courier": courier, "tracking": order.tracking_number, "code": link.code}
        context |= {"courier": courier, "tracking": order.tracking_number, "link": short_url(link)}
    return render_sms(f"orders/sms/{kind}.txt", context, language=order.language, params=params)


def queue_order_email(
    order: Order, kind: str, *, new_order=False, shop=None, lines=None
) -> Message:
    """Record the order's `kind` message in the current transaction, to where `reach(order)`
    says (an email, or an SMS); sent once, after commit.

    Order notices are transactional: they go to a phone that stopped follow-ups too (the
    buyer needs to know the parcel left and where it is; "TD" stops what we ask, not what
    they bought). `new_order`: the order was created in this transaction, so no message of it
    exists yet (one INSERT; messaging.services.queue_message's `new_key`); `shop` and `lines`
    as for build_order_email."""
    to = reach(order)
    rendered = (
        build_order_sms(order, kind)
        if to.by_sms
        else build_order_email(order, kind, shop=shop, lines=lines)
    )
    return queue_message(
        rendered,
        to=to.address,
        kind=f"order.{kind}",
        key=f"order:{order.pk}:{kind}",
        about="order",
        about_id=order.pk,
        channel=to.channel,
        new_key=new_order,
    )


@receiver(message_sent, sender=Message, dispatch_uid="orders.email_sent")
def record_sent_email(sender, message: Message, **kwargs) -> None:
    """The order's timeline (staff only) says which email went out."""
    if message.about == "order" and message.about_id:
        OrderEvent.objects.create(
            order_id=message.about_id,
            kind=OrderEvent.Kind.EMAIL_SENT,
            note=message.kind.removeprefix("order."),
            public=False,
        )
