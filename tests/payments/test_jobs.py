"""The beat jobs: unpaid orders time out (stock back, trade closed at the provider), pending
attempts and refunds in flight are asked about."""

from datetime import timedelta

import pytest
from django.utils import timezone

from orders.models import Order
from payments import services, tasks
from payments.models import PaymentAttempt, Refund

from .helpers import notify, online_order, start_paying

pytestmark = pytest.mark.django_db


def _age(order, minutes):
    Order.objects.filter(pk=order.pk).update(placed_at=timezone.now() - timedelta(minutes=minutes))
    PaymentAttempt.objects.filter(order=order).update(
        created_at=timezone.now() - timedelta(minutes=minutes)
    )


def test_timeout_restores_stock_and_closes_the_trade(client, alipay, shop_profile, settings):
    settings.PAYMENT_HOLD_MINUTES = 30
    order, variant = online_order(stock=3, quantity=2)
    attempt = start_paying(client, order)
    young, _v = online_order(stock=1)
    _age(order, 31)
    assert tasks.close_expired_payments() == {"cancelled": 1, "paid": 0, "later": 0}
    order.refresh_from_db()
    attempt.refresh_from_db()
    variant.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert variant.stock == 3
    assert attempt.state == PaymentAttempt.State.CLOSED
    assert alipay.sandbox.trades[attempt.out_trade_no].state == "TRADE_CLOSED"
    young.refresh_from_db()
    assert young.status == Order.Status.PLACED  # still within its hold
    # Again: nothing more happens.
    assert tasks.close_expired_payments() == {"cancelled": 0, "paid": 0, "later": 0}
    variant.refresh_from_db()
    assert variant.stock == 3
    # Past the hold the buyer cannot start paying again.
    response = client.post(f"/orders/{order.tracking_token}/pay/")
    assert response.status_code == 302 and "/payment/" in response["Location"]
    assert PaymentAttempt.objects.filter(order=order).count() == 1


def test_timeout_finds_a_payment_whose_notification_was_lost(client, alipay, shop_profile):
    order, variant = online_order(stock=2)
    attempt = start_paying(client, order)
    alipay.sandbox.pay(attempt.out_trade_no)  # paid, but the notification never arrives
    _age(order, 31)
    assert tasks.close_expired_payments()["paid"] == 1
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert attempt.notices.get().source == "query"


def test_timeout_waits_when_the_provider_is_down(client, alipay, shop_profile):
    order, variant = online_order(stock=2)
    start_paying(client, order)
    _age(order, 31)
    alipay.down = True
    assert tasks.close_expired_payments() == {"cancelled": 0, "paid": 0, "later": 1}
    order.refresh_from_db()
    variant.refresh_from_db()
    assert order.status == Order.Status.PLACED and variant.stock == 1
    alipay.down = False
    assert tasks.close_expired_payments()["cancelled"] == 1


def test_reconcile_a_lost_notification(client, alipay, shop_profile, settings):
    settings.PAYMENT_RECONCILE_AFTER_MINUTES = 5
    order, _variant = online_order()
    attempt = start_paying(client, order)
    alipay.sandbox.pay(attempt.out_trade_no)
    assert tasks.reconcile_payments() == {"attempts": 0, "refunds": 0}  # too early to ask
    PaymentAttempt.objects.filter(pk=attempt.pk).update(
        created_at=timezone.now() - timedelta(minutes=6)
    )
    assert tasks.reconcile_payments() == {"attempts": 1, "refunds": 0}
    order.refresh_from_db()
    attempt.refresh_from_db()
    assert order.payment_state == Order.PaymentState.PAID
    assert attempt.state == PaymentAttempt.State.PAID
    notice = attempt.notices.get()
    assert (notice.source, notice.outcome) == ("query", "accepted")
    assert notice.payload["trade_status"] == "TRADE_SUCCESS"
    # The notification arrives late after all: a duplicate.
    trade = alipay.sandbox.trades[attempt.out_trade_no]
    assert notify(client, alipay.sandbox.notification(trade)).content == b"success"
    assert list(attempt.notices.values_list("outcome", flat=True)) == ["accepted", "duplicate"]
    assert tasks.reconcile_payments() == {"attempts": 0, "refunds": 0}


