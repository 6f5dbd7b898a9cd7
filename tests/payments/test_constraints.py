"""The database itself keeps the money rules: one paid attempt per order, positive amounts."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from payments.models import PaymentAttempt, Refund

from .helpers import online_order

pytestmark = pytest.mark.django_db


def _attempt(order, number, state="pending", amount=Decimal("10.00")):
    return PaymentAttempt.objects.create(
        order=order,
        gateway="alipay",
        out_trade_no=number,
        amount=amount,
        state=state,
        expires_at=timezone.now() + timedelta(minutes=30),
    )


def test_at_most_one_paid_attempt_per_order(shop_profile, alipay):
    order, _variant = online_order()
    _attempt(order, "P1", "paid")
    _attempt(order, "P2", "closed")
    _attempt(order, "P3", "refunding")  # a late payment being given back
    with pytest.raises(IntegrityError), transaction.atomic():
        _attempt(order, "P4", "paid")


def test_amounts_must_be_positive(shop_profile, alipay):
    order, _variant = online_order()
    with pytest.raises(IntegrityError), transaction.atomic():
        _attempt(order, "P1", amount=Decimal("0"))
    attempt = _attempt(order, "P2", "paid")
    with pytest.raises(IntegrityError), transaction.atomic():
        Refund.objects.create(attempt=attempt, out_refund_no="R1", amount=Decimal("0"))
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentAttempt.objects.filter(pk=attempt.pk).update(refunded_amount=Decimal("10.01"))
