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


STEP_TIMES = {
    "placed": "placed_at",
    "shipped": "shipped_at",
    "delivered": "delivered_at",
    "cancelled": "cancelled_at",
}


@shared_task
def send_missing_order_emails(grace_minutes: int = 2, window_days: int = 3) -> int:
    """Periodic: send order emails whose queueing was lost (the broker was down at commit).

    An email counts as missing when its step happened more than `grace_minutes` ago and no
    OrderEmail row records it; send_order_email itself makes a second send impossible.
    """
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    sent = 0
    for kind, field in STEP_TIMES.items():
        missing = (
            Order.objects.filter(
                **{
                    f"{field}__lt": now - timedelta(minutes=grace_minutes),
                    f"{field}__gt": now - timedelta(days=window_days),
                }
            )
            .exclude(emails__kind=kind)
            .values_list("pk", flat=True)
        )
        if kind == "delivered":
            missing = missing.filter(delivery_assumed=False)
        for order_id in missing[:500]:
            if send_order_email(order_id, kind) == "sent":
                sent += 1
    return sent
