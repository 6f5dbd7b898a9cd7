"""Emails to buyers about their order: text and HTML, the shop's name in the sender.

`compose` is the one way every message of the shop is put together (the support and follow-up
emails use it too), so that no header is ever built from raw user text.
"""

from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from shop.models import ShopProfile

from .models import Order

KINDS = {"placed", "shipped", "delivered", "cancelled"}


def absolute_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def one_line(text: str) -> str:
    """Every run of whitespace (CR and LF included) as one space.

    Names, subjects and the shop's name end up in mail headers, where a line break would
    start a header of the writer's choosing (Django refuses it with BadHeaderError, and the
    message is lost).
    """
    return " ".join(str(text or "").split())


def compose(
    shop: ShopProfile,
    *,
    to: list[str],
    subject: str,
    text: str,
    html: str,
    headers: dict[str, str] | None = None,
) -> EmailMultiAlternatives:
    """A message from the shop: the subject and the sender's name on one line each.

    `html` must come from an HTML template of its own, rendered with autoescaping on, so that
    user text in it is escaped; never from rendered plain text.
    """
    sender = formataddr((one_line(shop.name), settings.DEFAULT_FROM_EMAIL))
    message = EmailMultiAlternatives(
        one_line(subject),
        text,
        sender,
        to,
        headers={k: one_line(v) for k, v in (headers or {}).items()},
    )
    message.attach_alternative(html, "text/html")
    return message


def build_order_email(order: Order, kind: str) -> EmailMultiAlternatives:
    """The message for `kind` ("placed", "shipped", "delivered", "cancelled")."""
    if kind not in KINDS:
        raise ValueError(f"unknown order email {kind!r}")
    shop = ShopProfile.load()
    context = {
        "order": order,
        "lines": list(order.lines.all()),
        "shop": shop,
        "tracking_url": absolute_url(order.get_absolute_url()),
        "instructions": order.payment_provider.instructions(order, shop),
    }
    return compose(
        shop,
        to=[order.email],
        subject=render_to_string(f"orders/email/{kind}_subject.txt", context),
        text=render_to_string(f"orders/email/{kind}.txt", context),
        html=render_to_string(f"orders/email/{kind}.html", context),
    )
