"""Emails to buyers about their order: text and HTML, the shop's name in the sender."""

from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from shop.models import ShopProfile

from .models import Order

KINDS = {"placed", "shipped", "delivered", "cancelled"}


def absolute_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


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
    subject = render_to_string(f"orders/email/{kind}_subject.txt", context).strip()
    text = render_to_string(f"orders/email/{kind}.txt", context)
    html = render_to_string(f"orders/email/{kind}.html", context)
    sender = formataddr((shop.name, settings.DEFAULT_FROM_EMAIL))
    message = EmailMultiAlternatives(subject, text, sender, [order.email])
    message.attach_alternative(html, "text/html")
    return message
