from celery import shared_task
from django.conf import settings
from django.db import transaction

from config.celery import RETRY_ON_DATABASE_ERRORS

from .emails import queue_order_email
from .models import Order
from .services import assume_delivered


@shared_task(acks_late=True, **RETRY_ON_DATABASE_ERRORS)
def send_order_email(order_id: int, kind: str) -> str:
    """For tasks queued before messaging took over (one release): queue it there, once.

    Order emails are now messaging rows written with their step (orders.emails); the key is
    the one the old OrderEmail rows were copied under, so an email already sent is not resent.
    """
    with transaction.atomic():
        order = Order.objects.filter(pk=order_id).first()
        if order is None:
            return "no such order"
        queue_order_email(order, kind)
    return "queued"


@shared_task
def assume_delivered_orders() -> int:
    """Periodic: orders shipped ORDER_ASSUME_DELIVERED_DAYS ago with no word count as delivered."""
    return assume_delivered(days=settings.ORDER_ASSUME_DELIVERED_DAYS)