def test_a_refund_the_provider_did_not_answer_is_asked_about_later(client, alipay, shop_profile):
    order, _variant = online_order()
    attempt = start_paying(client, order)
    notify(client, alipay.sandbox.pay(attempt.out_trade_no))
    attempt.refresh_from_db()
    alipay.down = True
    refund = services.request_refund(attempt, amount=attempt.amount, reason="returned")
    assert refund.state == Refund.State.REQUESTED and refund.error
    attempt.refresh_from_db()
    assert attempt.state == PaymentAttempt.State.REFUNDING
    assert not alipay.sandbox.trades[attempt.out_trade_no].refunds
    # A second refund cannot take what the first is refunding.
    with pytest.raises(services.PaymentError):
        services.request_refund(attempt, amount="0.01", reason="more")
    alipay.down = False
    assert tasks.reconcile_payments() == {"attempts": 0, "refunds": 1}
    refund.refresh_from_db()
    attempt.refresh_from_db()
    assert refund.state == Refund.State.SUCCEEDED
    assert attempt.state == PaymentAttempt.State.REFUNDED
    assert alipay.sandbox.trades[attempt.out_trade_no].refunds == {
        refund.out_refund_no: f"{attempt.amount:.2f}"
    }


def test_a_refund_in_flight_is_confirmed_by_query(client, alipay, shop_profile):
    order, _variant = online_order()
    attempt = start_paying(client, order)
    notify(client, alipay.sandbox.pay(attempt.out_trade_no))
    attempt.refresh_from_db()
    # Recorded and sent, but the answer was lost on the way back.
    refund = Refund.objects.create(attempt=attempt, out_refund_no="R1", amount=attempt.amount)
    PaymentAttempt.objects.filter(pk=attempt.pk).update(state="refunding")
    alipay.sandbox.trades[attempt.out_trade_no].refunds["R1"] = f"{attempt.amount:.2f}"
    Refund.objects.filter(pk=refund.pk).update(refund_id="x")
    assert services.refresh_refund(refund.pk) == Refund.State.SUCCEEDED
    attempt.refresh_from_db()
    assert attempt.refunded_amount == attempt.amount
    assert alipay.methods()[-1] == "alipay.trade.fastpay.refund.query"


def test_the_stand_in_refuses_a_request_signed_with_another_key(alipay, settings, shop_profile):
    from payments.gateways import get_gateway
    from payments.gateways.base import GatewayError
    from payments.sandbox import new_key_pair

    settings.ALIPAY_APP_PRIVATE_KEY = new_key_pair()[0]
    with pytest.raises(GatewayError):
        get_gateway("alipay").query("P1")
    assert alipay.sandbox.refused == ["alipay.trade.query: bad signature"]


def test_an_answer_signed_by_another_key_is_not_believed(alipay, settings, shop_profile):
    from payments.gateways import get_gateway
    from payments.gateways.base import GatewayError
    from payments.sandbox import new_key_pair

    settings.ALIPAY_PUBLIC_KEY = new_key_pair()[1]
    with pytest.raises(GatewayError, match="signature"):
        get_gateway("alipay").query("P1")


def test_reconcile_closes_the_trade_of_an_order_cancelled_meanwhile(client, alipay, shop_profile):
    from orders.services import cancel_order

    order, _variant = online_order()
    attempt = start_paying(client, order)
    cancel_order(order, reason="changed my mind")
    PaymentAttempt.objects.filter(pk=attempt.pk).update(
        created_at=timezone.now() - timedelta(minutes=6)
    )
    assert services.reconcile_attempt(attempt.pk) == PaymentAttempt.State.CLOSED
    attempt.refresh_from_db()
    assert attempt.state == PaymentAttempt.State.CLOSED
    assert alipay.sandbox.trades[attempt.out_trade_no].state == "TRADE_CLOSED"
    assert services.attempts_to_reconcile() == []
    assert b"Pay with Alipay" not in client.get(order.get_absolute_url()).content
