"""Emails to buyers about their order, rendered and queued through messaging.

The message is recorded in the transaction of the step it tells about (placing, shipping...),
so it exists exactly when the step was saved; messaging sends it after commit, retries it and
sweeps it up after a broker outage.
"""

from django.conf import settings
from django.dispatch import receiver
from django.utils import translation

from messaging.models import Message
from messaging.render import Rendered, Templates, one_line, render
from messaging.services import queue_message
from messaging.signals import message_sent
from shop.models import ShopProfile

from .models import Order, OrderEvent

__all__ = ["build_order_email", "one_line", "queue_order_email"]

KINDS = {"placed", "shipped", "delivered", "cancelled"}


def absolute_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def build_order_email(order: Order, kind: str) -> Rendered:
    """The message for `kind` ("placed", "shipped", "delivered", "cancelled"), in the order's
    language whoever triggers it (texts made in Python, like the payment instructions, too)."""
    if kind not in KINDS:
        raise ValueError(f"unknown order email {kind!r}")
    shop = ShopProfile.load()
    with translation.override(order.language):
        context = {
            "order": order,
            "lines": list(order.lines.all()),
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


def queue_order_email(order: Order, kind: str) -> Message:
    """Record the order's `kind` email in the current transaction; sent once, after commit."""
    return queue_message(
        build_order_email(order, kind),
        to=order.email,
        kind=f"order.{kind}",
        key=f"order:{order.pk}:{kind}",
        about="order",
        about_id=order.pk,
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
