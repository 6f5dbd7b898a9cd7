import pytest
from django.core import mail

from orders import services
from orders.models import Order, OrderEvent
from orders.signals import order_delivered

from ..factories import VariantFactory
from .helpers import place

pytestmark = pytest.mark.django_db


@pytest.fixture
def cod_order():
    return place({VariantFactory(stock=5): 2}, payment_method="cod")


@pytest.fixture
def bank_order():
    return place({VariantFactory(stock=5): 1}, payment_method="bank_transfer")


def ship(order, **kw):
    return services.mark_shipped(order, carrier="SF Express", tracking_number="SF123", **kw)


def kinds(order):
    return list(order.events.values_list("kind", flat=True))


def test_cash_on_delivery_ships_unpaid_and_is_paid_on_delivery(cod_order, owner):
    order = ship(cod_order, acting_user=owner)
    assert order.status == Order.Status.SHIPPED and order.shipped_at
    order = services.mark_delivered(order, acting_user=owner)
    assert order.status == Order.Status.DELIVERED and order.payment_state == Order.PaymentState.PAID
    assert kinds(order) == ["placed", "shipped", "delivered"]
    assert order.events.get(kind="shipped").actor == owner


def test_bank_transfer_must_be_paid_before_shipping(bank_order, owner):
    with pytest.raises(services.InvalidTransition, match="mark it paid first"):
        ship(bank_order)
    order = services.mark_paid(bank_order, acting_user=owner)
    assert order.status == Order.Status.PAID and order.paid_at
    order = ship(order)
    assert order.status == Order.Status.SHIPPED
    assert kinds(order) == ["placed", "paid", "shipped"]


@pytest.mark.parametrize(
    "prepare, step, message",
    [
        (lambda o: o, lambda o: services.mark_delivered(o), "Only a shipped order"),
        (lambda o: ship(o), lambda o: ship(o), "shipped order cannot be shipped"),
        (
            lambda o: ship(o),
            lambda o: services.cancel_order(o, reason="x"),
            "shipped order cannot be cancelled",
        ),
        (
            lambda o: services.cancel_order(o, reason="x"),
            lambda o: ship(o),
            "cancelled order cannot be shipped",
        ),
        (
            lambda o: services.cancel_order(o, reason="x"),
            lambda o: services.mark_paid(o),
            "Only a placed",
        ),
        (
            lambda o: services.mark_delivered(ship(o)),
            lambda o: services.cancel_order(o, reason="x"),
            "cannot be cancelled",
        ),
        (
            lambda o: services.mark_delivered(ship(o)),
            lambda o: services.mark_delivered(o),
            "Only a shipped",
        ),
    ],
    ids=[
        "deliver-unshipped",
        "ship-twice",
        "cancel-shipped",
        "ship-cancelled",
        "pay-cancelled",
        "cancel-delivered",
        "deliver-twice",
    ],
)
def test_illegal_moves_are_refused_and_change_nothing(cod_order, prepare, step, message):
    order = prepare(cod_order)
    order.refresh_from_db()
    before = (order.status, order.payment_state, order.events.count())
    with pytest.raises(services.InvalidTransition, match=message):
        step(order)
    order.refresh_from_db()
    assert (order.status, order.payment_state, order.events.count()) == before


def test_cancel_restores_stock_and_marks_refund_when_paid(bank_order):
    variant = bank_order.lines.get().variant
    variant.refresh_from_db()
    assert variant.stock == 4
    services.mark_paid(bank_order)
    order = services.cancel_order(bank_order, reason="Buyer changed their mind")
    variant.refresh_from_db()
    assert variant.stock == 5
    assert order.payment_state == Order.PaymentState.REFUND_DUE
    assert order.events.get(kind="cancelled").note == "Buyer changed their mind"


def test_cancel_needs_a_reason(cod_order):
    with pytest.raises(services.OrderError):
        services.cancel_order(cod_order, reason="  ")
    cod_order.refresh_from_db()
    assert cod_order.status == Order.Status.PLACED


def test_shipping_needs_carrier_and_number(cod_order):
    with pytest.raises(services.OrderError):
        services.mark_shipped(cod_order, carrier="", tracking_number="")
    cod_order.refresh_from_db()
    assert cod_order.status == Order.Status.PLACED


def test_order_delivered_signal_is_sent_inside_the_transaction(cod_order):
    seen = []

    def receiver(sender, order, assumed, **kwargs):
        from django.db import connection

        seen.append((order.pk, assumed, connection.in_atomic_block))

    order_delivered.connect(receiver)
    try:
        services.mark_delivered(ship(cod_order))
    finally:
        order_delivered.disconnect(receiver)
    assert seen == [(cod_order.pk, False, True)]


def test_assume_delivered_marks_only_old_shipments(cod_order, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    old = ship(cod_order)
    Order.objects.filter(pk=old.pk).update(shipped_at=timezone.now() - timedelta(days=11))
    recent = ship(place({VariantFactory(stock=1): 1}))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.assume_delivered(days=10) == 1
        assert services.assume_delivered(days=10) == 0  # twice does nothing more
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.status == Order.Status.DELIVERED and old.delivery_assumed
    assert recent.status == Order.Status.SHIPPED
    assert old.events.filter(kind=OrderEvent.Kind.ASSUMED_DELIVERED).count() == 1
    # An assumed delivery does not tell the buyer it was delivered.
    assert not [m for m in mail.outbox if "delivered" in m.subject]


def test_emails_lost_with_the_broker_are_sent_by_the_sweep_once(cod_order):
    from datetime import timedelta

    from django.utils import timezone

    from messaging.services import sweep

    # No on_commit callbacks ran (as when the broker was down): no email was sent.
    services.mark_delivered(ship(cod_order))
    assert not mail.outbox
    assert sweep() == 0  # within the grace period nothing is touched
    later = timezone.now() + timedelta(minutes=5)
    assert sweep(now=later) == 3
    assert sweep(now=later) == 0
    assert sorted(m.subject.split()[-1] for m in mail.outbox) == ["delivered", "received", "way"]
