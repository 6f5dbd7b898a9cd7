"""Online payments: one attempt per try at paying an order, every notification received about
it, and the refunds asked for. States move only through payments/services.py."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from orders.models import Order


class PaymentAttempt(models.Model):
    """One try at paying an order through a provider; an order may have several, one paid."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for payment")
        PAID = "paid", _("Paid")
        CLOSED = "closed", _("Closed")
        FAILED = "failed", _("Failed")
        REFUNDING = "refunding", _("Refunding")
        REFUNDED = "refunded", _("Refunded")
        PARTLY_REFUNDED = "partly_refunded", _("Partly refunded")

    # States in which the money is (or was) with the shop. At most one attempt per order is
    # "paid" (a partial unique index); one paid after it was closed goes straight to refunding.
    MONEY_IN = (State.PAID, State.REFUNDING, State.REFUNDED, State.PARTLY_REFUNDED)

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payment_attempts")
    gateway = models.CharField(max_length=20)
    out_trade_no = models.CharField(max_length=32, unique=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    trade_no = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    refunded_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(state="paid"),
                name="payment_one_paid_attempt_per_order",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0) & Q(refunded_amount__lte=models.F("amount")),
                name="payment_refunded_within_amount",
            ),
        ]
        indexes = [models.Index(fields=["state", "created_at"])]

    def __str__(self) -> str:
        return self.out_trade_no

    @property
    def refundable(self):
        """What may still be refunded (paid minus refunded or being refunded)."""
        in_flight = sum(
            (r.amount for r in self.refunds.all() if r.state == Refund.State.REQUESTED), 0
        )
        return self.amount - self.refunded_amount - in_flight


class PaymentNotice(models.Model):
    """Every word from a provider about an attempt (a notification or a query's answer), kept
    with what the shop made of it."""

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted")
        DUPLICATE = "duplicate", _("Duplicate")
        REFUSED = "refused", _("Refused")
        FLAGGED = "flagged", _("Flagged for the owner")

    class Source(models.TextChoices):
        NOTIFY = "notify", _("Notification")
        QUERY = "query", _("Query")

    attempt = models.ForeignKey(PaymentAttempt, on_delete=models.CASCADE, related_name="notices")
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.NOTIFY)
    payload = models.JSONField(default=dict)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    reason = models.CharField(max_length=300, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["received_at", "id"]

    def __str__(self) -> str:
        return f"{self.attempt} {self.outcome}"


class Refund(models.Model):
    """Money given back on a paid attempt, whole or part, through the provider's refund API."""

    class State(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        SUCCEEDED = "succeeded", _("Refunded")
        FAILED = "failed", _("Failed")

    attempt = models.ForeignKey(PaymentAttempt, on_delete=models.PROTECT, related_name="refunds")
    out_refund_no = models.CharField(max_length=32, unique=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    reason = models.CharField(max_length=200, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.REQUESTED)
    refund_id = models.CharField(max_length=64, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
        ]

    def __str__(self) -> str:
        return self.out_refund_no
