from celery import shared_task
from django.conf import settings
from django.db import transaction

from .emails import build_order_email
from .models import Order, OrderEmail, OrderEvent
from .services import assume_delivered


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=30, max_retries=5)
def send_order_email(order_id: int, kind: str) -> str:
    """Send one order email once: a second run finds the record and sends nothing.

    The record and the send share a transaction, so a send that fails leaves no record and
    the retry sends it.
    """
    with transaction.atomic():
        order = Order.objects.filter(pk=order_id).first()
        if order is None:
            return "no such order"
        _, created = OrderEmail.objects.get_or_create(order=order, kind=kind)
        if not created:
            return "already sent"
        build_order_email(order, kind).send()
        OrderEvent.objects.create(
            order=order, kind=OrderEvent.Kind.EMAIL_SENT, note=kind, public=False
        )
    return "sent"


@shared_task
def assume_delivered_orders() -> int:
    """Periodic: orders shipped ORDER_ASSUME_DELIVERED_DAYS ago with no word count as delivered."""
    return assume_delivered(days=settings.ORDER_ASSUME_DELIVERED_DAYS)
