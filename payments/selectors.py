"""What the order pages show of an order's online payment."""

from django.db.models import Prefetch

from .models import PaymentAttempt, PaymentNotice, Refund
from .services import can_pay, hold_until


def buyer_payment(order) -> dict:
    """The tracking page's part: whether (and until when) the buyer may pay again."""
    if not order.payment_provider.online:
        return {}
    return {"payment": {"can_pay": can_pay(order), "until": hold_until(order)}}


def owner_payments(request, order) -> dict:
    """Every attempt with its notices and refunds (three queries), the one still refundable."""
    if not order.payment_provider.online:
        return {}
    attempts = list(
        PaymentAttempt.objects.filter(order=order).prefetch_related(
            Prefetch("notices", queryset=PaymentNotice.objects.order_by("received_at", "id")),
            Prefetch("refunds", queryset=Refund.objects.order_by("created_at", "id")),
        )
    )
    refundable = next(
        (a for a in attempts if a.state in PaymentAttempt.MONEY_IN and a.refundable > 0), None
    )
    return {
        "attempts": attempts,
        "refundable_attempt": refundable,
        "is_owner": request.user.is_owner,
    }
